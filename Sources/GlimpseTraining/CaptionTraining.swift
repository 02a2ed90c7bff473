import GlimpseCore
import GlimpseData
import GlimpseEvaluation
import GlimpseIO
import GlimpseInference
import GlimpseModels
import GlimpseTensor

public struct CaptionTrainingOptions: Sendable {
  public var data: String
  public var validation: String?
  public var decoder: DecoderKind
  public var out: String
  /// Every size of the model (image, encoder channels, embedding, hidden, attention, caption length).
  public var sizes = ModelSizes.glimpseSmall
  public var epochs = 10
  public var batch = 32
  public var learningRate: Float = 1e-3
  public var seed: UInt64 = 1
  public var checkpointEvery = 500
  public var minCount = 1
  /// λ of the attention decoder's doubly stochastic penalty (the spec's default is 1).
  public var attentionPenalty: Float = 1
  public var resume = false
  /// Validate on at most this many images of the validation data (0: all).
  public var validationLimit = 1000
  /// Leave out bad entries of the training data (and images that cannot be decoded) instead
  /// of stopping at the first; `TrainingSetup.skipped` lists them.
  public var skipBad = false
  /// Decode the training images batch by batch (the next in the background) instead of
  /// holding them all; chosen anyway when they would take more than `cacheLimitBytes`.
  public var stream = false
  public var cacheLimitBytes = 2 << 30

  public init(data: String, validation: String?, decoder: DecoderKind, out: String) {
    (self.data, self.validation, self.decoder, self.out) = (data, validation, decoder, out)
  }
}

/// Captioning as a training task: an example is one (image, caption) pair; validation captions
/// the validation images greedily and scores them (semantic accuracy first, when the data are
/// generated scenes, then CIDEr-D).
public final class CaptionTrainingTask: TrainingTask {
  public let model: CaptionModel
  let trainer: CaptionTrainer
  let batches: CaptionBatches
  let validationData: (batches: CaptionBatches, dataset: CaptionDataset, scenes: [Int: Scene]?)?

  init(model: CaptionModel, batches: CaptionBatches, validationData: (CaptionBatches, CaptionDataset, [Int: Scene]?)?) {
    self.model = model
    self.batches = batches
    self.validationData = validationData
    trainer = CaptionTrainer(encoder: model.encoder, decoder: model.decoder)
  }

  public var parameters: [Parameter] { model.parameters }
  public var exampleCount: Int { batches.captions.count }

  public func computeGradients(indices: [Int]) throws -> TrainingLoss {
    let loss = try trainer.computeGradients(batches, indices: indices)
    return TrainingLoss(
      total: loss.total, parts: model.kind == .attention ? [("ce", loss.crossEntropy), ("att", loss.penalty)] : [])
  }

  public func prefetch(indices: [Int]) { batches.images.prefetch(indices.map { batches.imageOfCaption[$0] }) }

  public func validate() throws -> Validation? {
    guard let (batches, dataset, scenes) = validationData else { return nil }
    let captions = try captionAll(batches, encoder: model.encoder, decoder: model.decoder, vocabulary: model.vocabulary)
    let evaluation = CaptionEvaluation(captions: captions, dataset: dataset, scenes: scenes)
    var summary =
      "BLEU-4 \(fixedPoint(evaluation.scores.bleu[3], 3))  CIDEr-D \(fixedPoint(evaluation.scores.ciderD, 3))"
    var score = [evaluation.scores.ciderD]
    if let semantics = evaluation.semantics {
      summary += "  semantic accuracy \(fixedPoint(semantics.semanticAccuracy * 100, 1))%"
      score.insert(semantics.semanticAccuracy, at: 0)
    }
    return Validation(metrics: evaluation.json, score: score, summary: summary)
  }

  public func saveModel(folder: String) throws { try model.save(folder: folder) }
}

/// A training loop ready to run, and the bad entries of the training data it left out.
public struct TrainingSetup {
  public var loop: TrainingLoop
  public var skipped: [String]
}

/// Loads the data, builds the vocabulary and the model (seeded), and sets up the training
/// loop; with `resume`, the loop continues from the state in `out`.
public func makeCaptionTraining(_ options: CaptionTrainingOptions) throws -> TrainingSetup {
  try loadBLAS()
  let source = try CaptionSource(path: options.data, options: LoadOptions(skipBad: options.skipBad))
  let vocabulary = Vocabulary.build(
    from: source.dataset.images.flatMap { $0.captions.map(tokenize) }, minCount: options.minCount)
  let imageBytes = 3 * options.sizes.imageSize * options.sizes.imageSize
  let streaming = options.stream || source.dataset.images.count * imageBytes > options.cacheLimitBytes
  let batches = try CaptionBatches(
    dataset: source.dataset, vocabulary: vocabulary, sizes: options.sizes, source: source.file,
    skipBad: options.skipBad, streaming: streaming)
  var validationData: (CaptionBatches, CaptionDataset, [Int: Scene]?)? = nil
  if let path = options.validation {
    var validation = try CaptionSource(path: path, split: "val")
    if options.validationLimit > 0 && validation.dataset.images.count > options.validationLimit {
      validation.dataset.images = Array(validation.dataset.images.prefix(options.validationLimit))
    }
    validationData = (
      try CaptionBatches(
        dataset: validation.dataset, vocabulary: vocabulary, sizes: options.sizes,
        source: validation.file),
      validation.dataset, validation.scenes
    )
  }
  var random = SeededGenerator(seed: options.seed)
  var model = CaptionModel(kind: options.decoder, sizes: options.sizes, vocabulary: vocabulary, random: &random)
  let attention = model.decoder as? AttentionDecoder
  attention?.penaltyWeight = options.attentionPenalty
  model.training = .object(
    [
      ("data", .string(options.data)), ("images", .number(Double(source.dataset.images.count))),
      ("captions", .number(Double(batches.captions.count))), ("epochs", .number(Double(options.epochs))),
      ("batch", .number(Double(options.batch))), ("learning_rate", .number(Double(options.learningRate))),
      ("seed", .string(String(options.seed))), ("min_count", .number(Double(options.minCount))),
    ] + (attention == nil ? [] : [("attention_penalty", .number(Double(options.attentionPenalty)))]))
  let task = CaptionTrainingTask(model: model, batches: batches, validationData: validationData)
  let settings = TrainingSettings(
    out: options.out, epochs: options.epochs, batch: options.batch, learningRate: options.learningRate,
    seed: options.seed,
    checkpointEvery: options.checkpointEvery, resume: options.resume,
    identity: [
      ("model", "caption-" + options.decoder.rawValue), ("data", options.data),
      ("examples", String(batches.captions.count)), ("vocabulary", String(vocabulary.count)),
      ("sizes", options.sizes.summary),
    ]
      + (attention == nil ? [] : [("attention_penalty", String(options.attentionPenalty))]))
  return TrainingSetup(
    loop: try TrainingLoop(task: task, settings: settings),
    skipped: source.dataset.skipped + batches.failedImages.map(\.message))
}
