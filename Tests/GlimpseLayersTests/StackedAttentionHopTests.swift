import GlimpseCore
import GlimpseLayers
import GlimpseTensor
import GlimpseTestSupport
import XCTest

final class StackedAttentionHopTests: XCTestCase {
  var random = SeededGenerator(seed: 77)
  let (batch, hidden) = (3, 6)

  func testStackedAttentionHop() {
    let (locations, dim, attention) = (5, 4, 3)
    let grid = randomTensor([batch, locations, dim], &random),
      keys = randomTensor([batch, locations, attention], &random)
    let u = randomTensor([batch, dim], &random), wU = randomTensor([attention, dim], &random),
      wP = randomTensor([1, attention], &random)
    let uNext = Tensor(zeros: [batch, dim]), p = Tensor(zeros: [batch, locations]), pre = Tensor(zeros: keys.shape),
      context = Tensor(zeros: [batch, dim])
    let workspace = AdditiveAttentionWorkspace(batch: batch, locations: locations, attention: attention)
    let r = randomTensor(uNext.shape, &random)
    func forward() {
      stackedAttentionHopForward(
        uNext: uNext, p: p, pre: pre, context: context, keys: keys, grid: grid, u: u, wU: wU, wP: wP,
        workspace: workspace)
    }
    forward()
    let grads = [keys, grid, u, wU, wP].map { Tensor(zeros: $0.shape) }
    stackedAttentionHopBackward(
      dkeys: grads[0], dgrid: grads[1], du: grads[2], dwU: grads[3], dwP: grads[4], duNext: r,
      p: p, pre: pre, grid: grid, u: u, wU: wU, wP: wP, workspace: workspace)
    checkGradients(
      "SAN hop",
      zip(["keys", "grid", "u", "W_U", "w_p"], zip([keys, grid, u, wU, wP], grads)).map { ($0, $1.0, $1.1) }
    ) {
      forward()
      return projection(uNext, r)
    }
  }

  /// The supervision's gradient reaching the hop's inputs through its weights: loss =
  /// Σ uNext · r + λ · supervision(p), with one row left unsupervised.
  func testStackedAttentionHopWithSupervision() {
    let (locations, dim, attention) = (6, 4, 3)
    let lambda: Float = 0.7
    let cells = [[1, 4], [], [0, 2, 5]]  // one per row of the batch of 3
    let grid = randomTensor([batch, locations, dim], &random),
      keys = randomTensor([batch, locations, attention], &random)
    let u = randomTensor([batch, dim], &random), wU = randomTensor([attention, dim], &random),
      wP = randomTensor([1, attention], &random)
    let uNext = Tensor(zeros: [batch, dim]), p = Tensor(zeros: [batch, locations]), pre = Tensor(zeros: keys.shape),
      context = Tensor(zeros: [batch, dim])
    let workspace = AdditiveAttentionWorkspace(batch: batch, locations: locations, attention: attention)
    let r = randomTensor(uNext.shape, &random)
    func forward() -> Double {
      stackedAttentionHopForward(
        uNext: uNext, p: p, pre: pre, context: context, keys: keys, grid: grid, u: u, wU: wU, wP: wP,
        workspace: workspace)
      return projection(uNext, r) + Double(lambda * attentionSupervisionForward(weights: p, cells: cells))
    }
    _ = forward()
    let grads = [keys, grid, u, wU, wP].map { Tensor(zeros: $0.shape) }
    let dp = Tensor(zeros: p.shape)
    attentionSupervisionBackward(dweights: dp, weights: p, cells: cells, scale: lambda)
    XCTAssertEqual(dp.slice(1).values, [Float](repeating: 0, count: locations), "an unsupervised row gets no gradient")
    stackedAttentionHopBackward(
      dkeys: grads[0], dgrid: grads[1], du: grads[2], dwU: grads[3], dwP: grads[4], duNext: r,
      p: p, pre: pre, grid: grid, u: u, wU: wU, wP: wP, workspace: workspace, dpExtra: dp)
    checkGradients(
      "SAN hop with supervision",
      zip(["keys", "grid", "u", "W_U", "w_p"], zip([keys, grid, u, wU, wP], grads)).map { ($0, $1.0, $1.1) }
    ) {
      forward()
    }
  }
}
