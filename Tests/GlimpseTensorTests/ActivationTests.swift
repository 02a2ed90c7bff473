import GlimpseCore
import Foundation
import GlimpseTensor
import CKernels
import XCTest

final class ActivationTests: XCTestCase {
  /// A dense sweep of inputs (count not a multiple of 8, so the tail runs too).
  let inputs: [Float] = stride(from: Float(-30), through: 30, by: 0.001).map { $0 }

  func testExpMatchesLibm() {
    let xs = stride(from: Float(-80), through: 80, by: 0.003).map { $0 }
    var out = [Float](repeating: 0, count: xs.count)
    vectorExp(xs, &out, count: xs.count)
    var worst: Float = 0
    for (x, y) in zip(xs, out) { worst = max(worst, abs(y - expf(x)) / expf(x)) }
    XCTAssertLessThan(worst, 3e-7, "worst relative error of exp")
  }

  func testTanhMatchesLibm() {
    var out = [Float](repeating: 0, count: inputs.count)
    vectorTanh(inputs, &out, count: inputs.count)
    var worstAbsolute: Float = 0
    var worstRelative: Float = 0
    for (x, y) in zip(inputs, out) {
      let exact = Float(tanh(Double(x)))
      worstAbsolute = max(worstAbsolute, abs(y - exact))
      if exact != 0 { worstRelative = max(worstRelative, abs(y - exact) / abs(exact)) }
    }
    XCTAssertLessThan(worstAbsolute, 2e-7)
    XCTAssertLessThan(worstRelative, 1e-6)
    XCTAssertEqual(fastTanh(0), 0)
    XCTAssertEqual(fastTanh(100), 1)
    XCTAssertEqual(fastTanh(-100), -1)
  }

  func testSigmoidMatchesLibm() {
    var out = [Float](repeating: 0, count: inputs.count)
    vectorSigmoid(inputs, &out, count: inputs.count)
    var worst: Float = 0
    for (x, y) in zip(inputs, out) {
      let exact = Float(1 / (1 + exp(-Double(x))))
      worst = max(worst, abs(y - exact) / exact)
    }
    XCTAssertLessThan(worst, 1e-6)
    XCTAssertEqual(fastSigmoid(0), 0.5)
  }

  func testInPlace() {
    var values: [Float] = [0, 1, -2, 3, 0.5]
    values.withUnsafeMutableBufferPointer { vectorTanh($0.baseAddress!, $0.baseAddress!, count: 5) }
    XCTAssertEqual(values[1], Float(tanh(1.0)), accuracy: 1e-7)
  }

  /// The fused additive-attention score against the scalar loop, for a width of eight-lane
  /// blocks and one with a tail, with and without keeping tanh's outputs.
  func testTanhScoresMatchThePlainLoop() {
    var random = SeededGenerator(seed: 3)
    for (rows, width) in [(64, 256), (5, 37)] {
      let keys = (0..<(rows * width)).map { _ in random.nextSymmetric(3) }
      let query = (0..<width).map { _ in random.nextSymmetric(3) }
      let w = (0..<width).map { _ in random.nextSymmetric(1) }
      var (pre, scores) = ([Float](repeating: 0, count: rows * width), [Float](repeating: 0, count: rows))
      var (plainPre, plainScores) = (pre, scores)
      var scoresAlone = scores
      tanhScores(keys: keys, query: query, w: w, rows: rows, width: width, pre: &pre, scores: &scores)
      tanhScoresPlain(keys: keys, query: query, w: w, rows: rows, width: width, pre: &plainPre, scores: &plainScores)
      tanhScores(keys: keys, query: query, w: w, rows: rows, width: width, pre: nil, scores: &scoresAlone)
      for i in 0..<(rows * width) {
        XCTAssertEqual(pre[i], plainPre[i], accuracy: 3e-7, "pre \(i) of \(rows)×\(width)")
      }
      for r in 0..<rows {
        XCTAssertEqual(scores[r], plainScores[r], accuracy: 2e-5, "score \(r) of \(rows)×\(width)")
        XCTAssertEqual(scoresAlone[r], scores[r], "score \(r) without pre")
      }
    }
  }

  /// Sixteen lanes (AVX-512) give the eight-lane loop's bits, for widths of whole sixteens, of an
  /// odd number of eights, with a tail, and for values at the branch (±0.625), the clamps of exp
  /// and beyond. Skipped, saying so, on a CPU without AVX-512 F, where the kernel cannot run.
  func testTanhScoresInSixteenLanesGiveTheEightLaneBits() throws {
    XCTAssertTrue(RunTimeTuning.tanhScoresWide(flags: ["avx512f", "avx2"]))
    XCTAssertFalse(RunTimeTuning.tanhScoresWide(flags: ["avx2", "fma"]))
    guard glimpse_tanh_scores_wide() != 0 else {
      throw XCTSkip("this CPU has no AVX-512 F: the sixteen-lane kernel cannot run here (the Xeon and EPYC have it)")
    }
    var random = SeededGenerator(seed: 5)
    let specials: [Float] = [0.625, -0.625, 0.624_999_94, 0, -0, 44, -44, 60, 1e-30, 9, -9, 0.3125]
    for (rows, width) in [(64, 256), (3, 24), (5, 37), (2, 8), (2, 7), (4, 40)] {
      var keys = (0..<(rows * width)).map { _ in random.nextSymmetric(4) }
      for (i, value) in specials.enumerated() where i < keys.count { keys[i * 3 % keys.count] = value }
      let query = (0..<width).map { _ in random.nextSymmetric(0.5) }
      let w = (0..<width).map { _ in random.nextSymmetric(1) }
      var (pre, scores) = ([Float](repeating: 0, count: rows * width), [Float](repeating: 0, count: rows))
      var (lanePre, laneScores) = (pre, scores)
      XCTAssertEqual(glimpse_tanh_scores(keys, query, w, Int32(rows), Int32(width), &pre, &scores), 1)
      tanhScoresEightLanes(keys: keys, query: query, w: w, rows: rows, width: width, pre: &lanePre, scores: &laneScores)
      let differentPre = pre.indices.filter { pre[$0].bitPattern != lanePre[$0].bitPattern }
      let differentScores = scores.indices.filter { scores[$0].bitPattern != laneScores[$0].bitPattern }
      XCTAssertEqual(differentPre.count, 0, "pre of \(rows)×\(width) differs first at \(differentPre.first ?? 0)")
      XCTAssertEqual(
        differentScores.count, 0, "scores of \(rows)×\(width) differ first at \(differentScores.first ?? 0)")
    }
  }

  func testTanhScoresBackwardMatchesThePlainLoop() {
    var random = SeededGenerator(seed: 4)
    for (rows, width) in [(64, 256), (5, 37)] {
      let pre = (0..<(rows * width)).map { _ in random.nextSymmetric(1) }
      let w = (0..<width).map { _ in random.nextSymmetric(1) }
      let dscores = (0..<rows).map { _ in random.nextSymmetric(1) }
      var dkeys = (0..<(rows * width)).map { _ in random.nextSymmetric(1) }
      var dquery = (0..<width).map { _ in random.nextSymmetric(1) }
      var (plainDkeys, plainDquery) = (dkeys, dquery)
      tanhScoresBackward(dscores: dscores, pre: pre, w: w, rows: rows, width: width, dkeys: &dkeys, dquery: &dquery)
      tanhScoresBackwardPlain(
        dscores: dscores, pre: pre, w: w, rows: rows, width: width, dkeys: &plainDkeys, dquery: &plainDquery)
      for i in 0..<(rows * width) {
        XCTAssertEqual(dkeys[i], plainDkeys[i], accuracy: 1e-6, "dkeys \(i) of \(rows)×\(width)")
      }
      for a in 0..<width {
        XCTAssertEqual(dquery[a], plainDquery[a], accuracy: 1e-5, "dquery \(a) of \(rows)×\(width)")
      }
    }
  }
}

/// `softmaxRow` against the plain loops it replaces in the cross-entropy: probabilities within
/// float rounding, and log Σ exp from its largest logit and sum within 1e-6 of a Double sum, for
/// rows of every length modulo 8, wide ranges, and a row whose largest logit is in the tail.
final class SoftmaxRowTests: XCTestCase {
  func testMatchesThePlainLoops() {
    var random = SeededGenerator(seed: 41)
    for count in [1, 7, 8, 9, 64, 1000, 10_003] {
      for spread: Float in [1, 30] {
        var logits = (0..<count).map { _ in spread * (2 * random.nextUnit() - 1) }
        if count > 8 { logits[count - 1] = spread + 1 }
        var probs = [Float](repeating: 0, count: count)
        let (largest, sum) = softmaxRow(logits, into: &probs, count: count)
        let top = logits.max()!
        let exps = logits.map { exp(Double($0 - top)) }
        let plainSum = exps.reduce(0, +)
        XCTAssertEqual(largest, top)
        XCTAssertEqual(Double(largest) + log(Double(sum)), Double(top) + log(plainSum), accuracy: 1e-6)
        for i in 0..<count {
          XCTAssertEqual(Double(probs[i]), exps[i] / plainSum, accuracy: 2e-6 * max(exps[i] / plainSum, 1e-3))
        }
      }
    }
  }
}
