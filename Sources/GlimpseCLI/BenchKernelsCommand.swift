import ArgumentParser
import GlimpseBench
import GlimpseTensor

struct BenchKernelsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "kernels",
    abstract: "GFLOP/s of the encoder (forward, backward) and the LSTM step next to raw sgemm on the same shapes.",
    discussion: """
      Each figure is the median of the timed repeats after two untimed warm-ups, with min and max. \
      The encoder's GFLOP/s count its multiply-adds as im2col does them; at batch 8 and above \
      conv2–conv4 run as Winograd F(2×2, 3×3), which does 2.25× fewer, so the share of raw sgemm \
      (timed on the im2col shapes) can exceed 100%.
      """
  )

  @Option(help: "Batch size.")
  var batch = 32

  @OptionGroup var bench: BenchOptions

  func validate() throws {
    guard (1...1024).contains(batch) else { throw ValidationError("--batch must be between 1 and 1024") }
  }

  func run() throws {
    try loadBLAS()
    let results = benchmarkKernels(repeats: bench.repeats ?? 10, batch: batch)
    bench.report(results)
  }
}
