import ArgumentParser
import GlimpseBench

struct BenchLoaderCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "loader",
    abstract: "Images/s that the training data path decodes, resizes and batches for DIR/captions.json.",
    discussion: "The median of the timed repeats after one untimed warm-up (which also warms the file cache)."
  )

  @Argument(help: "A dataset folder with captions.json (COCO layout).")
  var folder: String

  @OptionGroup var bench: BenchOptions

  func run() throws {
    let results = try benchmarkLoader(folder: folder, repeats: bench.repeats ?? 3)
    bench.report(results)
  }
}
