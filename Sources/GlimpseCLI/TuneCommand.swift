import ArgumentParser
import GlimpseIO
import GlimpseModels
import GlimpseTensor

struct TuneCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tune",
    abstract: "Show the tuning choices glimpse makes on this CPU, and measure them again.",
    discussion: """
      Most choices follow from what the CPU reports (its vector extensions, its core count, the kernels OpenBLAS \
      runs). Four are measured instead, once per CPU (about 1.2 s): the batch from which the encoder's 3×3 layers \
      run as Winograd, whether a loaded model's encoder runs through oneDNN, for one image and for batches, \
      whether training runs the encoder through oneDNN, and how the backward steps' few-row products are cut into \
      blocks for OpenBLAS. They are measured the first time they are needed, and \
      cached in $GLIMPSE_TUNING_CACHE, else $XDG_CACHE_HOME/glimpse/tuning.json, else \
      ~/.cache/glimpse/tuning.json, with one entry per CPU model. A cache that cannot be read or written costs a \
      new measurement, never a choice made for another CPU.
      """
  )

  @Flag(help: "Measure again, whatever the cache holds, and save the result.")
  var refresh = false

  @Flag(help: "Print JSON: {machine, cache, source, problems, decisions: [{choice, value, why}]}.")
  var json = false

  func run() throws {
    let machine = MachineDescription.current()
    let resolution = refresh ? CalibratedTuning.refresh() : CalibratedTuning.current
    let decisions = tuningDecisions(machine: machine, resolution: resolution)
    if json {
      let report = JSONValue.object([
        ("machine", machine.json), ("cache", resolution.cachePath.map(JSONValue.string) ?? .null),
        ("source", .string("\(resolution.source)")), ("problems", .array(resolution.problems.map(JSONValue.string))),
        (
          "decisions",
          .array(
            decisions.map {
              .object([("choice", .string($0.choice)), ("value", .string($0.value)), ("why", .string($0.why))])
            })
        ),
      ])
      print(report.text)
      return
    }
    print(machine.summary)
    print("tuning cache: \(resolution.cachePath ?? "none")")
    for problem in resolution.problems { printWarning(problem) }
    let width = decisions.map(\.choice.count).max() ?? 0
    for decision in decisions {
      let padding = String(repeating: " ", count: width - decision.choice.count)
      print("\(decision.choice)\(padding)  \(decision.value)  (\(decision.why))")
    }
  }
}
