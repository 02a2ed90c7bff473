import GlimpseCore
import GlimpseTensor
import XCTest

final class HalfWeightsTests: XCTestCase {
  /// Values float16 holds, from a strided source.
  func halfValues(_ count: Int, _ random: inout SeededGenerator) -> [Float] {
    let special: [Float] = [
      Float(Float16.leastNonzeroMagnitude) * 3, -0.0, Float(-Float16.leastNormalMagnitude), 65504,
    ]
    return (0..<count).map { i in
      i % 11 == 5 ? special[i / 11 % special.count] : Float(Float16(random.nextSymmetric(1)))
    }
  }

  /// A matrix is kept only if float16 holds every value; the copy reads the source's rows
  /// through its stride.
  func testOnlyWeightsFloat16HoldsAreCopied() throws {
    var random = SeededGenerator(seed: 3)
    var values = halfValues(4 * 7, &random)
    let copy = try XCTUnwrap(HalfMatrix(values, rows: 4, columns: 5, stride: 7))
    XCTAssertEqual([copy.rows, copy.columns], [4, 5])
    for r in 0..<4 {
      for c in 0..<5 { XCTAssertEqual(Float(copy.base[r * 5 + c]), values[r * 7 + c]) }
    }
    values[2 * 7 + 4] = 0.1  // float16 rounds 0.1
    XCTAssertNil(HalfMatrix(values, rows: 4, columns: 5, stride: 7))
    values[2 * 7 + 4] = 1e-8  // below float16's smallest subnormal
    XCTAssertNil(HalfMatrix(values, rows: 4, columns: 5, stride: 7))
    values[2 * 7 + 4] = 0.25
    values[2 * 7 + 6] = 0.1  // outside the five columns: not read
    XCTAssertNotNil(HalfMatrix(values, rows: 4, columns: 5, stride: 7))
  }

  /// The kernel (vectorised on this CPU) and its portable C loops equal the plain Swift loops for
  /// one to five rows (groups of four and a remainder), depths with and without a tail of fewer
  /// than 8, column ranges that leave fewer than four columns, beta 0 and 1; subnormal, infinite
  /// and negative-zero weights convert as float16 defines them.
  func testHalfProductEqualsPlainLoops() throws {
    XCTAssertTrue(halfProductVectorised, "this CPU has AVX2, FMA and F16C (x86-64-v3, which the build requires)")
    var random = SeededGenerator(seed: 4)
    for (m, n, k) in [
      (1, 40, 512), (1, 9, 37), (2, 33, 48), (3, 17, 1280), (4, 8, 100), (5, 6, 16), (1, 3, 5), (6, 7, 13),
    ] {
      let weight = try XCTUnwrap(HalfMatrix(halfValues(n * k, &random), rows: n, columns: k, stride: k))
      let ldx = k + 3
      let x = (0..<(m * ldx)).map { _ in random.nextSymmetric(1) }
      let start = (0..<(m * n)).map { _ in random.nextSymmetric(1) }
      for beta: Float in [0, 1] {
        for columns in [0..<n, (n / 3)..<n] {
          var fast = start, portable = start, plain = start
          halfProduct(x: x, ldx: ldx, m: m, weight: weight, columns: columns, beta: beta, out: &fast, ldo: n)
          halfProduct(
            x: x, ldx: ldx, m: m, weight: weight, columns: columns, beta: beta, out: &portable, ldo: n, portable: true)
          halfProductPlain(x: x, ldx: ldx, m: m, weight: weight, columns: columns, beta: beta, out: &plain, ldo: n)
          for i in 0..<(m * n) {
            let accuracy = 1e-5 * Float(k).squareRoot() * max(1, abs(plain[i]))
            XCTAssertEqual(fast[i], plain[i], accuracy: accuracy, "m \(m) n \(n) k \(k) at \(i)")
            XCTAssertEqual(portable[i], plain[i], accuracy: accuracy, "portable, m \(m) n \(n) k \(k) at \(i)")
          }
          for r in 0..<m {
            for j in 0..<n where !columns.contains(j) { XCTAssertEqual(fast[r * n + j], start[r * n + j]) }
          }
        }
      }
    }
  }
}
