import GlimpseIO

/// The closed set of answers a VQA model chooses from: the `topK` most frequent training
/// answers (ties alphabetical), saved as `answers.json`, an object mapping answer to index.
public struct AnswerVocabulary: Equatable, Sendable {
  public let answers: [String]
  private let indices: [String: Int32]

  public init(answers: [String]) throws(FileError) {
    var indices = [String: Int32]()
    for (index, answer) in answers.enumerated() {
      guard indices[answer] == nil else {
        throw FileError("answers.json", "the answer '\(excerpt(answer))' appears twice")
      }
      indices[answer] = Int32(index)
    }
    guard !answers.isEmpty else { throw FileError("answers.json", "no answers") }
    self.answers = answers
    self.indices = indices
  }

  /// Throws when there is no answer to build from (a dataset without questions).
  public static func build(from answers: [String], topK: Int) throws(FileError) -> AnswerVocabulary {
    var counts = [String: Int]()
    for answer in answers { counts[answer, default: 0] += 1 }
    let kept = counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(max(topK, 0)).map(\.key)
    guard !kept.isEmpty else { throw FileError("answers.json", "no answers to build the answer vocabulary from") }
    return try AnswerVocabulary(answers: kept)
  }

  public var count: Int { answers.count }
  /// The answer's index, or nil for an answer outside the set.
  public func index(_ answer: String) -> Int32? { indices[answer] }

  public var json: JSONValue { indexedNamesJSON(answers) }

  public func write(path: String) throws { try writeIndexedNames(answers, path: path) }

  public static func read(path: String) throws -> AnswerVocabulary {
    let answers = try readIndexedNames(path: path, noun: "answer")
    do {
      return try AnswerVocabulary(answers: answers)
    } catch {
      throw FileError(path, error.reason)
    }
  }
}
