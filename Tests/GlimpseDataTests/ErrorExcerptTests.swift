import GlimpseData
import GlimpseIO
import XCTest

/// An error quotes at most some 60 characters of what it read, however long the value.
final class ErrorExcerptTests: XCTestCase {
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
