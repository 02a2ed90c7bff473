import GlimpseCore
import GlimpseLayers
import GlimpseTensor
import GlimpseTestSupport
import XCTest

final class AttentionSupervisionTests: XCTestCase {
  var random = SeededGenerator(seed: 2024)

  func testAttentionSupervision() {
    let (batch, locations) = (3, 5)
    let weights = Tensor(zeros: [batch, locations])
    for i in 0..<weights.count { weights.pointer[i] = 0.05 + 0.2 * random.nextUnit() }
    let cells = [[0, 3], [], [4]]
    let loss = attentionSupervisionForward(weights: weights, cells: cells)
    let rows = [weights.pointer[0] + weights.pointer[3], weights.pointer[14]].map { -log(Double($0) + 1e-6) }
    XCTAssertEqual(
      Double(loss), rows.reduce(0, +) / Double(batch), accuracy: 1e-6,
      "the mean over all rows, unsupervised ones counting as 0")
    let dweights = Tensor(zeros: weights.shape)
    attentionSupervisionBackward(dweights: dweights, weights: weights, cells: cells, scale: 1)
    XCTAssertEqual(dweights.slice(1).values, [0, 0, 0, 0, 0], "a row without cells gets no gradient")
    XCTAssertEqual(dweights.pointer[1], 0, "a cell off the target gets no gradient")
    checkGradients("attention supervision", [("weights", weights, dweights)], epsilon: 1e-3) {
      Double(attentionSupervisionForward(weights: weights, cells: cells))
    }
  }
}
