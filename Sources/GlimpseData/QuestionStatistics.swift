import GlimpseIO

/// How one question type's answers are spread in a split.
public struct AnswerBalance: Equatable, Sendable {
  public var type: String
  public var questions: Int
  public var distinctAnswers: Int
  public var majorityAnswer: String
  /// The share of questions the majority answer is right for: what a blind guesser gets.
  public var majorityShare: Double
}

/// Reads DIR/annotations.json (VQA v2) and measures each question type's answer balance.
public func answerBalance(folder: String) throws -> [AnswerBalance] {
  let path = folder + "/annotations.json"
  guard let annotations = try readJSONFile(path)["annotations"]?.array else {
    throw FileError(path, "missing the 'annotations' list")
  }
  var counts = [String: [String: Int]]()
  var order = [String]()
  for (index, annotation) in annotations.enumerated() {
    guard let type = annotation["question_type"]?.string, let answer = annotation["multiple_choice_answer"]?.string
    else {
      throw FileError(path, "annotations[\(index)]: needs 'question_type' and 'multiple_choice_answer'")
    }
    if counts[type] == nil { order.append(type) }
    counts[type, default: [:]][answer, default: 0] += 1
  }
  return order.map { type in
    let answers = counts[type]!
    let total = answers.values.reduce(0, +)
    let majority = answers.max { ($0.value, $1.key) < ($1.value, $0.key) }!
    return AnswerBalance(
      type: type, questions: total, distinctAnswers: answers.count, majorityAnswer: majority.key,
      majorityShare: Double(majority.value) / Double(total))
  }
}
