import Foundation
import GlimpseIO
import XCTest

@testable import GlimpseData

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
      _ = FileManager.default.createFile(atPath: path, contents: nil)
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

  /// Each file format counts what it reads and refuses the entry past the cap, naming the file.
  func testEntryCountsAreCapped() throws {
    let folder = NSTemporaryDirectory() + "glimpse-counts-\(getpid())-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    func write(_ name: String, _ text: String) throws -> String {
      let path = folder + "/" + name
      try text.write(toFile: path, atomically: true, encoding: .utf8)
      return path
    }
    let capped = LoadOptions(checkImageFiles: false, mostEntries: 2)
    func assertRefused(_ load: () throws -> Any, _ path: String, _ reason: String, line: UInt = #line) {
      XCTAssertThrowsError(try load(), line: line) { XCTAssertEqual($0 as? FileError, FileError(path, reason)) }
    }
    let coco = try write(
      "coco.json",
      #"{"images": [{"id": 1, "file_name": "a.png"}], "annotations": ["#
        + #"{"image_id": 1, "caption": "a"}, {"image_id": 1, "caption": "b"}, {"image_id": 1, "caption": "c"}]}"#)
    assertRefused(
      { try loadCOCOCaptions(path: coco, options: capped) }, coco,
      "has more than 2 captions; glimpse reads at most that many")
    XCTAssertEqual(try loadCOCOCaptions(path: coco, options: LoadOptions(checkImageFiles: false)).images.count, 1)
    let sentences = #"[{"tokens": ["a"]}, {"tokens": ["b"]}]"#
    let karpathy = try write(
      "dataset_x.json",
      #"{"images": [{"filename": "a.png", "split": "test", "sentences": \#(sentences)}, "#
        + #"{"filename": "b.png", "split": "train", "sentences": \#(sentences)}]}"#)
    assertRefused(
      { try loadKarpathySplit(path: karpathy, split: "train", options: capped) }, karpathy,
      "has more than 2 captions; glimpse reads at most that many")
    let tsv = try write("captions.tsv", "a.png\tone\na.png\ttwo\nb.png\tthree\n")
    assertRefused(
      { try loadCaptionTSV(path: tsv, options: capped) }, tsv, "has more than 2 lines; glimpse reads at most that many")
    let questions = try write(
      "questions.json", #"{"questions": [{"question_id": 1, "image_id": 1, "question": "what?"}]}"#)
    let annotations = try write(
      "annotations.json",
      #"{"annotations": [{"question_id": 1, "multiple_choice_answer": "x", "#
        + #""answers": [{"answer": "x"}, {"answer": "x"}, {"answer": "y"}]}]}"#)
    assertRefused(
      { try loadVQA(questionsPath: questions, annotationsPath: annotations, images: [1: "a.png"], options: capped) },
      annotations, "has more than 2 answers; glimpse reads at most that many")
    let vocab = try write("vocab.json", #"{"<pad>": 0, "<start>": 1, "<end>": 2, "<unk>": 3, "cat": 4}"#)
    XCTAssertEqual(try readIndexedNames(path: vocab, noun: "word", most: 5).count, 5)
    assertRefused(
      { try readIndexedNames(path: vocab, noun: "word", most: 4) }, vocab, "has 5 words; glimpse reads at most 4")
  }
}
