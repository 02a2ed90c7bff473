import Foundation
import GlimpseData
import GlimpseIO
import GlimpseTensor
import GlimpseTraining
import XCTest

/// `glimpse caption` with an untrained model (its captions are nonsense, but the mechanics are
/// the same) and each kind of bad input: one line naming the file, exit 1.
final class CaptionCommandTests: XCTestCase {
  var folder = ""
  var model: String { folder + "/model" }
  var image: String { projectRoot + "/datasets/sample/images/test_000001.png" }

  override func setUpWithError() throws {
    folder = NSTemporaryDirectory() + "glimpse-caption-\(getpid())-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    var random = SeededGenerator(seed: 1)
    let vocabulary = Vocabulary.build(from: [["a", "large", "red", "circle"], ["a", "small", "blue", "square"]])
    try CaptionModel(kind: .attention, vocabulary: vocabulary, random: &random).save(folder: model)
  }

  override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

  func testCaptionsAndJSON() throws {
    let plain = try runGlimpse(["caption", "--model", model, image])
    XCTAssertEqual(plain.status, 0, plain.stderr)
    XCTAssertEqual(plain.stdout.split(separator: "\n").count, 1)
    let json = try runGlimpse(["caption", "--model", model, "--json", "--beam", "3", image])
    let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
    XCTAssertEqual(object?["image"] as? String, image)
    XCTAssertNotNil(object?["tokens"] as? [[String: Any]])
  }

  func expectOneLineError(_ arguments: [String], _ expected: String, line: UInt = #line) throws {
    let result = try runGlimpse(arguments)
    XCTAssertEqual(result.status, 1, line: line)
    XCTAssertEqual(result.stderrLines, ["glimpse: error: " + expected], line: line)
  }

  func testBadInputIsOneLineNamingTheFile() throws {
    try expectOneLineError(["caption", "--model", folder + "/nowhere", image], "\(folder)/nowhere: no such model folder")
    let config = model + "/config.json", weights = model + "/model.safetensors"
    let text = String(decoding: try readFileBytes(config), as: UTF8.self)
    try writeFileAtomically(config, Array(text.replacingOccurrences(of: "\"decoder\":\"attention\"", with: "\"decoder\":\"rnn\"").utf8))
    try expectOneLineError(["caption", "--model", model, image],
                           "\(weights): does not fit the rnn model of config.json: missing tensor 'decoder.wxh.weight'")
    try writeFileAtomically(config, Array(text.utf8))
    let bytes = try readFileBytes(weights)
    try writeFileAtomically(weights, Array(bytes.prefix(6)))
    try expectOneLineError(["caption", "--model", model, image], "\(weights): file is 6 bytes, too short for the 8-byte header length")
    try writeFileAtomically(weights, bytes)
    let shared = try sharedFolder()
    let bad = shared + "/conformance/bad/truncated_half.jpg"
    try expectOneLineError(["caption", "--model", model, bad], "\(bad): invalid JPEG: Premature end of JPEG file")
  }
}
