import GlimpseCore
import Foundation
import GlimpseData
import GlimpseIO
import GlimpseImage
import GlimpseInference
import GlimpseTensor
import GlimpseTraining
import GlimpseTestSupport
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

  /// --temperature samples: a seed gives the same caption every time, different seeds differ.
  func testSamplingIsSeeded() throws {
    let sample = { (seed: Int) in
      try runGlimpse(["caption", "--model", self.model, "--temperature", "1.5", "--seed", String(seed), self.image])
    }
    let first = try sample(1), again = try sample(1)
    XCTAssertEqual(first.status, 0, first.stderr)
    XCTAssertEqual(first.stdout, again.stdout)
    let captions = Set(try (1...6).map { try sample($0).stdout })
    XCTAssertGreaterThan(captions.count, 1, "six seeds gave one caption: \(captions)")
    let both = try runGlimpse(["caption", "--model", model, "--temperature", "1", "--beam", "3", image])
    XCTAssertEqual(both.status, 64)
    XCTAssertEqual(
      both.stderrLines.first, "glimpse: error: --temperature samples words; it cannot be combined with --beam")
  }

  func expectOneLineError(_ arguments: [String], _ expected: String, line: UInt = #line) throws {
    let result = try runGlimpse(arguments)
    XCTAssertEqual(result.status, 1, line: line)
    XCTAssertEqual(result.stderrLines, ["glimpse: error: " + expected], line: line)
  }

  func testBadInputIsOneLineNamingTheFile() throws {
    try expectOneLineError(
      ["caption", "--model", folder + "/nowhere", image], "\(folder)/nowhere: no such model folder")
    let config = model + "/config.json", weights = model + "/model.safetensors"
    let text = String(decoding: try readFileBytes(config), as: UTF8.self)
    try writeFileAtomically(
      config, Array(text.replacingOccurrences(of: "\"decoder\":\"attention\"", with: "\"decoder\":\"rnn\"").utf8))
    try expectOneLineError(
      ["caption", "--model", model, image],
      "\(weights): does not fit the rnn model of config.json: missing tensor 'decoder.wxh.weight'")
    try writeFileAtomically(config, Array(text.utf8))
    let bytes = try readFileBytes(weights)
    try writeFileAtomically(weights, Array(bytes.prefix(6)))
    try expectOneLineError(
      ["caption", "--model", model, image], "\(weights): file is 6 bytes, too short for the 8-byte header length")
    try writeFileAtomically(weights, bytes)
    let shared = try sharedFolder()
    let bad = shared + "/conformance/bad/truncated_half.jpg"
    try expectOneLineError(["caption", "--model", model, bad], "\(bad): invalid JPEG: Premature end of JPEG file")
  }

  /// `glimpse attend` writes a figure per word and the summary; our own decoder reads them back
  /// at the sizes the layout gives (a 64×64 image shown at 256, summary tiles of 128).
  func testAttendWritesFigures() throws {
    let out = folder + "/figures"
    let result = try runGlimpse(["attend", image, "--out", out, "--model", model])
    XCTAssertEqual(result.status, 0, result.stderr)
    let words = result.stdout.split(separator: "\n")[0].split(separator: " ").map(String.init)
    XCTAssertFalse(words.isEmpty)
    let files = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
    XCTAssertEqual(files.count, words.count + 1)
    for (k, word) in words.enumerated() {
      // <unk> as _unk_
      let name = String(k + 1).zeroPadded(2) + "_" + String(word.map { $0.isLetter ? $0 : "_" }) + ".png"
      XCTAssertTrue(files.contains(name), "\(name) in \(files)")
      let figure = try decodeImage(path: out + "/" + name).image
      XCTAssertEqual([figure.width, figure.height, figure.channels], [256, 256, 3])
    }
    let summary = try decodeImage(path: out + "/summary.png").image
    XCTAssertEqual([summary.width, summary.height], [8 + (words.count + 1) * 136, 160])

    let json = try runGlimpse(["attend", image, "--out", out, "--model", model, "--json"])
    XCTAssertEqual(json.status, 0, json.stderr)
    let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
    XCTAssertEqual(object["words"] as? [String], words)
    let maps = try XCTUnwrap(object["maps"] as? [[Double]])
    XCTAssertEqual(maps.map(\.count), Array(repeating: 64, count: words.count))
    for map in maps { XCTAssertEqual(map.reduce(0, +), 1, accuracy: 1e-4) }

    let rnn = folder + "/rnn"
    var random = SeededGenerator(seed: 2)
    try CaptionModel(kind: .rnn, vocabulary: try Vocabulary.read(path: model + "/vocab.json"), random: &random).save(
      folder: rnn)
    try expectOneLineError(
      ["attend", image, "--out", out, "--model", rnn],
      "\(rnn): the rnn decoder has no attention; glimpse attend needs an attention model")
  }
}
