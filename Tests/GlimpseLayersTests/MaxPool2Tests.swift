import GlimpseCore
import GlimpseLayers
import GlimpseTensor
import GlimpseTestSupport
import XCTest

final class MaxPool2Tests: XCTestCase {
  var random = SeededGenerator(seed: 2024)

  func testMaxPool2() {
    // Distinct values, far apart, so ±ε never changes which element is the maximum.
    let count = 2 * 3 * 4 * 6
    var order = Array(0..<count)
    order.shuffle(using: &random)
    let inp = Tensor(shape: [2, 3, 4, 6], values: order.map { Float($0) * 0.1 })
    let out = Tensor(zeros: [2, 3, 2, 3]), dinp = Tensor(zeros: inp.shape)
    let r = randomTensor(out.shape, &random)
    maxPool2Forward(out: out, inp: inp, planes: 6, height: 4, width: 6)
    maxPool2Backward(dinp: dinp, dout: r, inp: inp, planes: 6, height: 4, width: 6)
    checkGradients("maxpool2", [("inp", inp, dinp)]) {
      maxPool2Forward(out: out, inp: inp, planes: 6, height: 4, width: 6)
      return projection(out, r)
    }
  }
}
