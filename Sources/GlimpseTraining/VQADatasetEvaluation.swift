import GlimpseData
import GlimpseDistributed
import GlimpseEvaluation
import GlimpseIO
import GlimpseInference
import GlimpseLayers
import GlimpseModels
import GlimpseTensor

/// `glimpse eval vqa`: answers every question of a dataset and scores the answers; with
/// `predictionsPath`, also writes the VQA results file `[{question_id, answer}]`. For vqa-san on a
/// folder with scenes.json (generated data), also where its hops look for questions about one
/// object.
public func evaluateAnswerer(model: AnsweringModel, data: String, predictionsPath: String? = nil) throws
  -> (scores: VQAScores, localisation: AttentionLocalisation?)
{
  try loadBLAS()
  let source = try QuestionSource(path: data)
  let dataset = source.dataset
  let batches = try QuestionBatches(
    dataset: dataset, vocabulary: model.vocabulary, answers: model.answers,
    imageSize: model.sizes.imageSize)
  let side = model.sizes.grid.side
  let cells = model.kind == .san ? source.scenes.map { questionObjectCells(dataset, scenes: $0, gridSide: side) } : nil
  let (probabilities, localisation) = try answerAndLocate(batches, dataset: dataset, model: model, cells: cells)
  let (scores, predictions) = scoreAnswers(probabilities, dataset: dataset, answers: model.answers)
  if let predictionsPath {
    let results: JSONValue = .array(
      zip(dataset.questions, predictions).map { question, answer in
        .object([("question_id", .number(Double(question.id))), ("answer", .string(answer))])
      })
    try writeFileAtomically(predictionsPath, Array((results.text + "\n").utf8))
  }
  return (scores, localisation)
}

/// `answerAll`, and with `cells` (one entry per question of `batches`), where the hops looked.
/// Over the ranks of a job, each answers its share of the questions and every rank gets all.
func answerAndLocate(
  _ batches: QuestionBatches, dataset: QuestionDataset, model: AnsweringModel, cells: [[Int]]?,
  communicator: Communicator = SingleProcess()
) throws -> ([[Float]], AttentionLocalisation?) {
  let san = cells == nil ? nil : model.head as? VQASAN
  var hopWeights = [[Float]]()  // [question][hop · L]
  let share = communicator.share(of: batches.questions.count)
  var probabilities = try answerAll(batches, model: model, questions: share) { range in
    guard let san else { return }
    for row in 0..<range.count { hopWeights.append(san.hopWeights.flatMap { $0.slice(row).values }) }
  }
  probabilities = try communicator.gatherRows(probabilities, width: model.answers.count)
  guard let cells, san != nil else { return (probabilities, nil) }
  let (hops, locations) = (model.sizes.hops, model.sizes.grid.locations)
  hopWeights = try communicator.gatherRows(hopWeights, width: hops * locations)
  let types = dataset.questions.map(\.questionType)
  return (
    probabilities,
    AttentionLocalisation(
      weights: hopWeights.map { row in (0..<hops).map { Array(row[($0 * locations)..<(($0 + 1) * locations)]) } },
      cells: cells, types: types,
      locations: model.sizes.grid.locations)
  )
}

extension AttentionLocalisation {
  /// `{"color": {"questions":…, "area":…, "hops":[{"hit":…, "mass":…}, …]}, …}`.
  public var json: JSONValue {
    .object(
      rows.map { row in
        (
          row.type,
          .object([
            ("questions", .number(Double(row.questions))), ("area", .number(row.area)),
            ("hops", .array(row.hops.map { .object([("hit", .number($0.hit)), ("mass", .number($0.mass))]) })),
          ])
        )
      })
  }
}

/// The answer probabilities of every question in `batches`, 32 at a time: [questions][answers].
/// `afterChunk`, if given, sees each chunk's question range after its forward pass (while the
/// model still holds that chunk's activations, such as vqa-san's hop weights).
/// With `questions`, only those of `batches`.
public func answerAll(
  _ batches: QuestionBatches, model: AnsweringModel, questions range: Range<Int>? = nil,
  afterChunk: ((Range<Int>) -> Void)? = nil
) throws -> [[Float]] {
  let size = model.encoder.imageSize, a = model.answers.count
  let range = range ?? 0..<batches.questions.count
  let count = range.upperBound
  let chunk = 32
  let images = Tensor(zeros: [batches.grids == nil ? chunk : 0, 3, size, size])
  var cached = CachedGridBuffers()
  var result = [[Float]]()
  result.reserveCapacity(range.count)
  for start in stride(from: range.lowerBound, to: count, by: chunk) {
    let n = min(chunk, count - start)
    var questions = [Int32]()
    let imageIndices = (start..<start + n).map { batches.imageOfQuestion[$0] }
    for row in 0..<n { questions += batches.questions[start + row] }
    let (grid, mean): (Tensor, Tensor)
    if let grids = batches.grids {
      (grid, mean) = cached.read(grids, images: imageIndices)
    } else {
      try batches.images.copyImages(imageIndices, to: images)
      model.encoder.forward(images: n == chunk ? images : images.slice(0..<n))
      (grid, mean) = (model.encoder.grid, model.encoder.mean)
    }
    let logits = model.head.forward(grid: grid, mean: mean, questions: questions, batch: n, steps: batches.steps)
    afterChunk?(start..<start + n)
    softmaxRows(logits.pointer, rows: n, columns: a)
    for row in 0..<n { result.append(Array(UnsafeBufferPointer(start: logits.pointer + row * a, count: a))) }
  }
  return result
}

/// A VQA model's accuracy on a dataset, overall and per question and answer type.
public func scoreAnswers(_ probabilities: [[Float]], dataset: QuestionDataset, answers: AnswerVocabulary) -> (
  VQAScores, [String]
) {
  let predictions = probabilities.map { p in answers.answers[p.indices.max { p[$0] < p[$1] }!] }
  let scores = VQAScores(
    predictions: predictions, answers: dataset.questions.map(\.answers),
    types: dataset.questions.map(\.questionType), answerTypes: dataset.questions.map(\.answerType))
  return (scores, predictions)
}

extension VQAScores {
  /// `{"accuracy":…, "per_type":{…}, "per_answer_type":{…}, "questions":…}`.
  public var json: JSONValue {
    .object([
      ("accuracy", .number(accuracy)), ("per_type", .object(perType.map { ($0.0, .number($0.1)) })),
      ("per_answer_type", .object(perAnswerType.map { ($0.0, .number($0.1)) })),
      ("questions", .number(Double(questions))),
    ])
  }
}
