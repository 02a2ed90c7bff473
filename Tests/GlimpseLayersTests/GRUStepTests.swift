import GlimpseCore
import GlimpseLayers
import GlimpseTensor
import GlimpseTestSupport
import XCTest

final class GRUStepTests: XCTestCase {
  var random = SeededGenerator(seed: 77)
  let (batch, hidden) = (3, 6)

  /// The GRU step: gradients of the input side (x·W_ihᵀ + b_ih), hPrev, W_hh and b_hh. W_hh's and
  /// b_hh's come from dhGates, as GRUDecoder makes them for all steps at once.
  func testGRUStep() {
    let input = randomTensor([batch, 3 * hidden], &random)
    let hPrev = randomTensor([batch, hidden], &random)
    let whh = randomTensor([3 * hidden, hidden], &random, scale: 0.5),
      bhh = randomTensor([3 * hidden], &random, scale: 0.5)
    let gates = Tensor(zeros: input.shape), hGates = Tensor(zeros: input.shape), h = Tensor(zeros: [batch, hidden])
    let rh = randomTensor(h.shape, &random)
    func forward() {
      gates.assign(input)
      gruStepForward(gates: gates, hGates: hGates, h: h, hPrev: hPrev, whh: whh, bhh: bhh)
    }
    forward()
    let (dgates, dhGates, dhPrev) = (Tensor(zeros: gates.shape), Tensor(zeros: gates.shape), Tensor(zeros: hPrev.shape))
    gruStepBackward(
      dgates: dgates, dhGates: dhGates, dhPrev: dhPrev, dh: rh, gates: gates, hGates: hGates, hPrev: hPrev, whh: whh)
    let (dwhh, dbhh) = (Tensor(zeros: whh.shape), Tensor(zeros: bhh.shape))
    gemm(
      transposeA: true, transposeB: false, m: 3 * hidden, n: hidden, k: batch, a: dhGates.pointer, lda: 3 * hidden,
      b: hPrev.pointer, ldb: hidden, beta: 0, c: dwhh.pointer, ldc: hidden)
    addRowSums(dhGates.pointer, rows: batch, columns: 3 * hidden, into: dbhh.pointer)
    checkGradients(
      "gru step", [("gate input", input, dgates), ("hPrev", hPrev, dhPrev), ("W_hh", whh, dwhh), ("b_hh", bhh, dbhh)]
    ) {
      forward()
      return projection(h, rh)
    }
  }
}
