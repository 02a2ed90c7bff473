import GlimpseCore
import GlimpseLayers
import GlimpseTensor
import GlimpseTestSupport
import XCTest

final class LinearTests: XCTestCase {
  var random = SeededGenerator(seed: 2024)

  func testLinear() {
    let (inp, weight, bias) = (
      randomTensor([2, 3, 5], &random), randomTensor([4, 5], &random), randomTensor([4], &random)
    )
    let out = Tensor(zeros: [2, 3, 4])
    let r = randomTensor([2, 3, 4], &random)
    let (dinp, dweight, dbias) = (Tensor(zeros: inp.shape), Tensor(zeros: weight.shape), Tensor(zeros: bias.shape))
    linearForward(out: out, inp: inp, weight: weight, bias: bias)
    linearBackward(dinp: dinp, dweight: dweight, dbias: dbias, dout: r, inp: inp, weight: weight)
    checkGradients("linear", [("inp", inp, dinp), ("weight", weight, dweight), ("bias", bias, dbias)]) {
      linearForward(out: out, inp: inp, weight: weight, bias: bias)
      return projection(out, r)
    }
  }
}
