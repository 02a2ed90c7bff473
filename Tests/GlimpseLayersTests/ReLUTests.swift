import GlimpseCore
import GlimpseLayers
import GlimpseTensor
import GlimpseTestSupport
import XCTest

final class ReLUTests: XCTestCase {
  var random = SeededGenerator(seed: 2024)

  func testReLU() {
    // Inputs kept away from the kink at 0, where a central difference is meaningless.
    let inp = randomTensor([3, 7], &random)
    for i in 0..<inp.count where abs(inp.pointer[i]) < 0.05 { inp.pointer[i] += 0.1 }
    let out = Tensor(zeros: inp.shape), dinp = Tensor(zeros: inp.shape)
    let r = randomTensor(inp.shape, &random)
    reluForward(out: out, inp: inp)
    reluBackward(dinp: dinp, dout: r, out: out)
    checkGradients("relu", [("inp", inp, dinp)]) {
      reluForward(out: out, inp: inp)
      return projection(out, r)
    }
  }
}
