import GlimpseCore
import GlimpseLayers
import GlimpseTensor
import GlimpseTestSupport
import XCTest

final class MaskedCrossEntropyTests: XCTestCase {
  var random = SeededGenerator(seed: 2024)

  func testMaskedCrossEntropy() {
    let (batch, steps, vocabulary) = (2, 3, 5)
    let logits = randomTensor([batch, steps, vocabulary], &random, scale: 2)
    let targets: [Int32] = [1, 4, 0, 2, 0, 0]  // zeros are <pad>
    let probs = Tensor(zeros: logits.shape), dlogits = Tensor(zeros: logits.shape)
    let loss = maskedCrossEntropyForward(probs: probs, logits: logits, targets: targets, batch: batch)
    var expected = 0.0
    for (row, target) in targets.enumerated() where target != 0 {
      let values = (0..<vocabulary).map { Double(logits.pointer[row * vocabulary + $0]) }
      expected -= values[Int(target)] - log(values.map { exp($0) }.reduce(0, +))
    }
    XCTAssertEqual(Double(loss), expected / Double(batch), accuracy: 1e-5)
    maskedCrossEntropyBackward(dlogits: dlogits, probs: probs, targets: targets, batch: batch)
    XCTAssertEqual(Array(dlogits.values[10..<15]), [0, 0, 0, 0, 0], "a <pad> target gives no gradient")
    checkGradients("masked cross-entropy", [("logits", logits, dlogits)]) {
      Double(maskedCrossEntropyForward(probs: probs, logits: logits, targets: targets, batch: batch))
    }
  }
}
