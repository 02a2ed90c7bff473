import Foundation
import GlimpseData
import GlimpseIO
import XCTest

final class VocabularyTests: XCTestCase {
  func testTokenizeLowerCasesAndSplitsOnPunctuation() {
    XCTAssertEqual(
      tokenize("Two shapes: a Red circle, left of a BLUE square."),
      ["two", "shapes", "a", "red", "circle", "left", "of", "a", "blue", "square"])
    XCTAssertEqual(tokenize("  "), [])
    XCTAssertEqual(tokenize("it's 2"), ["it", "s", "2"])
  }

  func testBuildOrdersByFrequencyThenAlphabetAndAppliesMinCount() throws {
    let texts = [["a", "red", "circle"], ["a", "blue", "circle"], ["a", "red", "square"]]
    let vocabulary = Vocabulary.build(from: texts, minCount: 2)
    XCTAssertEqual(vocabulary.words, ["<pad>", "<start>", "<end>", "<unk>", "a", "circle", "red"])
    XCTAssertEqual(vocabulary.encode(["a", "blue", "circle"]), [1, 4, 3, 5, 2])
    XCTAssertEqual(vocabulary.decode([1, 4, 3, 5, 2, 0]), ["a", "<unk>", "circle"])
  }

  func testWriteAndReadBack() throws {
    let folder = NSTemporaryDirectory() + "glimpse-vocab-\(getpid())"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let vocabulary = Vocabulary.build(from: [["a", "red", "circle"]])
    try vocabulary.write(path: folder + "/vocab.json")
    XCTAssertEqual(
      try String(contentsOfFile: folder + "/vocab.json", encoding: .utf8),
      "{\"<pad>\":0,\"<start>\":1,\"<end>\":2,\"<unk>\":3,\"a\":4,\"circle\":5,\"red\":6}\n")
    XCTAssertEqual(try Vocabulary.read(path: folder + "/vocab.json"), vocabulary)

    let bad = folder + "/bad.json"
    try writeFileAtomically(bad, Array(#"{"<pad>":0,"<start>":1,"<end>":2,"<unk>":3,"a":3}"#.utf8))
    XCTAssertThrowsError(try Vocabulary.read(path: bad)) {
      XCTAssertEqual($0 as? FileError, FileError(bad, "the index of 'a' must be a distinct integer from 0 to 4"))
    }
    try writeFileAtomically(bad, Array(#"{"a":0,"<start>":1,"<end>":2,"<unk>":3}"#.utf8))
    XCTAssertThrowsError(try Vocabulary.read(path: bad)) {
      XCTAssertEqual($0 as? FileError, FileError(bad, "the first ids must be <pad>, <start>, <end>, <unk>"))
    }
  }
}

final class AnswerVocabularyTests: XCTestCase {
  func testTopKByFrequencyAndRoundTrip() throws {
    let answers = try AnswerVocabulary.build(from: ["red", "yes", "no", "yes", "red", "2", "yes"], topK: 3)
    XCTAssertEqual(answers.answers, ["yes", "red", "2"])
    XCTAssertEqual(answers.index("red"), 1)
    XCTAssertNil(answers.index("no"), "outside the top 3")
    let path = NSTemporaryDirectory() + "glimpse-answers-\(getpid()).json"
    defer { try? FileManager.default.removeItem(atPath: path) }
    try answers.write(path: path)
    XCTAssertEqual(try AnswerVocabulary.read(path: path), answers)
    XCTAssertThrowsError(try AnswerVocabulary.build(from: [], topK: 10)) {
      XCTAssertEqual($0 as? FileError, FileError("answers.json", "no answers to build the answer vocabulary from"))
    }
  }
}
