import GlimpseCore
import GlimpseIO

/// Word ids: `<pad>` = 0, `<start>` = 1, `<end>` = 2, `<unk>` = 3, then the words, most frequent
/// first (ties alphabetical, so the same data always gives the same ids). Saved as `vocab.json`,
/// an object mapping each word to its id, in id order.
public struct Vocabulary: Equatable, Sendable {
  public static let specials = SpecialToken.words
  public private(set) var words: [String]
  private var ids: [String: Int32]

  public init(words: [String]) throws(FileError) {
    guard Array(words.prefix(4)) == Self.specials else {
      throw FileError("vocab.json", "the first ids must be <pad>, <start>, <end>, <unk>")
    }
    var ids = [String: Int32]()
    for (id, word) in words.enumerated() {
      guard ids[word] == nil else { throw FileError("vocab.json", "the word '\(excerpt(word))' appears twice") }
      ids[word] = Int32(id)
    }
    self.words = words
    self.ids = ids
  }

  /// The words seen at least `minCount` times in `texts`.
  public static func build(from texts: [[String]], minCount: Int = 1) -> Vocabulary {
    var counts = [String: Int]()
    for tokens in texts { for token in tokens { counts[token, default: 0] += 1 } }
    let kept = counts.filter { $0.value >= minCount && !specials.contains($0.key) }
      .sorted { ($0.value, $1.key) > ($1.value, $0.key) }
      .map(\.key)
    return try! Vocabulary(words: specials + kept)  // cannot fail: specials first, the words distinct keys
  }

  public var count: Int { words.count }
  public func id(_ word: String) -> Int32? { ids[word] }

  /// `<start>` + the words' ids (unknown words → `<unk>`) + `<end>`.
  public func encode(_ tokens: [String]) -> [Int32] {
    [SpecialToken.start] + tokens.map { ids[$0] ?? SpecialToken.unknown } + [SpecialToken.end]
  }

  /// The words of the ids, leaving out `<pad>`, `<start>` and `<end>`.
  public func decode(_ tokenIDs: [Int32]) -> [String] {
    tokenIDs.filter { $0 > SpecialToken.end && Int($0) < words.count }.map { words[Int($0)] }
  }

  public var json: JSONValue { indexedNamesJSON(words) }

  /// Reads `vocab.json`: every id 0..<n exactly once, the special tokens first.
  public static func read(path: String) throws -> Vocabulary {
    let words = try readIndexedNames(path: path, noun: "word")
    do {
      return try Vocabulary(words: words)
    } catch {
      throw FileError(path, error.reason)
    }
  }

  public func write(path: String) throws { try writeIndexedNames(words, path: path) }
}
