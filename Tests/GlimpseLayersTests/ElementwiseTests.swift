import GlimpseCore
import GlimpseLayers
import GlimpseTensor
import GlimpseTestSupport
import XCTest

final class ElementwiseTests: XCTestCase {
  var random = SeededGenerator(seed: 2024)

  func testTanhAndSigmoid() {
    let inp = randomTensor([3, 11], &random, scale: 2)
    let r = randomTensor(inp.shape, &random)
    let out = Tensor(zeros: inp.shape), dinp = Tensor(zeros: inp.shape)
    tanhForward(out: out, inp: inp)
    tanhBackward(dinp: dinp, dout: r, out: out)
    checkGradients("tanh", [("inp", inp, dinp)]) {
      tanhForward(out: out, inp: inp)
      return projection(out, r)
    }
    let dsig = Tensor(zeros: inp.shape)
    sigmoidForward(out: out, inp: inp)
    sigmoidBackward(dinp: dsig, dout: r, out: out)
    checkGradients("sigmoid", [("inp", inp, dsig)]) {
      sigmoidForward(out: out, inp: inp)
      return projection(out, r)
    }
  }
}
