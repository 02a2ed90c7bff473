import Foundation
import GlimpseTestSupport
import XCTest

/// `glimpse classify` with the shipped encoder: the cat is a cat, and bad input is one line.
final class ClassifyCommandTests: XCTestCase {
  let encoder = projectRoot + "/models/efficientnet-lite0"
  let cat = projectRoot + "/datasets/photos/chelsea.png"

  func testTheCatIsATigerCatInJSON() throws {
    let result = try runGlimpse(["classify", "--encoder", encoder, "--json", "--top", "3", cat])
    XCTAssertEqual(result.status, 0, result.stderr)
    let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    XCTAssertEqual(object["image"] as? String, cat)
    let top = try XCTUnwrap(object["top"] as? [[String: Any]])
    XCTAssertEqual(top.compactMap { $0["index"] as? Int }, [282, 285, 281])
    XCTAssertEqual(top.compactMap { $0["label"] as? String }, ["tiger cat", "Egyptian cat", "tabby"])
  }

  func testPlainOutputListsPercentages() throws {
    let result = try runGlimpse(["classify", "--encoder", encoder, "--top", "1", cat])
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertEqual(result.stdout, "   38.3%  tiger cat (282)\n")
  }

  func testMissingImageIsOneLineAndTheOthersStillRun() throws {
    let result = try runGlimpse(["classify", "--encoder", encoder, "--top", "1", "/nonexistent.png", cat])
    XCTAssertEqual(result.status, 1)
    XCTAssertEqual(result.stderrLines, ["glimpse: error: /nonexistent.png: no such file or directory"])
    XCTAssertTrue(result.stdout.contains("tiger cat"), result.stdout)
  }

  func testEncoderFolderThatIsACaptionModelIsRefused() throws {
    let folder = projectRoot + "/models/caption-attention"
    let result = try runGlimpse(["classify", "--encoder", folder, cat])
    XCTAssertEqual(result.status, 1)
    XCTAssertEqual(
      result.stderrLines,
      [
        "glimpse: error: \(folder)/config.json: encoder 'cnn-small' is not one glimpse has "
          + "(efficientnet-lite0)"
      ])
  }

  func testTopOutOfRangeIsUsage() throws {
    let result = try runGlimpse(["classify", "--top", "0", cat])
    XCTAssertEqual(result.status, 64)
    XCTAssertTrue(result.stderr.contains("--top must be between 1 and 1000"), result.stderr)
  }
}
