import GlimpseCore
import GlimpseData
import GlimpseEvaluation
import GlimpseIO
import GlimpseLayers
import GlimpseModels
import GlimpseTensor

/// A question as the model reads it: its words' ids (unknown words → `<unk>`), no `<start>` or
/// `<end>`, and the words that were not in the vocabulary.
public func encodeQuestion(_ text: String, vocabulary: Vocabulary) -> (ids: [Int32], unknown: [String]) {
  let words = tokenize(text)
  return (words.map { vocabulary.id($0) ?? SpecialToken.unknown }, words.filter { vocabulary.id($0) == nil })
}

/// Questions held in memory for training and evaluation: each distinct image once in an
/// `ImageCache`, each question's ids padded with `<pad>` to the longest, and its answer's index
/// in the answer set (-1 when the answer is outside it: such questions add no loss).
public struct QuestionBatches: Sendable {
  public let images: ImageCache
  public let questions: [[Int32]]
  public let steps: Int
  public let imageOfQuestion: [Int]
  public let targets: [Int32]
  /// With `skipBad`: each image that could not be decoded, with how many questions went with it.
  public let skipped: [String]
  /// For attention supervision: each question's target cells of the grid (none: unsupervised).
  public let attentionCells: [[Int]]?

  /// `source` names the file that lists the images, for error messages. With `skipBad`, the
  /// questions about images that cannot be decoded are left out and reported in `skipped`.
  /// `attentionCells`, if given, has one entry per question of `dataset`.
  public init(dataset: QuestionDataset, vocabulary: Vocabulary, answers: AnswerVocabulary, imageSize: Int,
              source: String? = nil, skipBad: Bool = false, attentionCells: [[Int]]? = nil) throws {
    var paths = [String](), imageIndex = [String: Int](), imageIDs = [Int]()
    var imageOfQuestion = [Int](), encoded = [[Int32]]()
    for question in dataset.questions {
      if imageIndex[question.imagePath] == nil {
        imageIndex[question.imagePath] = paths.count
        paths.append(question.imagePath)
        imageIDs.append(question.imageID)
      }
      imageOfQuestion.append(imageIndex[question.imagePath]!)
      encoded.append(encodeQuestion(question.question, vocabulary: vocabulary).ids)
    }
    if let empty = dataset.questions.indices.first(where: { encoded[$0].isEmpty }) {
      throw FileError("question \(dataset.questions[empty].id)", "the question has no words")
    }
    let steps = encoded.map(\.count).max() ?? 1
    let cache = try ImageCache(paths: paths, imageSize: imageSize, entries: imageIDs.map { (source.map { $0 + ": " } ?? "") + "image id \($0)" },
                               skipBad: skipBad)
    let bad = Set(cache.failed.map(\.index))
    let kept = dataset.questions.indices.filter { !bad.contains(imageOfQuestion[$0]) }
    images = cache
    questions = kept.map { encoded[$0] + [Int32](repeating: SpecialToken.pad, count: steps - encoded[$0].count) }
    self.steps = steps
    self.imageOfQuestion = kept.map { imageOfQuestion[$0] }
    targets = kept.map { answers.index(dataset.questions[$0].answer) ?? -1 }
    self.attentionCells = attentionCells.map { cells in kept.map { cells[$0] } }
    skipped = cache.failed.map { failure in
      "\(failure.message) (its \(imageOfQuestion.filter { $0 == failure.index }.count) questions left out)"
    }
  }
}

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

  public init(model: AnsweringModel) {
    self.model = model
    supervisedHops = model.sizes.hops
  }

  /// Replaces the parameters' gradients with those of the mean cross-entropy over the batch
  /// (plus the attention supervision where the batches have target cells).
  public func computeGradients(_ batches: QuestionBatches, indices: [Int]) throws -> TrainingLoss {
    let size = model.encoder.imageSize
    if batchImages.count != indices.count * 3 * size * size { batchImages = Tensor(zeros: [indices.count, 3, size, size]) }
    var questions = [Int32](), targets = [Int32]()
    try batches.images.copyImages(indices.map { batches.imageOfQuestion[$0] }, to: batchImages)
    for index in indices {
      questions += batches.questions[index]
      targets.append(batches.targets[index])
    }
    let cells = batches.attentionCells.map { all in indices.map { all[$0] } }
    return computeGradients(images: batchImages, questions: questions, steps: batches.steps, targets: targets, attentionCells: cells)
  }

  /// The same for a batch given directly: images [B, 3, S, S], questions [B, steps], answers [B],
  /// and optionally each row's target cells for attention supervision.
  public func computeGradients(images: Tensor, questions: [Int32], steps: Int, targets: [Int32], attentionCells: [[Int]]? = nil) -> TrainingLoss {
    let (b, a, grid) = (images.size(0), model.answers.count, model.encoder.gridShape)
    if dgrid.count != b * grid.locations * grid.features {
      dgrid = Tensor(zeros: [b, grid.locations, grid.features])
      dmean = Tensor(zeros: [b, grid.features])
      (probs, dlogits) = (Tensor(zeros: [b, a]), Tensor(zeros: [b, a]))
      dhops = (0..<model.sizes.hops).map { _ in Tensor(zeros: [b, grid.locations]) }
    }
    model.encoder.forward(images: images)
    let logits = model.head.forward(grid: model.encoder.grid, mean: model.encoder.mean, questions: questions, batch: b, steps: steps)
    let crossEntropy = maskedCrossEntropyForward(probs: probs, logits: logits, targets: targets, batch: b, padID: -1)
    let parameters = model.parameters
    parameters.zeroGradients()
    dlogits.zero(); dgrid.zero(); dmean.zero()
    maskedCrossEntropyBackward(dlogits: dlogits, probs: probs, targets: targets, batch: b, padID: -1)
    guard supervisionWeight > 0, let cells = attentionCells, let san = model.head as? VQASAN else {
      model.head.backward(dlogits: dlogits, dgrid: dgrid, dmean: dmean)
      model.encoder.backward(dgrid: dgrid, dmean: dmean)
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
    model.encoder.backward(dgrid: dgrid, dmean: dmean)
    return TrainingLoss(total: crossEntropy + supervisionWeight * supervision, parts: [("ce", crossEntropy), ("att", supervision)])
  }
}

/// The answer probabilities of every question in `batches`, 32 at a time: [questions][answers].
/// `afterChunk`, if given, sees each chunk's question range after its forward pass (while the
/// model still holds that chunk's activations, such as vqa-san's hop weights).
public func answerAll(_ batches: QuestionBatches, model: AnsweringModel, afterChunk: ((Range<Int>) -> Void)? = nil) throws -> [[Float]] {
  let size = model.encoder.imageSize, count = batches.questions.count, a = model.answers.count
  let chunk = 32
  let images = Tensor(zeros: [chunk, 3, size, size])
  var result = [[Float]]()
  result.reserveCapacity(count)
  for start in stride(from: 0, to: count, by: chunk) {
    let n = min(chunk, count - start)
    var questions = [Int32]()
    try batches.images.copyImages((start..<start + n).map { batches.imageOfQuestion[$0] }, to: images)
    for row in 0..<n { questions += batches.questions[start + row] }
    model.encoder.forward(images: n == chunk ? images : images.slice(0..<n))
    let logits = model.head.forward(grid: model.encoder.grid, mean: model.encoder.mean, questions: questions, batch: n, steps: batches.steps)
    afterChunk?(start..<start + n)
    softmaxRows(logits.pointer, rows: n, columns: a)
    for row in 0..<n { result.append(Array(UnsafeBufferPointer(start: logits.pointer + row * a, count: a))) }
  }
  return result
}

/// A VQA model's accuracy on a dataset, overall and per question and answer type.
public func scoreAnswers(_ probabilities: [[Float]], dataset: QuestionDataset, answers: AnswerVocabulary) -> (VQAScores, [String]) {
  let predictions = probabilities.map { p in answers.answers[p.indices.max { p[$0] < p[$1] }!] }
  let scores = VQAScores(predictions: predictions, answers: dataset.questions.map(\.answers),
                         types: dataset.questions.map(\.questionType), answerTypes: dataset.questions.map(\.answerType))
  return (scores, predictions)
}

extension VQAScores {
  /// `{"accuracy":…, "per_type":{…}, "per_answer_type":{…}, "questions":…}`.
  public var json: JSONValue {
    .object([("accuracy", .number(accuracy)), ("per_type", .object(perType.map { ($0.0, .number($0.1)) })),
             ("per_answer_type", .object(perAnswerType.map { ($0.0, .number($0.1)) })), ("questions", .number(Double(questions)))])
  }
}

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

  init(model: AnsweringModel, batches: QuestionBatches, validationData: (QuestionBatches, QuestionDataset, [[Int]]?)?,
       supervisionWeight: Float, supervisedHops: Int) {
    (self.model, self.batches, self.validationData) = (model, batches, validationData)
    trainer = VQATrainer(model: model)
    (trainer.supervisionWeight, trainer.supervisedHops) = (supervisionWeight, supervisedHops)
  }

  public var parameters: [Parameter] { model.parameters }
  public var exampleCount: Int { batches.questions.count }
  public func computeGradients(indices: [Int]) throws -> TrainingLoss {
    try trainer.computeGradients(batches, indices: indices)
  }

  public func prefetch(indices: [Int]) { batches.images.prefetch(indices.map { batches.imageOfQuestion[$0] }) }

  public func validate() throws -> Validation? {
    guard let (batches, dataset, cells) = validationData else { return nil }
    let (probabilities, localisation) = try answerAndLocate(batches, dataset: dataset, model: model, cells: cells)
    let (scores, _) = scoreAnswers(probabilities, dataset: dataset, answers: model.answers)
    let types = scores.perType.map { "\($0.0) \(fixedPoint($0.1 * 100, 1))" }.joined(separator: ", ")
    var summary = "accuracy \(fixedPoint(scores.accuracy * 100, 2))%" + " (\(types))"
    var metrics = scores.json.object ?? []
    if let localisation {
      let hits = localisation.rows.map { row in "\(row.type) " + row.hops.map { fixedPoint($0.hit * 100, 1) }.joined(separator: "/") }
      summary += "; hops on the object: " + hits.joined(separator: ", ")
      metrics.append(("attention", localisation.json))
    }
    return Validation(metrics: .object(metrics), score: [scores.accuracy], summary: summary)
  }

  public func saveModel(folder: String) throws { try model.save(folder: folder) }
}

public func makeVQATraining(_ options: VQATrainingOptions) throws -> TrainingSetup {
  try loadBLAS()
  let source = try QuestionSource(path: options.data, options: LoadOptions(skipBad: options.skipBad))
  let questions = source.dataset.questions
  var initial: AnsweringModel? = nil
  if let path = options.initialModel {
    let loaded = try AnsweringModel.load(folder: path)
    guard loaded.kind == options.kind else {
      throw FileError(path, "is a vqa-\(loaded.kind.rawValue) model; it cannot start a vqa-\(options.kind.rawValue) run")
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
    guard options.kind == .san else { throw FileError(options.data, "attention supervision needs vqa-san (vqa-concat has no attention)") }
    guard let scenes = source.scenes else { throw FileError(options.data + "/scenes.json", "no such file or directory") }
    cells = questionObjectCells(source.dataset, scenes: scenes, gridSide: sizes.grid.side)
  }
  let batches = try QuestionBatches(dataset: source.dataset, vocabulary: vocabulary, answers: answers, imageSize: sizes.imageSize,
                                    source: options.data + "/captions.json", skipBad: options.skipBad, attentionCells: cells)
  var validationData: (QuestionBatches, QuestionDataset, [[Int]]?)? = nil
  if let path = options.validation {
    let validationSource = try QuestionSource(path: path)
    var validation = validationSource.dataset
    if options.validationLimit > 0 && validation.questions.count > options.validationLimit {
      validation.questions = Array(validation.questions.prefix(options.validationLimit))
    }
    let validationCells = options.kind == .san
      ? validationSource.scenes.map { questionObjectCells(validation, scenes: $0, gridSide: sizes.grid.side) } : nil
    validationData = (try QuestionBatches(dataset: validation, vocabulary: vocabulary, answers: answers, imageSize: sizes.imageSize),
                      validation, validationCells)
  }
  var random = SeededGenerator(seed: options.seed)
  var model = initial ?? AnsweringModel(kind: options.kind, sizes: sizes, vocabulary: vocabulary, answers: answers, random: &random)
  let extra: [(String, JSONValue)] = (options.attentionSupervision > 0
    ? [("attention_supervision", .number(Double(options.attentionSupervision))), ("supervised_hops", .number(Double(supervisedHops)))]
    : [])
    + (options.initialModel.map { [("init", .string($0))] } ?? [])
  model.training = .object(extra + [
    ("data", .string(options.data)), ("questions", .number(Double(questions.count))), ("epochs", .number(Double(options.epochs))),
    ("batch", .number(Double(options.batch))), ("learning_rate", .number(Double(options.learningRate))),
    ("seed", .string(String(options.seed))), ("top_answers", .number(Double(options.topAnswers))),
  ])
  let task = VQATrainingTask(model: model, batches: batches, validationData: validationData,
                             supervisionWeight: options.attentionSupervision, supervisedHops: supervisedHops)
  let settings = TrainingSettings(
    out: options.out, epochs: options.epochs, batch: options.batch, learningRate: options.learningRate, seed: options.seed,
    checkpointEvery: options.checkpointEvery, resume: options.resume,
    identity: [("model", "vqa-" + options.kind.rawValue), ("data", options.data), ("examples", String(questions.count)),
               ("vocabulary", String(vocabulary.count)), ("answers", String(answers.count)), ("sizes", sizes.summary)]
      + (options.initialModel.map { [("init", $0)] } ?? []))
  return TrainingSetup(loop: try TrainingLoop(task: task, settings: settings), skipped: source.dataset.skipped + batches.skipped)
}

/// Each question's target cells on the grid for attention supervision: the cells of the one
/// object it asks about (`askedObject`), none for questions about no single object or without
/// a scene.
public func questionObjectCells(_ dataset: QuestionDataset, scenes: [Int: Scene], gridSide: Int) -> [[Int]] {
  dataset.questions.map { question in
    scenes[question.imageID].flatMap { askedObject(question.question, in: $0) }.map { gridCells(of: $0, side: gridSide) } ?? []
  }
}
