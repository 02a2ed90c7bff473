import GlimpseData
import GlimpseEvaluation
import GlimpseIO
import GlimpseModels
import GlimpseTensor

/// `glimpse eval vqa`: answers every question of a dataset and scores the answers; with
/// `predictionsPath`, also writes the VQA results file `[{question_id, answer}]`. For vqa-san on a
/// folder with scenes.json (generated data), also where its hops look for questions about one
/// object.
public func evaluateAnswerer(model: AnsweringModel, data: String, predictionsPath: String? = nil) throws
  -> (scores: VQAScores, localisation: AttentionLocalisation?) {
  try loadBLAS()
  let source = try QuestionSource(path: data)
  let dataset = source.dataset
  let batches = try QuestionBatches(dataset: dataset, vocabulary: model.vocabulary, answers: model.answers,
                                    imageSize: model.sizes.imageSize)
  let side = model.sizes.grid.side
  let cells = model.kind == .san ? source.scenes.map { questionObjectCells(dataset, scenes: $0, gridSide: side) } : nil
  let (probabilities, localisation) = try answerAndLocate(batches, dataset: dataset, model: model, cells: cells)
  let (scores, predictions) = scoreAnswers(probabilities, dataset: dataset, answers: model.answers)
  if let predictionsPath {
    let results: JSONValue = .array(zip(dataset.questions, predictions).map { question, answer in
      .object([("question_id", .number(Double(question.id))), ("answer", .string(answer))])
    })
    try writeFileAtomically(predictionsPath, Array((results.text + "\n").utf8))
  }
  return (scores, localisation)
}

/// `answerAll`, and with `cells` (one entry per question of `batches`), where the hops looked.
func answerAndLocate(_ batches: QuestionBatches, dataset: QuestionDataset, model: AnsweringModel, cells: [[Int]]?) throws
  -> ([[Float]], AttentionLocalisation?) {
  let san = cells == nil ? nil : model.head as? VQASAN
  var hopWeights = [[[Float]]]()
  let probabilities = try answerAll(batches, model: model) { range in
    guard let san else { return }
    for row in 0..<range.count { hopWeights.append(san.hopWeights.map { $0.slice(row).values }) }
  }
  guard let cells, san != nil else { return (probabilities, nil) }
  let types = dataset.questions.map(\.questionType)
  return (probabilities, AttentionLocalisation(weights: hopWeights, cells: cells, types: types,
                                                   locations: model.sizes.grid.locations))
}

extension AttentionLocalisation {
  /// `{"color": {"questions":…, "area":…, "hops":[{"hit":…, "mass":…}, …]}, …}`.
  public var json: JSONValue {
    .object(rows.map { row in
      (row.type, .object([("questions", .number(Double(row.questions))), ("area", .number(row.area)),
                          ("hops", .array(row.hops.map { .object([("hit", .number($0.hit)), ("mass", .number($0.mass))]) }))]))
    })
  }
}
