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
  let dataset = try QuestionSource(path: data).dataset
  let batches = try QuestionBatches(dataset: dataset, vocabulary: model.vocabulary, answers: model.answers)
  let scenesPath = data + "/scenes.json"
  let san = model.head as? VQASAN
  let cells = san != nil && fileExists(scenesPath) ? try questionObjectCells(dataset, scenesPath: scenesPath) : nil
  var hopWeights = [[[Float]]]()
  let probabilities = try answerAll(batches, model: model) { range in
    guard let san, cells != nil else { return }
    for row in 0..<range.count { hopWeights.append(san.hopWeights.map { $0.slice(row).values }) }
  }
  let (scores, predictions) = scoreAnswers(probabilities, dataset: dataset, answers: model.answers)
  if let predictionsPath {
    let results: JSONValue = .array(zip(dataset.questions, predictions).map { question, answer in
      .object([("question_id", .number(Double(question.id))), ("answer", .string(answer))])
    })
    try writeFileAtomically(predictionsPath, Array((results.text + "\n").utf8))
  }
  let localisation = cells.map {
    AttentionLocalisation(weights: hopWeights, cells: $0, types: dataset.questions.map(\.questionType), locations: CNNEncoder.locations)
  }
  return (scores, localisation)
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
