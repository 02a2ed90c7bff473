import ArgumentParser
import GlimpseBench
import GlimpseTensor

struct BenchSuiteCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "suite",
    abstract: "The whole suite: training, captioning, VQA, the encoder and sgemm (what `glimpse bench` runs).",
    discussion: """
      The glimpse-small models on synthetic inputs (64 words, 32 answers, 16-token captions, \
      8-word questions). Training: images/s of whole steps (forward, backward, clipping, Adam) \
      at batch 32, and effective GFLOP/s (3 × forward multiply-adds × 2). Captioning: ms for one \
      image (16 greedy steps, no early stop), beam 3, images/s at batch 32. VQA: ms per answer. \
      The encoder's forward GFLOP/s beside raw cblas_sgemm on its shapes and the sgemm ceiling \
      (1024³), and the peak resident memory after training. Each figure is the median of the \
      timed repeats after warm-ups, with min and max. Progress goes to stderr.
      """
  )

  @OptionGroup var bench: BenchOptions

  @Option(
    name: .customLong("only"), parsing: .upToNextOption,
    help: "Run only these parts: \(benchSuiteParts.joined(separator: ", ")) (default: all).")
  var parts: [String] = []

  func validate() throws {
    if let unknown = parts.first(where: { !benchSuiteParts.contains($0) }) {
      throw ValidationError(
        "--only: no part named '\(unknown)'; the parts are \(benchSuiteParts.joined(separator: ", "))")
    }
  }

  func run() throws {
    try loadBLAS()
    var stream = StandardError()
    print("OpenBLAS kernels: \(blasCoreName)", to: &stream)
    let results = benchmarkSuite(parts: parts.isEmpty ? benchSuiteParts : parts, repeats: bench.repeats ?? 5) {
      print("measuring \($0)…", to: &stream)
    }
    bench.report(results)
  }
}
