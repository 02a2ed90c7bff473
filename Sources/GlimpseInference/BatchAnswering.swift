import GlimpseCore
import GlimpseModels
import GlimpseTensor

/// One image and question of a batch: the image's model input ([3, S, S] floats) and the
/// question as `encodeAnswerableQuestion` gives it.
public struct QuestionRequest: Sendable {
  public var input: [Float]
  public var question: String
  public var ids: [Int32]
  public var unknown: [String]
  public init(input: [Float], question: String, ids: [Int32], unknown: [String]) {
    (self.input, self.question, self.ids, self.unknown) = (input, question, ids, unknown)
  }
}

/// Answers batches of questions, each about its own image, as `ImageQuestions.ask` would one
/// at a time: one encoder pass and one pass of the head for the batch, the questions padded
/// with `<pad>` to the longest. Not thread-safe: one caller at a time.
public final class BatchAnswerer {
  public let model: AnsweringModel

  public init(model: AnsweringModel) throws {
    try loadBLAS()
    self.model = model
    model.encoder.weightsFixed = true  // long-lived, as BatchCaptioner's
    if model.encoder is CNNEncoder { _ = CalibratedTuning.current }  // measured now if never, not in a request
  }

  public var inputCount: Int { 3 * model.encoder.imageSize * model.encoder.imageSize }

  public func answer(_ requests: [QuestionRequest], top: Int) -> [AnsweredQuestion] {
    precondition(!requests.isEmpty && requests.allSatisfy { $0.input.count == inputCount && !$0.ids.isEmpty })
    let (n, size) = (requests.count, model.encoder.imageSize)
    model.encoder.forward(images: Tensor(shape: [n, 3, size, size], values: requests.flatMap(\.input)))
    let steps = requests.map(\.ids.count).max()!
    var questions = [Int32](repeating: SpecialToken.pad, count: n * steps)
    for (row, request) in requests.enumerated() {
      for (t, id) in request.ids.enumerated() { questions[row * steps + t] = id }
    }
    let logits = model.head.forward(
      grid: model.encoder.grid, mean: model.encoder.mean, questions: questions, batch: n, steps: steps)
    return requests.indices.map { row in
      rankedAnswers(
        model: model, logits: logits, row: row, question: requests[row].question, unknown: requests[row].unknown,
        top: top)
    }
  }
}
