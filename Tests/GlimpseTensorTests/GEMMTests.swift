import GlimpseCore
@testable import GlimpseTensor
import XCTest

final class GEMMTests: XCTestCase {
  /// All four transpose cases, with padded leading dimensions and beta ≠ 0, against the loops;
  /// also one row and one column of C, which take the sgemv path.
  func testBLASMatchesNaiveLoops() {
    for (m, n, k) in [(13, 7, 29), (1, 7, 29), (13, 1, 29), (1, 1, 5)] { check(m: m, n: n, k: k) }
  }

  /// A few rows times a wide or deep weight goes to OpenBLAS in blocks of columns and depth
  /// where its direct kernel is available (one thread, or at most 8 rows); sizes that leave
  /// partial blocks, and depths split in two and in three.
  func testFewRowsTimesAWideMatrix() {
    let threads = blasThreads
    defer { blasThreads = threads }
    for count in [1, 2] {
      blasThreads = count
      for (m, n, k) in [(16, 1000, 512), (3, 700, 300), (32, 200, 40)] { check(m: m, n: n, k: k, accuracy: 1e-4) }
      for (m, n, k) in [(16, 520, 2048), (5, 300, 1500), (8, 100, 9000)] { check(m: m, n: n, k: k, accuracy: 1e-3) }
    }
  }

  /// X·W with W as stored in wide blocks (whole rows of W, a shallower depth) gives what the
  /// loops give, as the narrow blocks do; X·Wᵀ is cut narrow either way.
  func testFewRowsInWideBlocks() {
    let (threads, wide) = (blasThreads, FewRowBlocks.wideForPlainWeights)
    defer { (blasThreads, FewRowBlocks.wideForPlainWeights) = (threads, wide) }
    blasThreads = 1
    for chosen in [false, true] {
      FewRowBlocks.wideForPlainWeights = chosen
      for (m, n, k) in [(16, 512, 2048), (5, 3000, 700), (16, 2100, 300)] { check(m: m, n: n, k: k, accuracy: 1e-3) }
    }
  }

  /// The blocks each way for one core's 16 rows: narrow 64 columns by 683 of W_hh's 2048-deep
  /// rows in three parts, wide all 512 columns by 121 in seventeen; at most 32768/M columns, and
  /// only for up to 32 rows.
  func testTheBlocksOfEachShape() throws {
    let blocks = { (m: Int, n: Int, k: Int, wide: Bool) in
      try XCTUnwrap(smallProductBlocks(m: m, n: n, k: k, wide: wide, threads: 1))
    }
    XCTAssertTrue(try blocks(16, 512, 2048, false) == (64, 683))
    XCTAssertTrue(try blocks(16, 512, 2048, true) == (512, 121))
    XCTAssertTrue(try blocks(16, 4096, 512, true) == (2048, 29))
    XCTAssertTrue(try blocks(2, 700, 3000, true) == (700, 600))
    // Two OpenBLAS threads keep their own way for more than 8 rows.
    XCTAssertNil(smallProductBlocks(m: 16, n: 512, k: 2048, wide: true, threads: 2))
    // More than 32 rows are packed either way (as a share's 256 rows times W_ih in training).
    XCTAssertNil(smallProductBlocks(m: 256, n: 256, k: 2048, wide: true, threads: 1))
    XCTAssertNil(smallProductBlocks(m: 40, n: 512, k: 2048, wide: true, threads: 1))
  }

  func check(m: Int, n: Int, k: Int, accuracy: Float = 1e-5) {
    var random = SeededGenerator(seed: 1)
    for transposeA in [false, true] {
      for transposeB in [false, true] {
        let lda = (transposeA ? m : k) + 3
        let ldb = (transposeB ? k : n) + 2
        let ldc = n + 1
        let a = (0..<((transposeA ? k : m) * lda)).map { _ in random.nextSymmetric(1) }
        let b = (0..<((transposeB ? n : k) * ldb)).map { _ in random.nextSymmetric(1) }
        var fast = (0..<(m * ldc)).map { _ in random.nextSymmetric(1) }
        var plain = fast
        gemm(
          transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.5,
          a: a, lda: lda, b: b, ldb: ldb, beta: 0.25, c: &fast, ldc: ldc)
        naiveGemm(
          transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.5,
          a: a, lda: lda, b: b, ldb: ldb, beta: 0.25, c: &plain, ldc: ldc)
        for i in 0..<fast.count {
          XCTAssertEqual(
            fast[i], plain[i], accuracy: accuracy,
            "\(m)×\(n)×\(k) transposeA \(transposeA) transposeB \(transposeB) at \(i)")
        }
      }
    }
  }
}
