import GlimpseCore
import GlimpseLayers
import GlimpseTensor
import GlimpseTestSupport
import XCTest

final class RNNStepTests: XCTestCase {
  var random = SeededGenerator(seed: 77)
  let (batch, hidden) = (3, 6)

  func testRNNStep() {
    let xProj = randomTensor([batch, hidden], &random), imageProj = randomTensor([batch, hidden], &random)
    let hPrev = randomTensor([batch, hidden], &random), whh = randomTensor([hidden, hidden], &random, scale: 0.5)
    let h = Tensor(zeros: [batch, hidden]), dpre = Tensor(zeros: [batch, hidden])
    let r = randomTensor(h.shape, &random)
    let (dx, dimage, dhPrev, dwhh) = (
      Tensor(zeros: xProj.shape), Tensor(zeros: imageProj.shape), Tensor(zeros: hPrev.shape), Tensor(zeros: whh.shape)
    )
    rnnStepForward(h: h, xProj: xProj, imageProj: imageProj, hPrev: hPrev, whh: whh)
    rnnStepBackward(
      dxProj: dx, dimageProj: dimage, dhPrev: dhPrev, dwhh: dwhh, dh: r, h: h, hPrev: hPrev, whh: whh, dpre: dpre)
    checkGradients(
      "rnn step",
      [("xProj", xProj, dx), ("imageProj", imageProj, dimage), ("hPrev", hPrev, dhPrev), ("Whh", whh, dwhh)]
    ) {
      rnnStepForward(h: h, xProj: xProj, imageProj: imageProj, hPrev: hPrev, whh: whh)
      return projection(h, r)
    }
  }
}
