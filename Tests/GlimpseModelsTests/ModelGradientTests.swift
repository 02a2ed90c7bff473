import GlimpseCore
import GlimpseLayers
import GlimpseModels
import GlimpseTensor
import GlimpseTestSupport
import XCTest

/// The decoders and heads at the tiny sizes, every element of every parameter and input checked
/// by central differences (at glimpse-small's sizes float32 rounding would drown single
/// elements).
final class ModelGradientTests: XCTestCase {
  let sizes = ModelSizes.tiny
  let (batch, steps, vocabulary) = (2, 3, 12)
  // [B, S] inputs (<start> = 1 first) and targets; 0 is <pad>, so the masks are exercised.
  let inputs: [Int32] = [1, 5, 7, 1, 9, 0]
  let targets: [Int32] = [5, 7, 2, 9, 2, 0]

  /// A decoder and its inputs (grid, mean) through a whole teacher-forced sequence: loss =
  /// Σ logits·R over real targets (+ the attention penalty, recomputed here in double).
  func checkDecoder(_ decoder: CaptionDecoder, name: String, penalty: Bool = false) {
    var random = SeededGenerator(seed: 11)
    decoder.initialize(random: &random)
    // At initialisation attention is nearly uniform; sharper attention gives its weights
    // gradients worth checking.
    for p in decoder.parameters where p.name.hasPrefix("decoder.att_") {
      for i in 0..<p.value.count { p.value.pointer[i] *= 8 }
    }
    let grid = randomTensor([batch, sizes.grid.locations, sizes.grid.features], &random)
    let mean = randomTensor([batch, sizes.grid.features], &random)
    let r = maskedProjection(&random)
    let (dgrid, dmean) = (Tensor(zeros: grid.shape), Tensor(zeros: mean.shape))
    func loss() -> Double {
      let logits = decoder.forward(grid: grid, mean: mean, inputs: inputs, batch: batch, steps: steps)
      var total = projection(logits, r)
      if penalty, let attention = decoder as? AttentionDecoder {
        _ = attention.auxiliaryLoss(targets: targets, batch: batch)
        total += doublyStochasticPenalty(attention.attentionWeights)
      }
      return total
    }
    _ = loss()
    decoder.parameters.zeroGradients()
    decoder.backward(dlogits: r, dgrid: dgrid, dmean: dmean)
    var checks = [("grid", grid, dgrid), ("mean", mean, dmean)]
    checks += decoder.parameters.map { ($0.name, $0.value, $0.gradient) }
    checkGradients(name, checks, samples: Int.max, threshold: 2e-2, loss: loss)
  }

  /// R [B, S, V] for loss = Σ logits·R, zero at <pad> targets: real training gives them no
  /// loss (and so no gradient to the <pad> row of the embedding), nor does this one.
  func maskedProjection(_ random: inout SeededGenerator) -> Tensor {
    let r = randomTensor([batch, steps, vocabulary], &random)
    for (row, target) in targets.enumerated() where target == SpecialToken.pad {
      r.slice(row / steps).slice(row % steps).zero()
    }
    return r
  }

  /// λ Σ_b Σ_i (1 − Σ_t α_bti)² / B over real targets, in double; alpha [S, B, L].
  func doublyStochasticPenalty(_ alpha: Tensor) -> Double {
    let locations = sizes.grid.locations
    var total = 0.0
    for b in 0..<batch {
      for i in 0..<locations {
        var sum = 0.0
        for t in 0..<steps where targets[b * steps + t] != SpecialToken.pad {
          sum += Double(alpha.pointer[(t * batch + b) * locations + i])
        }
        total += (1 - sum) * (1 - sum) / Double(batch)
      }
    }
    return total
  }

  func testRNNDecoder() { checkDecoder(RNNDecoder(vocabularySize: vocabulary, sizes: sizes), name: "rnn decoder") }
  func testLSTMDecoder() { checkDecoder(LSTMDecoder(vocabularySize: vocabulary, sizes: sizes), name: "lstm decoder") }
  func testGRUDecoder() { checkDecoder(GRUDecoder(vocabularySize: vocabulary, sizes: sizes), name: "gru decoder") }
  func testAttentionDecoderWithoutPenalty() {
    checkDecoder(AttentionDecoder(vocabularySize: vocabulary, sizes: sizes), name: "attention decoder (no penalty)")
  }
  func testAttentionDecoderWithPenalty() {
    checkDecoder(AttentionDecoder(vocabularySize: vocabulary, sizes: sizes), name: "attention decoder", penalty: true)
  }

  /// vqa-san with attention supervision on both hops (one row unsupervised): loss = Σ logits·R
  /// + λ Σ_hops supervision(p_hop), every element of every parameter and of the grid.
  func testVQASANWithAttentionSupervision() {
    var random = SeededGenerator(seed: 12)
    let model = VQASAN(questionVocabularySize: 10, answerCount: 6, sizes: sizes)
    model.initialize(random: &random)
    for p in model.parameters where p.name.hasPrefix("hops.") {
      for i in 0..<p.value.count { p.value.pointer[i] *= 8 }
    }
    let questions: [Int32] = [4, 7, 5, 9, 0, 6, 5, 0, 0, 0]
    let cells = [[0, 3], []]
    let lambda: Float = 0.5
    let grid = randomTensor([batch, sizes.grid.locations, sizes.grid.features], &random)
    let mean = randomTensor([batch, sizes.grid.features], &random)
    let r = randomTensor([batch, 6], &random)
    func loss() -> Double {
      let logits = model.forward(grid: grid, mean: mean, questions: questions, batch: batch, steps: 5)
      let supervision = model.hopWeights.map { Double(lambda * attentionSupervisionForward(weights: $0, cells: cells)) }
      return projection(logits, r) + supervision.reduce(0, +)
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
    checkGradients("vqa-san with attention supervision", checks, samples: Int.max, threshold: 2e-2, loss: loss)
  }

  // Whole models, encoder included, are checked element by element against PyTorch's float64
  // gradients at the tiny sizes (PyTorchFixtureTests): float32 central differences through
  // five ReLU and max-pool layers are dominated by rounding and kinks, so they cannot.

  func testForwardMultiplyAddsMatchTheSpec() {
    // "About 137 MFLOP per image forward": 68.6 M multiply-adds.
    XCTAssertEqual(Double(CNNEncoder(sizes: .glimpseSmall).forwardMultiplyAdds) * 2 / 1e6, 137, accuracy: 1)
  }
}
