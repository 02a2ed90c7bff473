import CBLAS
import GlimpseIO
import Synchronization

/// OpenBLAS's AVX-512 kernels multiply a product with M·N·K ≤ 10⁶ directly (X·Wᵀ only with
/// M·N ≤ 1024 too) and pack a larger one first, which for a few rows (a decoder step) costs
/// more than the multiplication. So such a product is split into blocks the direct kernel takes,
/// when OpenBLAS runs one thread (the batch is shared out among the cores) or M ≤ 8 (where two
/// threads gained less than the blocks do):
/// - narrow: 1024/M columns (a multiple of 8) by as much of the depth as the limit allows, in
///   equal parts, only for blocks of 32 columns or more (M ≤ 32): narrower blocks ran slower
///   than packing. X·Wᵀ is always cut so.
/// - wide, for X·W with W as stored ([K, N]) and M ≤ 32 where the CPU was measured faster so
///   (`FewRowBlocks.measure`): whole rows of W, up to 32768/M columns, by a shallower depth, so
///   that each block reads W's rows from end to end. More rows are packed, as without blocks.
/// The measurements behind each bound are in the README (Performance: few-row blocks). Returns
/// the block sizes, or nil to make one call.
@inline(__always)
func smallProductBlocks(m: Int, n: Int, k: Int, wide: Bool, threads: Int32) -> (columns: Int, depth: Int)? {
  guard fewRowBlocks, blasSmallKernels, m * n > 1024 || m * n * k > 1_000_000 else { return nil }
  let columns = wide && m <= 32 ? min(32768 / m / 8 * 8, n) : min(1024 / m / 8 * 8, n)
  guard columns >= 32 || columns == n, m <= 8 || threads == 1 else { return nil }
  let parts = (k + 1_000_000 / (m * columns) - 1) / (1_000_000 / (m * columns))
  return (columns, (k + parts - 1) / parts)
}

/// `gemm`'s product (A not transposed) in `blocks`, the depth blocks after the first adding to
/// what the first wrote.
@inline(__always)
func productInBlocks(
  _ blocks: (columns: Int, depth: Int), transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
  a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float,
  c: UnsafeMutablePointer<Float>, ldc: Int
) {
  for start in stride(from: 0, to: n, by: blocks.columns) {
    for depth in stride(from: 0, to: k, by: blocks.depth) {
      let block = transposeB ? b + start * ldb + depth : b + depth * ldb + start
      glimpse_sgemm(
        CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans, Int32(m),
        Int32(min(blocks.columns, n - start)), Int32(min(blocks.depth, k - depth)), alpha, a + depth, Int32(lda),
        block, Int32(ldb), depth == 0 ? beta : 1, c + start, Int32(ldc))
    }
  }
}

let blasSmallKernels = glimpse_blas_small_kernels() != 0

/// Whether `gemm` may split few-row products into blocks. AllocationTests turn it off to count
/// our own allocations: OpenBLAS's direct kernel for X·W with beta ≠ 0 mallocs a 16 KB buffer
/// on every call.
nonisolated(unsafe) var fewRowBlocks = true

/// The two ways of cutting X·W (W as stored) into blocks, timed on the CPU at hand, for
/// `CalibratedTuning` to choose from.
public enum FewRowBlocks {
  private static let wide = Atomic<Bool>(false)

  /// Whether `gemm` cuts X·W into wide blocks; narrow until the measured choice is applied.
  public static var wideForPlainWeights: Bool {
    get { wide.load(ordering: .relaxed) }
    set { wide.store(newValue, ordering: .relaxed) }
  }

  /// The product timed: one core's share of 16 rows times a 2048×512 weight as stored, as the
  /// LSTM's backward step multiplies by W_hh (4 MB, more than a core's L2 on the CPUs seen).
  public static let measuredShape = (rows: 16, depth: 2048, columns: 512)

  /// The fastest of `repeats` rounds, each ten products narrow then ten wide, in ms per product
  /// to the microsecond; nil where OpenBLAS multiplies no product directly (nothing to choose).
  public static func measure(repeats: Int = 5) -> BlockTiming? {
    guard blasReady, blasSmallKernels else { return nil }
    let (m, k, n) = measuredShape
    let x = Tensor(zeros: [m, k]), weight = Tensor(zeros: [k, n]), out = Tensor(zeros: [m, n])
    for i in 0..<x.count { x.pointer[i] = Float(i % 17) / 17 - 0.5 }
    for i in 0..<weight.count { weight.pointer[i] = Float(i % 13) / 13 - 0.5 }
    var best = [Double.infinity, .infinity]
    for round in 0...repeats {
      for (index, wide) in [false, true].enumerated() {
        guard let blocks = smallProductBlocks(m: m, n: n, k: k, wide: wide, threads: 1) else { return nil }
        let start = monotonicSeconds()
        for _ in 0..<10 {
          productInBlocks(
            blocks, transposeB: false, m: m, n: n, k: k, alpha: 1, a: x.pointer, lda: k, b: weight.pointer, ldb: n,
            beta: 0, c: out.pointer, ldc: n)
        }
        if round > 0 { best[index] = min(best[index], (monotonicSeconds() - start) * 100) }
      }
    }
    return BlockTiming(
      narrowMilliseconds: (best[0] * 1000).rounded() / 1000, wideMilliseconds: (best[1] * 1000).rounded() / 1000)
  }

  /// Whether the wide blocks were faster by more than `tie`: near a tie the narrow ones, so that
  /// two machines with the same CPU rarely choose differently.
  public static func prefersWide(_ timing: BlockTiming, tie: Double = 0.03) -> Bool {
    timing.wideMilliseconds < timing.narrowMilliseconds * (1 - tie)
  }
}

/// One product of `FewRowBlocks.measuredShape` cut each way, in ms.
public struct BlockTiming: Equatable, Sendable {
  public var narrowMilliseconds: Double, wideMilliseconds: Double

  public init(narrowMilliseconds: Double, wideMilliseconds: Double) {
    (self.narrowMilliseconds, self.wideMilliseconds) = (narrowMilliseconds, wideMilliseconds)
  }
}
