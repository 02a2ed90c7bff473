import ArgumentParser
import GlimpseBench

struct BenchImageCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "image",
    abstract: "Decode throughput (megapixels/s) of each file, decoded from memory.",
    discussion: "Each figure is the median of the timed repeats after two untimed warm-ups."
  )

  @Argument(help: "PNG or JPEG files.")
  var files: [String]

  @OptionGroup var bench: BenchOptions

  func validate() throws {
    guard !files.isEmpty else { throw ValidationError("give at least one image file") }
  }

  func run() throws {
    let results = try benchmarkDecode(paths: files, repeats: bench.repeats ?? 20)
    bench.report(results)
  }
}
