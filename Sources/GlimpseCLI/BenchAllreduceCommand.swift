import ArgumentParser
import GlimpseBench
import GlimpseDistributed

struct BenchAllreduceCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "allreduce",
    abstract: "ms per step that summing each model's gradients over the ranks of an MPI job takes.",
    discussion: """
      Run it under mpirun (mpirun -np 2 glimpse bench allreduce): each figure is one fused allreduce of a \
      model's whole gradient, as a training step does it, the median of the timed repeats; rank 0 prints them. \
      Alone it measures one process, where a sum costs nothing. scripts/bench_scaling runs it over shared \
      memory and over TCP between network namespaces.
      """
  )

  @OptionGroup var bench: BenchOptions

  func run() throws {
    try runAsRanks { communicator in
      var results = [Measurement]()
      for (name, floats) in allreducePayloads() {
        results.append(
          Measurement(name: "allreduce.\(name).payload", unit: "MB", samples: [Double(floats * 4) / 1e6]))
        results.append(
          try benchmarkAllreduce(communicator, name: name, floats: floats, repeats: bench.repeats ?? 20))
      }
      if communicator.isRoot { bench.report(results) }
    }
  }
}
