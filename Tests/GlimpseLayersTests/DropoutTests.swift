import GlimpseCore
import GlimpseLayers
import GlimpseTensor
import GlimpseTestSupport
import XCTest

final class DropoutTests: XCTestCase {
  var random = SeededGenerator(seed: 2024)

  func testDropout() {
    let inp = randomTensor([1000], &random)
    let (out, mask, dinp) = (Tensor(zeros: [1000]), Tensor(zeros: [1000]), Tensor(zeros: [1000]))
    var first = SeededGenerator(seed: 5), second = SeededGenerator(seed: 5)
    dropoutForward(out: out, inp: inp, mask: mask, probability: 0.25, training: true, random: &first)
    let kept = mask.values.filter { $0 != 0 }
    XCTAssertTrue(kept.allSatisfy { abs($0 - 1 / 0.75) < 1e-6 })
    XCTAssertEqual(Double(kept.count) / 1000, 0.75, accuracy: 0.05)
    let again = Tensor(zeros: [1000]), maskAgain = Tensor(zeros: [1000])
    dropoutForward(out: again, inp: inp, mask: maskAgain, probability: 0.25, training: true, random: &second)
    XCTAssertEqual(again.values, out.values, "same seed, same mask")
    let r = randomTensor([1000], &random)
    dropoutBackward(dinp: dinp, dout: r, mask: mask)
    for i in 0..<1000 { XCTAssertEqual(dinp.pointer[i], r.pointer[i] * mask.pointer[i]) }
    dropoutForward(out: again, inp: inp, mask: maskAgain, probability: 0.25, training: false, random: &second)
    XCTAssertEqual(again.values, inp.values, "evaluation is the identity")
  }
}
