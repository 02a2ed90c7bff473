import GlimpseIO

/// The form of `vocab.json` and `answers.json`: a JSON object mapping each name to its index,
/// the indices 0..<n each used once, written in index order.
func indexedNamesJSON(_ names: [String]) -> JSONValue {
  .object(names.enumerated().map { ($1, .number(Double($0))) })
}

func writeIndexedNames(_ names: [String], path: String) throws {
  try writeFileAtomically(path, Array((indexedNamesJSON(names).text + "\n").utf8))
}

/// The most words or answers a vocabulary file holds: ten times the largest vocabularies in use,
/// and an embedding of this many rows is already gigabytes.
public let mostIndexedNames = 1_000_000

/// The names in index order; `noun` names an entry in errors ("word", "answer").
func readIndexedNames(path: String, noun: String, most: Int = mostIndexedNames) throws -> [String] {
  let value = try readJSONFile(path, maxBytes: largestModelFile)
  guard let members = value.object else { throw FileError(path, "must be an object mapping each \(noun) to its index") }
  guard members.count <= most else {
    throw FileError(path, "has \(members.count) \(noun)s; glimpse reads at most \(most)")
  }
  var names = [String?](repeating: nil, count: members.count)
  for (name, index) in members {
    guard let i = index.integer, (0..<members.count).contains(i), names[i] == nil else {
      throw FileError(path, "the index of '\(excerpt(name))' must be a distinct integer from 0 to \(members.count - 1)")
    }
    names[i] = name
  }
  return names.map { $0! }
}
