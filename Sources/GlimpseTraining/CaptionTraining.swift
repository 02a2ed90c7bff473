import GlimpseCore
import GlimpseData
import GlimpseDistributed
import GlimpseEvaluation
import GlimpseIO
import GlimpseInference
import GlimpseModels
import GlimpseTensor

#if canImport(Glibc)
import Glibc
#endif

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
  /// For a frozen pretrained encoder (`sizes.encoder` efficientnet-lite0): the encoder folder
  /// its weights come from, and the feature cache of the training images (default: beside the
  /// data, `features-<encoder>.glf`; the validation images' cache sits beside theirs).
  public var encoderFolder: String?
  public var features: String?
  /// The ranks of the job that trains (one process unless launched by MPI).
  public var communicator: Communicator = SingleProcess()
  /// `TrainingSettings.sumsGradientsEarly`.
  public var sumsGradientsEarly = true

  public init(data: String, validation: String?, decoder: DecoderKind, out: String) {
    (self.data, self.validation, self.decoder, self.out) = (data, validation, decoder, out)
  }
}

/// Captioning as a training task: an example is one (image, caption) pair; validation captions
/// the validation images greedily and scores them (semantic accuracy first, when the data are
/// generated scenes, then CIDEr-D).
public final class CaptionTrainingTask: TrainingTask, FinishesGradientsEarly {
  public let model: CaptionModel
  let trainer: CaptionTrainer
  let batches: CaptionBatches
  let validationData: (batches: CaptionBatches, dataset: CaptionDataset, scenes: [Int: Scene]?)?
  /// The ranks that share validation out: each captions its share of the images, rank 0 scores.
  var communicator: Communicator = SingleProcess()

  init(model: CaptionModel, batches: CaptionBatches, validationData: (CaptionBatches, CaptionDataset, [Int: Scene]?)?) {
    self.model = model
    self.batches = batches
    self.validationData = validationData
    trainer = CaptionTrainer(encoder: model.encoder, decoder: model.decoder)
  }

  /// What the loop trains, clips and keeps in the training state: not a frozen encoder's weights
  /// (they come from its folder, and the run's identity holds their digest).
  public var parameters: [Parameter] { model.encoder.trainableParameters + model.decoder.parameters }
  public var exampleCount: Int { batches.captions.count }

  func exchangeEarly(over communicator: Communicator) -> EarlyGradientExchange? {
    trainer.exchangeEarly(over: communicator)
  }

  public func computeGradients(indices: [Int]) throws -> TrainingLoss {
    let loss = try trainer.computeGradients(batches, indices: indices)
    return TrainingLoss(
      total: loss.total, parts: model.kind == .attention ? [("ce", loss.crossEntropy), ("att", loss.penalty)] : [])
  }

  public func prefetch(indices: [Int]) { batches.images.prefetch(indices.map { batches.imageOfCaption[$0] }) }

  public func validate() throws -> Validation? {
    guard let (batches, dataset, scenes) = validationData else { return nil }
    let share = communicator.share(of: batches.imageCount)
    let captions = try communicator.gatherStrings(
      captionAll(batches, encoder: model.encoder, decoder: model.decoder, vocabulary: model.vocabulary, images: share))
    guard communicator.isRoot else { return nil }
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
  /// With a frozen encoder, what bringing each feature cache up to date did: its path and report.
  public var features: [(path: String, report: FeatureExtractionReport)] = []
}

/// Where a dataset's feature cache goes by default: beside its captions.
public func defaultFeatureCachePath(data: String, encoder: String) -> String {
  var status = stat()
  let isFolder = stat(data, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
  let folder =
    isFolder
    ? data
    : (data.split(separator: "/", omittingEmptySubsequences: false).dropLast()
      .joined(separator: "/"))
  return (folder.isEmpty ? "." : folder) + "/features-\(encoder).glf"
}

/// Loads the data, builds the vocabulary and the model (seeded), and sets up the training
/// loop; with `resume`, the loop continues from the state in `out`.
public func makeCaptionTraining(
  _ options: CaptionTrainingOptions,
  featureProgress: (_ path: String, _ done: Int, _ total: Int) -> Void = { _, _, _ in }
) throws -> TrainingSetup {
  try loadBLAS()
  let source = try CaptionSource(path: options.data, options: LoadOptions(skipBad: options.skipBad))
  let vocabulary = Vocabulary.build(
    from: source.dataset.images.flatMap { $0.captions.map(tokenize) }, minCount: options.minCount)
  var random = SeededGenerator(seed: options.seed)
  var model = CaptionModel(kind: options.decoder, sizes: options.sizes, vocabulary: vocabulary, random: &random)
  var features: [(path: String, report: FeatureExtractionReport)] = []
  /// With a frozen encoder, the grids of `dataset`'s images, brought up to date in the cache.
  func cachedGrids(_ dataset: CaptionDataset, cache: String) throws -> CachedGrids? {
    guard options.sizes.isPhotoEncoder else { return nil }
    let paths = dataset.images.map(\.path)
    let report = try updateFeatureCache(
      cachePath: cache, paths: paths, encoder: model.encoder, encoderName: options.sizes.encoder,
      communicator: options.communicator
    ) { featureProgress(cache, $0, $1) }
    features.append((cache, report))
    return try CachedGrids(cache: FeatureCache(path: cache), paths: paths)
  }
  if options.sizes.isPhotoEncoder {
    guard let folder = options.encoderFolder else {
      throw FileError(options.sizes.encoder, "training with a pretrained encoder needs its folder")
    }
    try copyPretrainedEncoder(from: folder, into: model.encoder)
  }
  let imageBytes = 3 * options.sizes.imageSize * options.sizes.imageSize
  let streaming = options.stream || source.dataset.images.count * imageBytes > options.cacheLimitBytes
  let batches = try CaptionBatches(
    dataset: source.dataset, vocabulary: vocabulary, sizes: options.sizes, source: source.file,
    skipBad: options.skipBad, streaming: streaming,
    grids: try cachedGrids(
      source.dataset,
      cache: options.features ?? defaultFeatureCachePath(data: options.data, encoder: options.sizes.encoder)))
  var validationData: (CaptionBatches, CaptionDataset, [Int: Scene]?)? = nil
  if let path = options.validation {
    var validation = try CaptionSource(path: path, split: "val")
    if options.validationLimit > 0 && validation.dataset.images.count > options.validationLimit {
      validation.dataset.images = Array(validation.dataset.images.prefix(options.validationLimit))
    }
    validationData = (
      try CaptionBatches(
        dataset: validation.dataset, vocabulary: vocabulary, sizes: options.sizes,
        source: validation.file,
        grids: try cachedGrids(
          validation.dataset, cache: defaultFeatureCachePath(data: path, encoder: options.sizes.encoder))),
      validation.dataset, validation.scenes
    )
  }
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
  task.communicator = options.communicator
  var settings = TrainingSettings(
    out: options.out, epochs: options.epochs, batch: options.batch, learningRate: options.learningRate,
    seed: options.seed,
    checkpointEvery: options.checkpointEvery, resume: options.resume,
    identity: [
      ("model", "caption-" + options.decoder.rawValue), ("data", options.data),
      ("examples", String(batches.captions.count)), ("vocabulary", String(vocabulary.count)),
      ("sizes", options.sizes.summary),
    ]
      + (options.sizes.isPhotoEncoder ? [("encoder_weights", weightsDigest(model.encoder.parameters))] : [])
      + (attention == nil ? [] : [("attention_penalty", String(options.attentionPenalty))]))
  settings.communicator = options.communicator
  settings.sumsGradientsEarly = options.sumsGradientsEarly
  return TrainingSetup(
    loop: try TrainingLoop(task: task, settings: settings),
    skipped: source.dataset.skipped + batches.failedImages.map(\.message), features: features)
}
