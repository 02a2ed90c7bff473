import GlimpseCore
import GlimpseData
import GlimpseDistributed
import GlimpseEvaluation
import GlimpseIO
import GlimpseInference
import GlimpseLayers
import GlimpseModels
import GlimpseTensor

public struct VQATrainingOptions: Sendable {
  public var data: String
  public var validation: String?
  public var kind: VQAKind
  public var out: String
  /// Every size of the model; with `initialModel`, that model's sizes instead.
  public var sizes = ModelSizes.glimpseSmall
  public var epochs = 10
  public var batch = 32
  public var learningRate: Float = 1e-3
  public var seed: UInt64 = 1
  public var checkpointEvery = 500
  public var topAnswers = 1000
  public var resume = false
  public var validationLimit = 5000
  /// Leave out bad entries of the training data and questions about undecodable images.
  public var skipBad = false
  /// λ of attention supervision (vqa-san only; needs the data's scenes.json): 0 is off.
  public var attentionSupervision: Float = 0
  /// The supervision applies to this many hops, from the first (nil: all of them).
  public var supervisedHops: Int?
  /// Start from this model folder's weights, question words and answers instead of new ones.
  public var initialModel: String?
  /// For a frozen pretrained encoder: its folder, and the training images' feature cache (default:
  /// beside the data; the validation images' cache sits beside theirs).
  public var encoderFolder: String?
  public var features: String?
  /// The ranks of the job that trains (one process unless launched by MPI).
  public var communicator: Communicator = SingleProcess()

  public init(data: String, validation: String?, kind: VQAKind, out: String) {
    (self.data, self.validation, self.kind, self.out) = (data, validation, kind, out)
  }
}

/// VQA as a training task: an example is one question; validation is the VQA accuracy.
public final class VQATrainingTask: TrainingTask {
  public let model: AnsweringModel
  let trainer: VQATrainer
  let batches: QuestionBatches
  let validationData: (batches: QuestionBatches, dataset: QuestionDataset, cells: [[Int]]?)?
  /// The ranks that share validation out: each answers its share of the questions, rank 0 scores.
  var communicator: Communicator = SingleProcess()

  init(
    model: AnsweringModel, batches: QuestionBatches, validationData: (QuestionBatches, QuestionDataset, [[Int]]?)?,
    supervisionWeight: Float, supervisedHops: Int
  ) {
    (self.model, self.batches, self.validationData) = (model, batches, validationData)
    trainer = VQATrainer(model: model)
    (trainer.supervisionWeight, trainer.supervisedHops) = (supervisionWeight, supervisedHops)
  }

  /// What the loop trains, clips and keeps in the training state: not a frozen encoder's weights.
  public var parameters: [Parameter] { model.encoder.trainableParameters + model.head.parameters }
  public var exampleCount: Int { batches.questions.count }
  public func computeGradients(indices: [Int]) throws -> TrainingLoss {
    try trainer.computeGradients(batches, indices: indices)
  }

  public func prefetch(indices: [Int]) { batches.images.prefetch(indices.map { batches.imageOfQuestion[$0] }) }

  public func validate() throws -> Validation? {
    guard let (batches, dataset, cells) = validationData else { return nil }
    let (probabilities, localisation) = try answerAndLocate(
      batches, dataset: dataset, model: model, cells: cells, communicator: communicator)
    guard communicator.isRoot else { return nil }
    let (scores, _) = scoreAnswers(probabilities, dataset: dataset, answers: model.answers)
    let types = scores.perType.map { "\($0.0) \(fixedPoint($0.1 * 100, 1))" }.joined(separator: ", ")
    var summary = "accuracy \(fixedPoint(scores.accuracy * 100, 2))%" + " (\(types))"
    var metrics = scores.json.object ?? []
    if let localisation {
      let hits = localisation.rows.map { row in
        "\(row.type) " + row.hops.map { fixedPoint($0.hit * 100, 1) }.joined(separator: "/")
      }
      summary += "; hops on the object: " + hits.joined(separator: ", ")
      metrics.append(("attention", localisation.json))
    }
    return Validation(metrics: .object(metrics), score: [scores.accuracy], summary: summary)
  }

  public func saveModel(folder: String) throws { try model.save(folder: folder) }
}

public func makeVQATraining(
  _ options: VQATrainingOptions, featureProgress: (_ path: String, _ done: Int, _ total: Int) -> Void = { _, _, _ in }
) throws -> TrainingSetup {
  try loadBLAS()
  let source = try QuestionSource(path: options.data, options: LoadOptions(skipBad: options.skipBad))
  let questions = source.dataset.questions
  var initial: AnsweringModel? = nil
  if let path = options.initialModel {
    let loaded = try AnsweringModel.load(folder: path)
    guard loaded.kind == options.kind else {
      throw FileError(
        path, "is a vqa-\(loaded.kind.rawValue) model; it cannot start a vqa-\(options.kind.rawValue) run")
    }
    initial = loaded
  }
  let vocabulary = initial?.vocabulary ?? Vocabulary.build(from: questions.map { tokenize($0.question) })
  let answers = try initial?.answers ?? AnswerVocabulary.build(from: questions.map(\.answer), topK: options.topAnswers)
  let sizes = initial?.sizes ?? options.sizes
  let supervisedHops = options.supervisedHops ?? sizes.hops
  if supervisedHops < 1 || supervisedHops > sizes.hops {
    throw FileError(options.data, "--supervised-hops must be from 1 to the model's \(sizes.hops) hops")
  }
  var cells: [[Int]]? = nil
  if options.attentionSupervision > 0 {
    guard options.kind == .san else {
      throw FileError(options.data, "attention supervision needs vqa-san (vqa-concat has no attention)")
    }
    guard let scenes = source.scenes else {
      throw FileError(options.data + "/scenes.json", "no such file or directory")
    }
    cells = questionObjectCells(source.dataset, scenes: scenes, gridSide: sizes.grid.side)
  }
  var random = SeededGenerator(seed: options.seed)
  var model =
    initial
    ?? AnsweringModel(kind: options.kind, sizes: sizes, vocabulary: vocabulary, answers: answers, random: &random)
  var features: [(path: String, report: FeatureExtractionReport)] = []
  /// With a frozen encoder, the feature cache of `dataset`'s images, brought up to date.
  func featureCache(_ dataset: QuestionDataset, cache: String) throws -> FeatureCache? {
    guard sizes.isPhotoEncoder else { return nil }
    let report = try updateFeatureCache(
      cachePath: cache, paths: questionImagePaths(dataset), encoder: model.encoder, encoderName: sizes.encoder,
      communicator: options.communicator
    ) { featureProgress(cache, $0, $1) }
    features.append((cache, report))
    return try FeatureCache(path: cache)
  }
  if sizes.isPhotoEncoder && initial == nil {
    guard let folder = options.encoderFolder else {
      throw FileError(sizes.encoder, "training with a pretrained encoder needs its folder")
    }
    try copyPretrainedEncoder(from: folder, into: model.encoder)
  }
  let batches = try QuestionBatches(
    dataset: source.dataset, vocabulary: vocabulary, answers: answers, imageSize: sizes.imageSize,
    source: options.data + "/captions.json", skipBad: options.skipBad, attentionCells: cells,
    featureCache: try featureCache(
      source.dataset, cache: options.features ?? defaultFeatureCachePath(data: options.data, encoder: sizes.encoder)))
  var validationData: (QuestionBatches, QuestionDataset, [[Int]]?)? = nil
  if let path = options.validation {
    let validationSource = try QuestionSource(path: path)
    var validation = validationSource.dataset
    if options.validationLimit > 0 && validation.questions.count > options.validationLimit {
      validation.questions = Array(validation.questions.prefix(options.validationLimit))
    }
    let validationCells =
      options.kind == .san
      ? validationSource.scenes.map { questionObjectCells(validation, scenes: $0, gridSide: sizes.grid.side) } : nil
    validationData = (
      try QuestionBatches(
        dataset: validation, vocabulary: vocabulary, answers: answers, imageSize: sizes.imageSize,
        featureCache: try featureCache(validation, cache: defaultFeatureCachePath(data: path, encoder: sizes.encoder))),
      validation, validationCells
    )
  }
  let extra: [(String, JSONValue)] =
    (options.attentionSupervision > 0
      ? [
        ("attention_supervision", .number(Double(options.attentionSupervision))),
        ("supervised_hops", .number(Double(supervisedHops))),
      ]
      : [])
    + (options.initialModel.map { [("init", .string($0))] } ?? [])
  model.training = .object(
    extra + [
      ("data", .string(options.data)), ("questions", .number(Double(questions.count))),
      ("epochs", .number(Double(options.epochs))),
      ("batch", .number(Double(options.batch))), ("learning_rate", .number(Double(options.learningRate))),
      ("seed", .string(String(options.seed))), ("top_answers", .number(Double(options.topAnswers))),
    ])
  let task = VQATrainingTask(
    model: model, batches: batches, validationData: validationData,
    supervisionWeight: options.attentionSupervision, supervisedHops: supervisedHops)
  task.communicator = options.communicator
  var settings = TrainingSettings(
    out: options.out, epochs: options.epochs, batch: options.batch, learningRate: options.learningRate,
    seed: options.seed,
    checkpointEvery: options.checkpointEvery, resume: options.resume,
    identity: [
      ("model", "vqa-" + options.kind.rawValue), ("data", options.data), ("examples", String(questions.count)),
      ("vocabulary", String(vocabulary.count)), ("answers", String(answers.count)), ("sizes", sizes.summary),
    ]
      + (sizes.isPhotoEncoder ? [("encoder_weights", weightsDigest(model.encoder.parameters))] : [])
      + (options.initialModel.map { [("init", $0)] } ?? []))
  settings.communicator = options.communicator
  return TrainingSetup(
    loop: try TrainingLoop(task: task, settings: settings), skipped: source.dataset.skipped + batches.skipped,
    features: features)
}
