import ArgumentParser
import GlimpseBench
import GlimpseTensor

struct BenchKernelsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "kernels",
    abstract: "GFLOP/s of the encoder (forward, backward) and the LSTM step next to raw sgemm on the same shapes.",
    discussion: "Each figure is the median of the timed repeats after two untimed warm-ups, with min and max."
  )

  @Option(help: "Timed repeats per figure.")
  var repeats = 10

  @Option(help: "Batch size.")
  var batch = 32

  @Flag(help: "Print a JSON array of {name, unit, median, min, max}.")
  var json = false

  func validate() throws {
    guard repeats > 0 else { throw ValidationError("--repeats must be positive") }
    guard (1...1024).contains(batch) else { throw ValidationError("--batch must be between 1 and 1024") }
  }

  func run() throws {
    try loadBLAS()
    let results = benchmarkKernels(repeats: repeats, batch: batch)
    print(json ? measurementsJSON(results) : measurementsTable(results))
  }
}
