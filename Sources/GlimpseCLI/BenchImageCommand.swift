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

  @Option(help: "Timed repeats per file.")
  var repeats = 20

  @Flag(help: "Print a JSON array of {name, unit, median, min, max}.")
  var json = false

  func validate() throws {
    guard !files.isEmpty else { throw ValidationError("give at least one image file") }
    guard repeats > 0 else { throw ValidationError("--repeats must be positive") }
  }

  func run() throws {
    let results = try benchmarkDecode(paths: files, repeats: repeats)
    print(json ? measurementsJSON(results) : measurementsTable(results))
  }
}
