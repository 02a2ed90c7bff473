import Foundation
import GlimpseData
import GlimpseIO
import XCTest

/// No file makes a reader allocate without bound, and an error quotes at most some 60
/// characters of what it read, however long the value.
final class ReaderLimitTests: XCTestCase {
  /// Sparse files (no disk used) one byte over each limit are refused before they are read.
  func testOversizedFilesAreRefusedUnread() throws {
    let folder = NSTemporaryDirectory() + "glimpse-limits-\(getpid())-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    func sparse(_ name: String, _ size: Int) -> String {
      let path = folder + "/" + name
      FileManager.default.createFile(atPath: path, contents: nil)
      XCTAssertEqual(truncate(path, off_t(size)), 0)
      return path
    }
    let vocab = sparse("vocab.json", largestModelFile + 1)
    XCTAssertThrowsError(try Vocabulary.read(path: vocab)) {
      XCTAssertEqual(
        $0 as? FileError, FileError(vocab, "is 67108865 bytes; glimpse reads such a file only up to 67108864 bytes"))
    }
    let captions = sparse("captions.json", largestJSONFile + 1)
    XCTAssertThrowsError(try loadCOCOCaptions(path: captions, options: LoadOptions(checkImageFiles: false))) {
      XCTAssertEqual(
        $0 as? FileError,
        FileError(captions, "is 1073741825 bytes; glimpse reads such a file only up to 1073741824 bytes"))
    }
    let tokens = sparse("big.token.txt", largestJSONFile + 1)
    XCTAssertThrowsError(try loadFlickr8kTokens(path: tokens, options: LoadOptions(checkImageFiles: false))) {
      XCTAssertEqual(
        $0 as? FileError,
        FileError(tokens, "is 1073741825 bytes; glimpse reads such a file only up to 1073741824 bytes"))
    }
  }

  func testExcerpt() {
    XCTAssertEqual(excerpt("short"), "short")
    XCTAssertEqual(excerpt(String(repeating: "a", count: 60)), String(repeating: "a", count: 60))
    XCTAssertEqual(excerpt(String(repeating: "b", count: 61)), String(repeating: "b", count: 57) + "…")
  }

  func testAHugeDuplicateWordIsQuotedShort() {
    let word = String(repeating: "w", count: 1_000_000)
    XCTAssertThrowsError(try Vocabulary(words: ["<pad>", "<start>", "<end>", "<unk>", word, word])) {
      XCTAssertEqual(
        ($0 as? FileError)?.description,
        "vocab.json: the word '\(String(repeating: "w", count: 57))…' appears twice")
    }
  }
}
