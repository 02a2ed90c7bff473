import ArgumentParser
import GlimpseBench
import GlimpseTensor

/// Options every benchmark takes; each command has its own default repeat count.
struct BenchOptions: ParsableArguments {
  @Option(help: "Timed repeats per figure (each command has its own default).")
  var repeats: Int?

  @Flag(
    help: """
      Print JSON: {machine: {cpu, cpu_identity, vector_extensions, caches, openblas, openblas_core, cores, \
      openblas_threads}, figures: [{name, unit, median, min, max}]}.
      """)
  var json = false

  func validate() throws {
    if let repeats, repeats <= 0 { throw ValidationError("--repeats must be positive") }
  }

  /// Prints the figures after the machine they were measured on.
  func report(_ results: [Measurement]) {
    let machine = MachineDescription.current()
    print(json ? benchReportJSON(machine: machine, results) : machine.summary + "\n" + measurementsTable(results))
  }
}
