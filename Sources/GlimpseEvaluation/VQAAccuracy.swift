/// Answers normalised and scored as the official VQA evaluation does: lower case, punctuation
/// removed (a period only where it is not a decimal point, commas between digits dropped),
/// number words written as digits, the articles a, an and the dropped, common contractions
/// restored; then a prediction scores min(#annotators who gave it / 3, 1) when a question has
/// several answers, and exact match when it has one.
public func normalizeAnswer(_ answer: String) -> String {
  var characters = Array(answer.lowercased().map { $0 == "\n" || $0 == "\t" ? " " : $0 })
  while characters.first == " " { characters.removeFirst() }
  while characters.last == " " { characters.removeLast() }
  var out = ""
  for (i, c) in characters.enumerated() {
    let previousDigit = i > 0 && characters[i - 1].isNumber,
      nextDigit = i + 1 < characters.count && characters[i + 1].isNumber
    if c == "," && previousDigit && nextDigit { continue }
    if c == "." && previousDigit && nextDigit { out.append(c); continue }
    if punctuation.contains(c) {
      // As the official code: punctuation next to a space vanishes, elsewhere it becomes a space.
      let besideSpace = (i > 0 && characters[i - 1] == " ") || (i + 1 < characters.count && characters[i + 1] == " ")
      if !besideSpace { out.append(" ") }
      continue
    }
    out.append(c)
  }
  var words = [String]()
  for word in out.split(separator: " ").map(String.init) {
    let mapped = numberWords[word] ?? word
    if articles.contains(mapped) { continue }
    words.append(contractions[mapped] ?? mapped)
  }
  return words.joined(separator: " ")
}

let punctuation: Set<Character> = [
  ";", "/", "[", "]", "\"", "{", "}", "(", ")", "=", "+", "\\", "_", "-", ">", "<", "@", "`", ",", "?", "!", "'", ".",
  ":", "*", "#", "%", "^", "&", "$",
]
let numberWords = [
  "none": "0", "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
  "seven": "7", "eight": "8", "nine": "9", "ten": "10",
]
let articles: Set<String> = ["a", "an", "the"]
let contractions = [
  "dont": "don't", "doesnt": "doesn't", "isnt": "isn't", "arent": "aren't", "cant": "can't", "wont": "won't",
  "wasnt": "wasn't", "werent": "weren't", "didnt": "didn't", "hasnt": "hasn't", "havent": "haven't",
  "couldnt": "couldn't", "shouldnt": "shouldn't", "wouldnt": "wouldn't", "im": "i'm", "ive": "i've",
  "youre": "you're", "thats": "that's", "whats": "what's", "theres": "there's", "its": "it's",
]

/// One prediction's VQA accuracy against the annotators' answers.
public func vqaAccuracy(prediction: String, answers: [String]) -> Double {
  let predicted = normalizeAnswer(prediction)
  let normalised = answers.map(normalizeAnswer)
  if normalised.count == 1 { return predicted == normalised[0] ? 1 : 0 }
  return min(Double(normalised.filter { $0 == predicted }.count) / 3, 1)
}

/// Accuracy overall, per question type and per answer type.
public struct VQAScores: Equatable, Sendable {
  public var accuracy: Double
  public var perType: [(String, Double)]
  public var perAnswerType: [(String, Double)]
  public var questions: Int

  public static func == (a: VQAScores, b: VQAScores) -> Bool {
    a.accuracy == b.accuracy && a.questions == b.questions && a.perType.map(\.0) == b.perType.map(\.0)
      && a.perType.map(\.1) == b.perType.map(\.1)
  }

  /// `predictions[i]` answers the question of type `types[i]` and answer type `answerTypes[i]`
  /// whose annotators said `answers[i]`. Types are listed in order of first appearance.
  public init(predictions: [String], answers: [[String]], types: [String], answerTypes: [String]) {
    precondition(predictions.count == answers.count && !predictions.isEmpty)
    let scores = zip(predictions, answers).map { vqaAccuracy(prediction: $0, answers: $1) }
    func grouped(_ keys: [String]) -> [(String, Double)] {
      var order = [String](), sums = [String: (Double, Int)]()
      for (key, score) in zip(keys, scores) {
        if sums[key] == nil { order.append(key) }
        let (sum, count) = sums[key] ?? (0, 0)
        sums[key] = (sum + score, count + 1)
      }
      return order.map { ($0, sums[$0]!.0 / Double(sums[$0]!.1)) }
    }
    accuracy = scores.reduce(0, +) / Double(scores.count)
    perType = grouped(types)
    perAnswerType = grouped(answerTypes)
    questions = scores.count
  }
}
