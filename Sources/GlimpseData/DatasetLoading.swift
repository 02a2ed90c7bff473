import GlimpseIO

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// An image and its reference captions.
public struct CaptionedImage: Equatable, Sendable {
  public var id: Int
  public var path: String
  public var captions: [String]

  public init(id: Int, path: String, captions: [String]) {
    (self.id, self.path, self.captions) = (id, path, captions)
  }
}

/// Images with captions, and what was skipped (with `skipBad`), one message per entry.
public struct CaptionDataset: Sendable {
  public var images: [CaptionedImage]
  public var skipped: [String]
}

/// The most entries of one kind (images, captions, questions, answers) read from one file. The
/// largest real files hold far fewer (VQA v2's training annotations 4.4 million answers, COCO's
/// 616,767 captions); the cap keeps a hostile file from filling memory with tiny entries.
public let mostEntriesPerFile = 20_000_000

/// How strict loading is: by default the first bad entry is an error naming the file and the
/// entry; with `skipBad` each bad entry is left out and reported in `skipped`.
public struct LoadOptions: Sendable {
  public var skipBad: Bool
  /// Check that every image file exists (decoding is checked when it is read).
  public var checkImageFiles: Bool
  /// The most images, captions, questions or answers read from one file.
  public var mostEntries: Int

  public init(skipBad: Bool = false, checkImageFiles: Bool = true, mostEntries: Int = mostEntriesPerFile) {
    self.skipBad = skipBad
    self.checkImageFiles = checkImageFiles
    self.mostEntries = mostEntries
  }
}

/// Counts entries of one kind in one file and refuses the one past `LoadOptions.mostEntries`.
struct EntryCount {
  let path: String
  let noun: String
  let most: Int
  private(set) var count = 0

  init(path: String, noun: String, options: LoadOptions) {
    (self.path, self.noun, self.most) = (path, noun, options.mostEntries)
  }

  mutating func add(_ entries: Int = 1) throws(FileError) {
    count += entries
    guard count <= most else { throw FileError(path, "has more than \(most) \(noun); glimpse reads at most that many") }
  }
}

/// Collects bad entries of one file: throws on the first, or records each with `skipBad`.
struct EntryProblems {
  let path: String
  let options: LoadOptions
  var skipped: [String] = []

  mutating func report(_ entry: String, _ reason: String) throws(FileError) {
    let message = "\(entry): \(reason)"
    guard options.skipBad else { throw FileError(path, message) }
    skipped.append("\(path): \(message)")
  }

  /// Whether the image file exists; reports it if not.
  mutating func imageExists(_ imagePath: String, entry: String) throws(FileError) -> Bool {
    guard options.checkImageFiles else { return true }
    var status = stat()
    if stat(imagePath, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG { return true }
    try report(entry, "image file '\(imagePath)' does not exist")
    return false
  }
}

/// The folder of a file's path.
func folder(of path: String) -> String {
  guard let slash = path.lastIndex(of: "/") else { return "." }
  return String(path[..<slash])
}

/// Reads a text file (at most 1 GiB) as lines, naming it in any error.
func readLines(_ path: String) throws -> [Substring] {
  let bytes = try readFileBytes(path, maxBytes: largestJSONFile)
  guard let text = String(validating: bytes, as: UTF8.self) else { throw FileError(path, "not UTF-8 text") }
  return text.split(separator: "\n", omittingEmptySubsequences: false)
}
