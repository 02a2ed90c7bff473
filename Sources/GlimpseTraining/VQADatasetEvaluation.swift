import GlimpseData
import GlimpseEvaluation
import GlimpseIO
import GlimpseTensor

/// `glimpse eval vqa`: answers every question of a dataset and scores the answers; with
/// `predictionsPath`, also writes the VQA results file `[{question_id, answer}]`.
public func evaluateAnswerer(model: AnsweringModel, data: String, predictionsPath: String? = nil) throws -> VQAScores {
  try loadBLAS()
  let dataset = try QuestionSource(path: data).dataset
  let batches = try QuestionBatches(dataset: dataset, vocabulary: model.vocabulary, answers: model.answers)
  let (scores, predictions) = scoreAnswers(try answerAll(batches, model: model), dataset: dataset, answers: model.answers)
  if let predictionsPath {
    let results: JSONValue = .array(zip(dataset.questions, predictions).map { question, answer in
      .object([("question_id", .number(Double(question.id))), ("answer", .string(answer))])
    })
    try writeFileAtomically(predictionsPath, Array((results.text + "\n").utf8))
  }
  return scores
}
