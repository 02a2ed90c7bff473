import GlimpseLayers
import GlimpseModels
import GlimpseTensor
import GlimpseTestSupport
import XCTest

final class ModelGradientTests: XCTestCase {
  let (batch, steps, vocabulary) = (2, 3, 12)
  // [B, S] inputs (<start> = 1 first) and targets; 0 is <pad>, so the masks are exercised.
  let inputs: [Int32] = [1, 5, 7, 1, 9, 0]
  let targets: [Int32] = [5, 7, 2, 9, 2, 0]

  /// Every parameter of a decoder and its inputs (grid, mean), through a whole teacher-forced
  /// sequence: loss = Σ logits·R over real targets (+ the attention penalty, recomputed here in
  /// double), checked along random directions of length 0.1 (see checkDirectionalGradients).
  /// Threshold 5e-2: float32 rounding through a whole decoder puts the attention decoder's
  /// smallest gradients at 1–2.5e-2 for some directions (measured over four seeds), while a
  /// wrong gradient is off by order 1. Exactness is PyTorchFixtureTests' job (1e-4 vs float64).
  func checkDecoder(_ decoder: CaptionDecoder, name: String, penalty: Bool = false) {
    var random = SeededGenerator(seed: 11)
    decoder.initialize(random: &random)
    // At initialisation attention is nearly uniform and its weights' gradients are tiny, below
    // what float32 differences resolve; sharper attention makes them large enough to check.
    for p in decoder.parameters where p.name.hasPrefix("decoder.att_") {
      for i in 0..<p.value.count { p.value.pointer[i] *= 8 }
    }
    let grid = randomTensor([batch, CNNEncoder.locations, CNNEncoder.features], &random)
    let mean = randomTensor([batch, CNNEncoder.features], &random)
    let r = randomTensor([batch, steps, vocabulary], &random)
    // Real training gives no loss at <pad> targets (and so no gradient to the <pad> row): nor does this one.
    for (row, target) in targets.enumerated() where target == 0 { r.slice(row / steps).slice(row % steps).zero() }
    let (dgrid, dmean) = (Tensor(zeros: grid.shape), Tensor(zeros: mean.shape))
    func loss() -> Double {
      let logits = decoder.forward(grid: grid, mean: mean, inputs: inputs, batch: batch, steps: steps)
      var total = projection(logits, r)
      if penalty, let attention = decoder as? AttentionDecoder {
        _ = attention.auxiliaryLoss(targets: targets, batch: batch)
        let alpha = attention.attentionWeights  // [S, B, L]
        for b in 0..<batch {
          for i in 0..<CNNEncoder.locations {
            var sum = 0.0
            for t in 0..<steps where targets[b * steps + t] != 0 { sum += Double(alpha.pointer[(t * batch + b) * CNNEncoder.locations + i]) }
            total += (1 - sum) * (1 - sum) / Double(batch)
          }
        }
      }
      return total
    }
    _ = loss()
    decoder.parameters.zeroGradients()
    decoder.backward(dlogits: r, dgrid: dgrid, dmean: dmean)
    var checks = [("grid", grid, dgrid), ("mean", mean, dmean)]
    checks += decoder.parameters.map { ($0.name, $0.value, $0.gradient) }
    checkDirectionalGradients(name, checks, epsilon: 0.1, threshold: 5e-2, loss: loss)
  }

  /// Every parameter of vqa-san and its grid, with attention supervision on both hops (one row
  /// unsupervised): loss = Σ logits·R + λ Σ_hops supervision(p_hop), along random directions.
  func testVQASANWithAttentionSupervision() {
    var random = SeededGenerator(seed: 12)
    let model = VQASAN(questionVocabularySize: 10, answerCount: 6)
    model.initialize(random: &random)
    for p in model.parameters where p.name.hasPrefix("hops.") {
      for i in 0..<p.value.count { p.value.pointer[i] *= 8 }
    }
    let questions: [Int32] = [4, 7, 5, 9, 0, 6, 5, 0, 0, 0]
    let cells = [[9, 10, 17, 18], []]
    let lambda: Float = 0.5
    let grid = randomTensor([batch, CNNEncoder.locations, CNNEncoder.features], &random)
    let mean = randomTensor([batch, CNNEncoder.features], &random)
    let r = randomTensor([batch, 6], &random)
    func loss() -> Double {
      let logits = model.forward(grid: grid, mean: mean, questions: questions, batch: batch, steps: 5)
      return projection(logits, r) + model.hopWeights.map { Double(lambda * attentionSupervisionForward(weights: $0, cells: cells)) }.reduce(0, +)
    }
    _ = loss()
    model.parameters.zeroGradients()
    let (dgrid, dmean) = (Tensor(zeros: grid.shape), Tensor(zeros: mean.shape))
    let dp = model.hopWeights.map { p in
      let d = Tensor(zeros: p.shape)
      attentionSupervisionBackward(dweights: d, weights: p, cells: cells, scale: lambda)
      return d
    }
    model.backward(dlogits: r, dgrid: dgrid, dmean: dmean, hopWeightGradients: dp)
    let checks = [("grid", grid, dgrid)] + model.parameters.map { ($0.name, $0.value, $0.gradient) }
    checkDirectionalGradients("vqa-san with attention supervision", checks, epsilon: 0.1, threshold: 5e-2, loss: loss)
  }

  func testRNNDecoder() { checkDecoder(RNNDecoder(vocabularySize: vocabulary), name: "rnn decoder") }
  func testLSTMDecoder() { checkDecoder(LSTMDecoder(vocabularySize: vocabulary), name: "lstm decoder") }
  func testAttentionDecoderWithoutPenalty() { checkDecoder(AttentionDecoder(vocabularySize: vocabulary), name: "attention decoder (no penalty)") }
  func testAttentionDecoderWithPenalty() { checkDecoder(AttentionDecoder(vocabularySize: vocabulary), name: "attention decoder", penalty: true) }

  // The encoder as a whole is checked against PyTorch's float64 gradients
  // (PyTorchFixtureTests.testEncoderMatchesPyTorch), and each of its layers by finite
  // differences (LayerGradientTests): float32 central differences through five ReLU and
  // max-pool layers are dominated by rounding and kinks, so they cannot check it soundly.

  func testForwardMultiplyAddsMatchTheSpec() {
    // "About 137 MFLOP per image forward": 68.6 M multiply-adds.
    XCTAssertEqual(Double(CNNEncoder.forwardMultiplyAdds) * 2 / 1e6, 137, accuracy: 1)
  }
}
