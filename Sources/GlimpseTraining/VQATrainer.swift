import GlimpseCore
import GlimpseData
import GlimpseEvaluation
import GlimpseIO
import GlimpseInference
import GlimpseLayers
import GlimpseModels
import GlimpseTensor

/// Forward and backward of a VQA model (encoder and head) over a batch of questions.
public final class VQATrainer {
  let model: AnsweringModel
  /// λ of attention supervision: λ · supervision(p) for each of vqa-san's hops joins the loss.
  public var supervisionWeight: Float = 0
  /// How many of the hops, from the first, the supervision applies to.
  public var supervisedHops: Int
  var batchImages = Tensor(zeros: [0]), probs = Tensor(zeros: [0]), dlogits = Tensor(zeros: [0])
  var dgrid = Tensor(zeros: [0]), dmean = Tensor(zeros: [0])
  var dhops: [Tensor] = []
  var cached = CachedGridBuffers()

  public init(model: AnsweringModel) {
    self.model = model
    supervisedHops = model.sizes.hops
    _ = CalibratedTuning.current  // the few-row blocks of the backward steps, measured now if never
  }

  /// Replaces the parameters' gradients with those of the mean cross-entropy over the batch
  /// (plus the attention supervision where the batches have target cells).
  public func computeGradients(_ batches: QuestionBatches, indices: [Int]) throws -> TrainingLoss {
    var questions = [Int32](), targets = [Int32]()
    for index in indices {
      questions += batches.questions[index]
      targets.append(batches.targets[index])
    }
    let cells = batches.attentionCells.map { all in indices.map { all[$0] } }
    let imageIndices = indices.map { batches.imageOfQuestion[$0] }
    if let grids = batches.grids {
      let (grid, mean) = cached.read(grids, images: imageIndices)
      return headGradients(
        grid: grid, mean: mean, questions: questions, steps: batches.steps, targets: targets, attentionCells: cells)
    }
    let size = model.encoder.imageSize
    if batchImages.count != indices.count * 3 * size * size {
      batchImages = Tensor(zeros: [indices.count, 3, size, size])
    }
    try batches.images.copyImages(imageIndices, to: batchImages)
    return computeGradients(
      images: batchImages, questions: questions, steps: batches.steps, targets: targets, attentionCells: cells)
  }

  /// The same for a batch given directly: images [B, 3, S, S], questions [B, steps], answers [B],
  /// and optionally each row's target cells for attention supervision.
  public func computeGradients(
    images: Tensor, questions: [Int32], steps: Int, targets: [Int32], attentionCells: [[Int]]? = nil
  ) -> TrainingLoss {
    model.encoder.forward(images: images)
    return headGradients(
      grid: model.encoder.grid, mean: model.encoder.mean, questions: questions, steps: steps, targets: targets,
      attentionCells: attentionCells, throughEncoder: true)
  }

  /// The head's forward and backward on grids (the encoder's, or a frozen encoder's from a feature
  /// cache); `throughEncoder` carries the gradients on into the encoder.
  func headGradients(
    grid gridValues: Tensor, mean: Tensor, questions: [Int32], steps: Int, targets: [Int32],
    attentionCells: [[Int]]?, throughEncoder: Bool = false
  ) -> TrainingLoss {
    let (b, a, grid) = (gridValues.size(0), model.answers.count, model.encoder.gridShape)
    if dgrid.count != b * grid.locations * grid.features {
      dgrid = Tensor(zeros: [b, grid.locations, grid.features])
      dmean = Tensor(zeros: [b, grid.features])
      (probs, dlogits) = (Tensor(zeros: [b, a]), Tensor(zeros: [b, a]))
      dhops = (0..<model.sizes.hops).map { _ in Tensor(zeros: [b, grid.locations]) }
    }
    let logits = model.head.forward(grid: gridValues, mean: mean, questions: questions, batch: b, steps: steps)
    let crossEntropy = maskedCrossEntropyForward(probs: probs, logits: logits, targets: targets, batch: b, padID: -1)
    let parameters = model.encoder.trainableParameters + model.head.parameters
    parameters.zeroGradients()
    dlogits.zero(); dgrid.zero(); dmean.zero()
    maskedCrossEntropyBackward(dlogits: dlogits, probs: probs, targets: targets, batch: b, padID: -1)
    guard supervisionWeight > 0, let cells = attentionCells, let san = model.head as? VQASAN else {
      model.head.backward(dlogits: dlogits, dgrid: dgrid, dmean: dmean)
      if throughEncoder { model.encoder.backward(dgrid: dgrid, dmean: dmean) }
      return TrainingLoss(total: crossEntropy)
    }
    var supervision: Float = 0
    for (hop, (p, dp)) in zip(san.hopWeights, dhops).enumerated() {
      dp.zero()
      guard hop < supervisedHops else { continue }
      supervision += attentionSupervisionForward(weights: p, cells: cells)
      attentionSupervisionBackward(dweights: dp, weights: p, cells: cells, scale: supervisionWeight)
    }
    san.backward(dlogits: dlogits, dgrid: dgrid, dmean: dmean, hopWeightGradients: dhops)
    if throughEncoder { model.encoder.backward(dgrid: dgrid, dmean: dmean) }
    return TrainingLoss(
      total: crossEntropy + supervisionWeight * supervision, parts: [("ce", crossEntropy), ("att", supervision)])
  }
}
