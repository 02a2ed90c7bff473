import GlimpseCore
import GlimpseLayers
import GlimpseTensor
import GlimpseTestSupport
import XCTest

final class LSTMStepTests: XCTestCase {
  var random = SeededGenerator(seed: 77)
  let (batch, hidden) = (3, 6)

  func testLSTMStep() {
    let input = randomTensor([batch, 4 * hidden], &random)  // x·W_ihᵀ + biases
    let cPrev = randomTensor([batch, hidden], &random), hPrev = randomTensor([batch, hidden], &random)
    let whh = randomTensor([4 * hidden, hidden], &random, scale: 0.5)
    let gates = Tensor(zeros: input.shape), c = Tensor(zeros: [batch, hidden]), tanhC = Tensor(zeros: [batch, hidden]),
      h = Tensor(zeros: [batch, hidden])
    let (rh, rc) = (randomTensor(h.shape, &random), randomTensor(c.shape, &random))
    func forward() {
      gates.assign(input)
      lstmStepForward(gates: gates, c: c, tanhC: tanhC, h: h, cPrev: cPrev, hPrev: hPrev, whh: whh)
    }
    forward()
    let (dgates, dcPrev, dhPrev, dwhh) = (
      Tensor(zeros: gates.shape), Tensor(zeros: cPrev.shape), Tensor(zeros: hPrev.shape), Tensor(zeros: whh.shape)
    )
    // The loss reads h and c: dc = rc stands for the cell gradient arriving from step t + 1.
    lstmStepBackward(
      dgates: dgates, dcPrev: dcPrev, dhPrev: dhPrev, dwhh: dwhh, dh: rh, dc: rc,
      gates: gates, tanhC: tanhC, cPrev: cPrev, hPrev: hPrev, whh: whh)
    checkGradients(
      "lstm step",
      [("gate input", input, dgates), ("cPrev", cPrev, dcPrev), ("hPrev", hPrev, dhPrev), ("W_hh", whh, dwhh)]
    ) {
      forward()
      return projection(h, rh) + projection(c, rc)
    }
  }
}
