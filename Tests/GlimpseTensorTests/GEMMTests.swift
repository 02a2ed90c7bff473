import GlimpseCore
import GlimpseTensor
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
