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

/// `glimpse ask` and `glimpse eval vqa` with an untrained vqa-san model (its answers are
/// guesses, but the mechanics are the same), and each kind of bad input.
final class AskCommandTests: XCTestCase {
  var folder = ""
  var model: String { folder + "/vqa" }
  var image: String { projectRoot + "/datasets/sample/images/test_000001.png" }

  override func setUpWithError() throws {
    folder = NSTemporaryDirectory() + "glimpse-ask-\(getpid())-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    var random = SeededGenerator(seed: 1)
    let vocabulary = Vocabulary.build(from: [
      ["what", "color", "is", "the", "square"], ["how", "many", "shapes", "are", "there"],
    ])
    let answers = try AnswerVocabulary(answers: ["red", "blue", "2", "yes"])
    try AnsweringModel(kind: .san, vocabulary: vocabulary, answers: answers, random: &random).save(folder: model)
  }

  override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

  func testAnswersTopJSONAndHopFigure() throws {
    let plain = try runGlimpse(["ask", image, "What color is the square?", "--model", model])
    XCTAssertEqual(plain.status, 0, plain.stderr)
    XCTAssertTrue(
      ["red", "blue", "2", "yes"].contains(plain.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), plain.stdout)
    let figure = folder + "/hops.png"
    let json = try runGlimpse([
      "ask", image, "what colour is the square", "--model", model, "--top", "3", "--json", "--attention", figure,
    ])
    XCTAssertEqual(json.status, 0, json.stderr)
    XCTAssertEqual(json.stderrLines, ["glimpse: warning: unknown words read as <unk>: colour"])
    let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
    XCTAssertEqual(object["question"] as? String, "what colour is the square")
    let top = try XCTUnwrap(object["top"] as? [[String: Any]])
    XCTAssertEqual(top.count, 3)
    XCTAssertEqual(top[0]["answer"] as? String, object["answer"] as? String)
    let hopWeights = try XCTUnwrap(object["hops"] as? [[Double]])
    XCTAssertEqual(hopWeights.map(\.count), [64, 64])
    for weights in hopWeights { XCTAssertEqual(weights.reduce(0, +), 1, accuracy: 1e-4) }
    let hops = try decodeImage(path: figure).image
    XCTAssertEqual([hops.width, hops.height], [8 + 3 * 200, 8 + 192 + 24], "the image and two hops, 192 pixels each")

    let questions = folder + "/questions.txt"
    try writeFileAtomically(questions, Array("how many shapes are there\n\nzzz\nwhat color is the square\n".utf8))
    let many = try runGlimpse(["ask", image, "--questions", questions, "--model", model])
    XCTAssertEqual(many.status, 1)
    XCTAssertEqual(many.stdout.split(separator: "\n").count, 2)
    XCTAssertEqual(
      many.stderrLines,
      ["glimpse: error: \(questions): line 3: none of the question's words (zzz) is in the model's vocabulary"])
  }

  func expectOneLineError(_ arguments: [String], _ expected: String, line: UInt = #line) throws {
    let result = try runGlimpse(arguments)
    XCTAssertEqual(result.status, 1, line: line)
    XCTAssertEqual(result.stderrLines.last, "glimpse: error: " + expected, line: line)
    XCTAssertEqual(result.stderrLines.filter { $0.hasPrefix("glimpse: error:") }.count, 1, line: line)
  }

  func testBadInput() throws {
    try expectOneLineError(["ask", image, " ", "--model", model], "the question is empty")
    try expectOneLineError(
      ["ask", image, "zzz qqq", "--model", model], "none of the question's words (zzz qqq) is in the model's vocabulary"
    )
    try expectOneLineError(
      ["ask", folder + "/missing.png", "what color is the square", "--model", model],
      "\(folder)/missing.png: no such file or directory")
    let captioner = folder + "/captioner"
    var random = SeededGenerator(seed: 1)
    try CaptionModel(kind: .rnn, vocabulary: Vocabulary.build(from: [["a", "red", "circle"]]), random: &random).save(
      folder: captioner)
    try expectOneLineError(
      ["ask", image, "what color is the square", "--model", captioner],
      "\(captioner)/config.json: not a VQA model (model is 'caption'); glimpse ask needs a model from glimpse train vqa"
    )
  }

  func testEvalVQAJSON() throws {
    let result = try runGlimpse(["eval", "vqa", "--model", model, "--data", projectRoot + "/datasets/sample", "--json"])
    XCTAssertEqual(result.status, 0, result.stderr)
    let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    XCTAssertEqual(object["questions"] as? Int, 404)
    let perType = try XCTUnwrap(object["per_type"] as? [String: Double])
    XCTAssertEqual(Set(perType.keys), ["color", "shape", "size", "count", "exist", "position", "relation"])
    // The sample has scenes.json, so vqa-san's hops are measured on the questions that name one
    // object; hit and mass are fractions, and uniform attention's mass is the area.
    let attention = try XCTUnwrap(object["attention"] as? [String: [String: Any]])
    XCTAssertEqual(
      attention.mapValues { $0["questions"] as? Int }, ["color": 61, "shape": 62, "size": 64, "position": 43])
    for figures in attention.values {
      let hops = try XCTUnwrap(figures["hops"] as? [[String: Double]])
      XCTAssertEqual(hops.count, 2)
      for hop in hops { XCTAssertTrue((0...1).contains(hop["hit"]!) && (0...1).contains(hop["mass"]!), "\(hop)") }
      XCTAssertEqual(try XCTUnwrap(figures["area"] as? Double), 0.17, accuracy: 0.01)
    }
    let text = try runGlimpse(["eval", "vqa", "--model", model, "--data", projectRoot + "/datasets/sample"])
    XCTAssertEqual(text.status, 0, text.stderr)
    let lines = text.stdout.split(separator: "\n").map(String.init)
    XCTAssertEqual(lines.first, "questions             404")
    XCTAssertTrue(
      lines.contains { $0.hasPrefix("  position  43 questions  hop 1 ") && $0.hasSuffix("area 17.8%") }, text.stdout)
  }
}
