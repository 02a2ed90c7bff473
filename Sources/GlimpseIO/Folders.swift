#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Creates the folder if it is missing; throws if the path exists and is not a folder.
public func makeFolder(_ path: String) throws {
  if mkdir(path, 0o755) != 0 && errno != EEXIST {
    throw FileError(path, "cannot create the folder: \(systemReason(errno))")
  }
  var status = stat()
  guard stat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR else { throw FileError(path, "is not a folder") }
}

/// Creates the folder and any missing folders above it (`mkdir -p`).
public func makeFolders(_ path: String) throws {
  var prefix = path.hasPrefix("/") ? "/" : ""
  for part in path.split(separator: "/") {
    prefix += part
    try makeFolder(prefix)
    prefix += "/"
  }
}

/// The largest JSON file glimpse reads: parsed, a file takes several times its size in memory,
/// and the largest real annotation files (VQA v2's) are a third of this.
public let largestJSONFile = 1 << 30

/// The largest config.json, vocab.json or answers.json glimpse reads: a vocabulary of a million
/// words is some 20 MB.
public let largestModelFile = 64 << 20

/// Reads and parses a JSON file of at most `maxBytes`; every failure is a FileError naming it.
public func readJSONFile(_ path: String, maxBytes: Int = largestJSONFile) throws -> JSONValue {
  do {
    return try parseJSON(try readFileBytes(path, maxBytes: maxBytes))
  } catch let error as JSONError {
    throw FileError(path, "not valid JSON: \(error)")
  }
}

extension String {
  /// The string with zeros in front, to `length` characters ("7" → "007").
  public func zeroPadded(_ length: Int) -> String { String(repeating: "0", count: max(0, length - count)) + self }
}

/// `value` with exactly `places` digits after the point, rounded ("%.Nf" without Foundation,
/// which the glimpse binary does not link).
public func fixedPoint(_ value: Double, _ places: Int) -> String {
  guard value.isFinite else { return "\(value)" }
  var scale = 1.0
  for _ in 0..<places { scale *= 10 }
  let scaled = (abs(value) * scale).rounded()
  guard scaled < 9e15 else { return "\(value)" }
  let whole = Int(scaled)
  let integer = String(whole / Int(scale)), fraction = String(whole % Int(scale)).zeroPadded(places)
  return (value < 0 && whole != 0 ? "-" : "") + integer + (places > 0 ? "." + fraction : "")
}
