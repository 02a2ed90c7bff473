import ArgumentParser
import GlimpseBench

struct BenchOverlapCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "overlap",
    abstract: "Training steps as one machine of a cluster would take them: gradient sums after or during backward.",
    discussion: """
      Each machine computes a batch of 32 as this one does; the network is simulated: a ring of N machines \
      whose links carry --gbit Gbit/s with --latency-us µs per hop, an allreduce of S bytes taking \
      2(N−1)/N·S/B + 2(N−1)·a, slept by the thread that would wait for it (no CPU time, as with a NIC's \
      offloads). For each N it gives ms per step with one allreduce after the backward pass, and with the \
      gradients the backward pass finishes early summed while it computes the rest (what glimpse train does \
      under mpirun), and each as an efficiency: the step alone over the step with its sums. \
      scripts/bench_scaling runs it with the link it fits to TCP between network namespaces, and with a real \
      10 Gbit/s link's figures.
      """
  )

  @OptionGroup var bench: BenchOptions

  @Option(help: "The number of machines, one or more, comma-separated.")
  var machines = "8,16,64"

  @Option(help: "Each link's rate in Gbit/s (9.4: the TCP payload of a 10 Gbit/s Ethernet link).")
  var gbit = 9.4

  @Option(name: .customLong("latency-us"), help: "µs per hop of the ring.")
  var latencyMicroseconds = 50.0

  @Option(help: "small.attention, photo.attention, or all.")
  var model = "all"

  var machineCounts: [Int] { machines.split(separator: ",").compactMap { Int($0) } }

  func validate() throws {
    let counts = machines.split(separator: ",")
    guard !counts.isEmpty, counts.allSatisfy({ (Int($0) ?? 0) >= 2 }) else {
      throw ValidationError("--machines must be whole numbers of at least 2, comma-separated (got '\(machines)')")
    }
    guard gbit > 0 else { throw ValidationError("--gbit must be positive") }
    guard latencyMicroseconds >= 0 else { throw ValidationError("--latency-us must not be negative") }
    guard model == "all" || OverlapModel(rawValue: model) != nil else {
      throw ValidationError("--model must be small.attention, photo.attention or all (got '\(model)')")
    }
  }

  func run() throws {
    let models = OverlapModel(rawValue: model).map { [$0] } ?? OverlapModel.allCases
    var results = [Measurement]()
    for model in models {
      results += try benchmarkOverlap(
        model, machines: machineCounts, bytesPerSecond: gbit * 1e9 / 8, latency: latencyMicroseconds * 1e-6,
        repeats: bench.repeats ?? 5)
    }
    bench.report(results)
  }
}
