import ArgumentParser
import GlimpseBench

/// Options every benchmark takes; each command has its own default repeat count.
struct BenchOptions: ParsableArguments {
  @Option(help: "Timed repeats per figure (each command has its own default).")
  var repeats: Int?

  @Flag(help: "Print a JSON array of {name, unit, median, min, max}.")
  var json = false

  func validate() throws {
    if let repeats, repeats <= 0 { throw ValidationError("--repeats must be positive") }
  }

  func report(_ results: [Measurement]) {
    print(json ? measurementsJSON(results) : measurementsTable(results))
  }
}
