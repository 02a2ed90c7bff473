import GlimpseData
import GlimpseIO
import XCTest

let dataFixtures: String = {
  var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
  parts.removeLast()
  return parts.joined(separator: "/") + "/Fixtures"
}()

final class LoaderTests: XCTestCase {
  let a = dataFixtures + "/images/a.png", b = dataFixtures + "/images/b.png"

  func testCOCOCaptions() throws {
    let data = try loadCOCOCaptions(path: dataFixtures + "/coco_captions.json")
    XCTAssertEqual(
      data.images,
      [
        CaptionedImage(id: 7, path: a, captions: ["A large red circle.", "there is a large red circle"]),
        CaptionedImage(id: 9, path: b, captions: ["a small blue square"]),
      ])
    XCTAssertEqual(data.skipped, [])
  }

  func testCOCOBadEntriesAreNamedOrSkipped() throws {
    let path = dataFixtures + "/coco_bad.json"
    XCTAssertThrowsError(try loadCOCOCaptions(path: path)) {
      XCTAssertEqual($0 as? FileError, FileError(path, "images[1]: needs an integer 'id' and a string 'file_name'"))
    }
    let data = try loadCOCOCaptions(path: path, options: LoadOptions(skipBad: true))
    XCTAssertEqual(data.images, [CaptionedImage(id: 7, path: a, captions: ["A large red circle."])])
    XCTAssertEqual(
      data.skipped,
      [
        "\(path): images[1]: needs an integer 'id' and a string 'file_name'",
        "\(path): images[2]: image file '\(dataFixtures)/images/missing.png' does not exist",
        "\(path): annotations[1]: caption for image_id 42, which is not in 'images'",
      ])
  }

  func testBadJSONAndMissingKeysNameTheFile() {
    let truncated = dataFixtures + "/truncated.json"
    XCTAssertThrowsError(try loadCOCOCaptions(path: truncated)) {
      XCTAssertEqual(
        $0 as? FileError, FileError(truncated, "not valid JSON: unexpected end of text in an object at byte 49"))
    }
    let karpathy = dataFixtures + "/karpathy.json"
    XCTAssertThrowsError(try loadCOCOCaptions(path: karpathy)) {
      XCTAssertEqual($0 as? FileError, FileError(karpathy, "missing the 'annotations' list"))
    }
    XCTAssertThrowsError(try loadCOCOCaptions(path: dataFixtures + "/nothing.json")) {
      XCTAssertEqual($0 as? FileError, FileError(dataFixtures + "/nothing.json", "no such file or directory"))
    }
  }

  func testKarpathySplitKeepsOneSplitAndRestvalWithTrain() throws {
    let path = dataFixtures + "/karpathy.json"
    let train = try loadKarpathySplit(path: path, split: "train")
    XCTAssertEqual(train.images.map(\.captions), [["a large red circle"], ["a gray square"]])
    XCTAssertEqual(train.images.map(\.path), [a, b])
    let val = try loadKarpathySplit(path: path, split: "val")
    XCTAssertEqual(val.images, [CaptionedImage(id: 1, path: b, captions: ["a small square", "one square"])])
  }

  func testFlickr8kTokens() throws {
    let data = try loadFlickr8kTokens(path: dataFixtures + "/flickr8k.token.txt")
    XCTAssertEqual(
      data.images,
      [
        CaptionedImage(id: 0, path: a, captions: ["A large red circle .", "there is a red circle"]),
        CaptionedImage(id: 1, path: b, captions: ["a gray square"]),
      ])
    let bad = dataFixtures + "/flickr8k_bad.token.txt"
    XCTAssertThrowsError(try loadFlickr8kTokens(path: bad)) {
      XCTAssertEqual($0 as? FileError, FileError(bad, "line 2: expected an image name, a tab, and a caption"))
    }
    let skipped = try loadFlickr8kTokens(path: bad, options: LoadOptions(skipBad: true))
    XCTAssertEqual(skipped.images.count, 1)
    XCTAssertEqual(skipped.skipped.count, 2, "line 2 (no #k) and line 3 (empty caption)")
  }

  func testCaptionTSVGroupsLinesByImage() throws {
    let data = try loadCaptionTSV(path: dataFixtures + "/captions.tsv")
    XCTAssertEqual(
      data.images,
      [
        CaptionedImage(id: 0, path: b, captions: ["a gray square", "one square"]),
        CaptionedImage(id: 1, path: a, captions: ["a red circle"]),
      ])
  }

  func testVQA() throws {
    let questions = dataFixtures + "/vqa_questions.json", annotations = dataFixtures + "/vqa_annotations.json"
    let images = [7: a, 9: b]
    XCTAssertThrowsError(try loadVQA(questionsPath: questions, annotationsPath: annotations, images: images)) {
      XCTAssertEqual(
        $0 as? FileError, FileError(questions, "questions[2]: question about image_id 5, which has no image file"))
    }
    let data = try loadVQA(
      questionsPath: questions, annotationsPath: annotations, images: images, options: LoadOptions(skipBad: true))
    XCTAssertEqual(data.questions.count, 2)
    XCTAssertEqual(
      data.questions[1],
      VQAQuestion(
        id: 90, imageID: 9, imagePath: b, question: "How many shapes are there?",
        questionType: "count", answerType: "number", answer: "1", answers: ["1", "one", "1"]))
    XCTAssertEqual(data.skipped, ["\(questions): questions[2]: question about image_id 5, which has no image file"])
  }
}
