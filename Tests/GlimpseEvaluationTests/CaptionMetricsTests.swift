import Foundation
import GlimpseData
import GlimpseEvaluation
import GlimpseIO
import XCTest

final class CaptionMetricsTests: XCTestCase {
  /// pycocoevalcap's own scores of five captions (scripts/make_metric_fixtures.py).
  func testScoresMatchPycocoevalcap() throws {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
      "Fixtures/coco_metrics.json"
    ).path
    let fixture = try readJSONFile(path)
    let images = try XCTUnwrap(fixture["images"]?.array)
    let candidates = images.map { tokenize($0["candidate"]!.string!) }
    let references = images.map { $0["references"]!.array!.map { tokenize($0.string!) } }
    let scores = scoreCaptions(candidates: candidates, references: references)
    let bleu = try XCTUnwrap(fixture["bleu"]?.array?.compactMap(\.number))
    for n in 0..<4 { XCTAssertEqual(scores.bleu[n], bleu[n], accuracy: 1e-9, "BLEU-\(n + 1)") }
    XCTAssertEqual(scores.rougeL, try XCTUnwrap(fixture["rouge_l"]?.number), accuracy: 1e-9)
    XCTAssertEqual(scores.ciderD, try XCTUnwrap(fixture["cider_d"]?.number), accuracy: 1e-9)
  }

  func testPerfectCaptionsScoreOne() {
    let references = [[["a", "red", "circle"], ["a", "red", "circle"]], [["two", "blue", "squares", "here"]]]
    let scores = scoreCaptions(
      candidates: [["a", "red", "circle"], ["two", "blue", "squares", "here"]], references: references)
    XCTAssertEqual(scores.bleu[0], 1, accuracy: 1e-9)
    XCTAssertEqual(scores.bleu[3], 1, accuracy: 1e-6)
    XCTAssertEqual(scores.rougeL, 1, accuracy: 1e-9)
  }

  func testSemanticScores() {
    let scene = Scene(
      objects: [
        SceneObject(shape: .circle, color: .red, size: .large, x: 0.2, y: 0.5),
        SceneObject(shape: .square, color: .blue, size: .small, x: 0.8, y: 0.5),
      ],
      top: [1, 1, 1], bottom: [1, 1, 1], noiseSeed: 0)
    let captions = [
      "a large red circle left of a small blue square",  // true
      "a large red circle right of a small blue square",  // a false relation
      "a large green circle and a small blue square",  // a wrong colour: 5 of 6 attributes
      "red red red",
    ]  // not grammatical
    let scores = scoreSemantics(captions: captions, scenes: Array(repeating: scene, count: 4))
    XCTAssertEqual(scores.grammaticality, 0.75)
    XCTAssertEqual(scores.semanticAccuracy, 0.25)
    XCTAssertEqual(scores.attributePrecision, 17.0 / 18.0, accuracy: 1e-12)
    XCTAssertEqual(scores.attributeRecall, 17.0 / 24.0, accuracy: 1e-12)
    XCTAssertEqual(scores.diversity, 1)
  }
}

/// The official VQA evaluation's answer normalisation and accuracy.
final class VQAAccuracyTests: XCTestCase {
  func testNormalisation() {
    XCTAssertEqual(normalizeAnswer("Two"), "2")
    XCTAssertEqual(normalizeAnswer("  The Red Circle. "), "red circle")
    XCTAssertEqual(normalizeAnswer("yes!"), "yes")
    XCTAssertEqual(normalizeAnswer("1,000"), "1000")
    XCTAssertEqual(normalizeAnswer("3.5"), "3.5")
    XCTAssertEqual(normalizeAnswer("dont"), "don't")
    XCTAssertEqual(normalizeAnswer("left-side"), "left side")
  }

  func testAccuracyFormula() {
    XCTAssertEqual(vqaAccuracy(prediction: "two", answers: ["2"]), 1)
    XCTAssertEqual(vqaAccuracy(prediction: "3", answers: ["2"]), 0)
    let ten = ["2", "2", "3", "2", "two", "3", "4", "3", "2", "2"]
    XCTAssertEqual(vqaAccuracy(prediction: "2", answers: ten), 1)
    XCTAssertEqual(vqaAccuracy(prediction: "3", answers: ten), 1)
    XCTAssertEqual(vqaAccuracy(prediction: "4", answers: ten), 1.0 / 3.0, accuracy: 1e-12)
    XCTAssertEqual(vqaAccuracy(prediction: "5", answers: ten), 0)
  }

  func testPerTypeScores() {
    let scores = VQAScores(
      predictions: ["red", "2", "yes", "no"], answers: [["red"], ["3"], ["yes"], ["yes"]],
      types: ["color", "count", "exist", "exist"], answerTypes: ["other", "number", "yes/no", "yes/no"])
    XCTAssertEqual(scores.accuracy, 0.5)
    XCTAssertEqual(scores.perType.map(\.0), ["color", "count", "exist"])
    XCTAssertEqual(scores.perType.map(\.1), [1, 0, 0.5])
    XCTAssertEqual(scores.questions, 4)
  }
}

final class AttentionLocalisationTests: XCTestCase {
  /// Four cells; question 0 (color) looks at its object with both hops, question 1 (color) with
  /// neither, question 2 (position) with hop 2 only; question 3 has no object and is left out.
  func testHitMassAndArea() {
    let weights: [[[Float]]] = [
      [[0.7, 0.1, 0.1, 0.1], [0.4, 0.5, 0.05, 0.05]],
      [[0.1, 0.1, 0.1, 0.7], [0.25, 0.25, 0.25, 0.25]],
      [[0.6, 0.2, 0.1, 0.1], [0.1, 0.1, 0.8, 0.0]],
      [[1, 0, 0, 0], [1, 0, 0, 0]],
    ]
    let figures = AttentionLocalisation(
      weights: weights, cells: [[0, 1], [2], [2], []], types: ["color", "color", "position", "count"], locations: 4)
    XCTAssertEqual(figures.rows.map(\.type), ["color", "position"])
    XCTAssertEqual(figures.rows.map(\.questions), [2, 1])
    XCTAssertEqual(figures.rows[0].area, (0.5 + 0.25) / 2, accuracy: 1e-12)
    let color = figures.rows[0].hops, position = figures.rows[1].hops
    XCTAssertEqual(color.map(\.hit), [0.5, 0.5])
    XCTAssertEqual(color[0].mass, (0.8 + 0.1) / 2, accuracy: 1e-6)
    XCTAssertEqual(color[1].mass, (0.9 + 0.25) / 2, accuracy: 1e-6)
    XCTAssertEqual(position.map(\.hit), [0, 1])
    XCTAssertEqual(position[1].mass, 0.8, accuracy: 1e-6)
  }
}
