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

  @Option(help: "Timed repeats.")
  var repeats = 3

  @Flag(help: "Print a JSON array of {name, unit, median, min, max}.")
  var json = false

  func validate() throws {
    guard repeats > 0 else { throw ValidationError("--repeats must be positive") }
  }

  func run() throws {
    let results = try benchmarkLoader(folder: folder, repeats: repeats)
    print(json ? measurementsJSON(results) : measurementsTable(results))
  }
}
