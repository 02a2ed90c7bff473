import Foundation
import GlimpseData
import GlimpseIO
import GlimpseImage
import XCTest

final class SceneGeneratorTests: XCTestCase {
  var folder = ""

  override func setUpWithError() throws {
    folder = NSTemporaryDirectory() + "glimpse-scenes-\(getpid())-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
  }

  override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

  func testSameSeedGivesByteIdenticalFiles() throws {
    try generateSplit(out: folder + "/a", split: .train, count: 40, seed: 7)
    try generateSplit(out: folder + "/b", split: .train, count: 40, seed: 7)
    let files = try FileManager.default.subpathsOfDirectory(atPath: folder + "/a").sorted()
    XCTAssertEqual(files.count, 45, "40 images, the images folder, captions, questions, annotations and scenes")
    for file in files where !file.hasSuffix("images") {
      XCTAssertEqual(try readFileBytes(folder + "/a/" + file), try readFileBytes(folder + "/b/" + file), file)
    }
    try generateSplit(out: folder + "/c", split: .train, count: 40, seed: 8)
    XCTAssertNotEqual(try readFileBytes(folder + "/a/captions.json"), try readFileBytes(folder + "/c/captions.json"))
  }

  /// --format jpeg: the same determinism, .jpg files that decode to the rendered scene within
  /// JPEG's loss, and the COCO file naming them.
  func testJPEGSplitsAreDeterministicAndClose() throws {
    let written = try generateSplit(out: folder + "/a", split: .val, count: 12, seed: 3, format: .jpeg)
    try generateSplit(out: folder + "/b", split: .val, count: 12, seed: 3, format: .jpeg)
    let png = try generateSplit(out: folder + "/p", split: .val, count: 12, seed: 3)
    XCTAssertEqual(written.scenes, png.scenes)
    let data = try loadCOCOCaptions(path: folder + "/a/captions.json")
    for (image, scene) in zip(data.images, written.scenes) {
      XCTAssertTrue(image.path.hasSuffix(".jpg"), image.path)
      let name = String(image.path.split(separator: "/").last!)
      XCTAssertEqual(try readFileBytes(image.path), try readFileBytes(folder + "/b/images/" + name))
      let decoded = try decodeImage(path: image.path).image
      let rendered = renderScene(scene, size: 64)
      let error =
        zip(decoded.pixels, rendered.pixels).map { abs(Double($0) - Double($1)) }.reduce(0, +)
        / Double(rendered.pixels.count)
      XCTAssertLessThan(
        error, 8, "mean absolute error of quality-95 JPEG with 4:2:0 chroma over the noisy background, in levels")
    }
  }

  /// Every caption written, read back through the COCO loader, parses under the grammar and is
  /// true of its scene; five different ones per image, none longer than 14 words.
  func testEveryCaptionIsTrueOfItsScene() throws {
    let written = try generateSplit(out: folder, split: .train, count: 300, seed: 11)
    let data = try loadCOCOCaptions(path: folder + "/captions.json")
    XCTAssertEqual(data.images.count, 300)
    XCTAssertEqual(data.skipped, [])
    var objectCounts = [0, 0, 0, 0]
    for (image, scene) in zip(data.images, written.scenes) {
      XCTAssertEqual(Set(image.captions).count, 5, "\(image.captions)")
      for caption in image.captions {
        XCTAssertLessThanOrEqual(tokenize(caption).count, maxCaptionWords, caption)
        guard let parsed = parseCaption(caption) else { return XCTFail("does not parse: \(caption)") }
        XCTAssertTrue(captionIsTrue(parsed, scene), "\(caption) for \(scene.objects.map(\.description))")
        if scene.objects.count > 1 { XCTAssertFalse(parsed.relations.isEmpty, "a relation in \(caption)") }
      }
      objectCounts[scene.objects.count] += 1
    }
    XCTAssertTrue(objectCounts[1...].allSatisfy { $0 > 60 }, "scenes of 1, 2 and 3 objects: \(objectCounts)")
  }

  /// The check itself can fail: a wrong colour, a reversed relation, a missing object or
  /// broken grammar is caught.
  func testFalseOrUngrammaticalCaptionsAreCaught() {
    let scene = Scene(
      objects: [
        SceneObject(shape: .circle, color: .red, size: .large, x: 0.2, y: 0.5),
        SceneObject(shape: .square, color: .blue, size: .small, x: 0.7, y: 0.5),
      ], top: [1, 1, 1], bottom: [1, 1, 1], noiseSeed: 0)
    XCTAssertTrue(captionIsTrue(parseCaption("a large red circle left of a small blue square")!, scene))
    XCTAssertTrue(captionIsTrue(parseCaption("two shapes: a little blue square right of a big red circle")!, scene))
    XCTAssertFalse(
      captionIsTrue(parseCaption("a large red circle right of a small blue square")!, scene), "reversed relation")
    XCTAssertFalse(
      captionIsTrue(parseCaption("a large green circle left of a small blue square")!, scene), "wrong colour")
    XCTAssertFalse(
      captionIsTrue(parseCaption("a large red circle above a small blue square")!, scene), "no clear vertical relation")
    XCTAssertFalse(captionIsTrue(parseCaption("a large red circle")!, scene), "an object left out")
    XCTAssertNil(parseCaption("two shapes: a large red circle"), "says two, names one")
    XCTAssertNil(parseCaption("a red large circle"), "words out of order")
    XCTAssertNil(parseCaption("a large red circle next to a small blue square"), "not a relation of the grammar")
  }

  /// Every answer is the one an independent reading of the question gives on the scene, which
  /// also finds each question's referent unique (an ambiguous question reads back as nil);
  /// the VQA files load with the VQA loader.
  func testEveryAnswerIsRightAndNoQuestionIsAmbiguous() throws {
    let written = try generateSplit(out: folder, split: .train, count: 300, seed: 12)
    var asked = 0
    for (scene, questions) in zip(written.scenes, written.questions) {
      for question in questions {
        XCTAssertEqual(
          answerQuestion(question.question, scene), question.answer,
          "\(question.question) on \(scene.objects.map(\.description))")
        asked += 1
      }
    }
    XCTAssertGreaterThan(asked, 300 * 5, "several questions per image")
    let captions = try loadCOCOCaptions(path: folder + "/captions.json")
    let images = Dictionary(uniqueKeysWithValues: captions.images.map { ($0.id, $0.path) })
    let loaded = try loadVQA(
      questionsPath: folder + "/questions.json", annotationsPath: folder + "/annotations.json", images: images)
    XCTAssertEqual(loaded.questions.count, asked)
    XCTAssertEqual(Set(loaded.questions.map(\.questionType)), Set(QuestionType.allCases.map(\.rawValue)))
  }

  /// Within each type no answer is right more than 40% of the time, except where a type has
  /// only two answers (exist: yes/no, size: small/large), which come out even.
  func testAnswersAreBalancedWithinEachType() throws {
    let written = try generateSplit(out: folder, split: .train, count: 600, seed: 13)
    var counts = [QuestionType: [String: Int]]()
    for question in written.questions.joined() { counts[question.type, default: [:]][question.answer, default: 0] += 1 }
    for (type, answers) in counts {
      let total = answers.values.reduce(0, +)
      let majority = Double(answers.values.max()!) / Double(total)
      if answers.count == 2 {
        XCTAssertEqual(majority, 0.5, accuracy: 0.02, "\(type): \(answers)")
      } else {
        XCTAssertLessThanOrEqual(majority, 0.4, "\(type): \(answers)")
      }
    }
    // `glimpse data stats` reads the same balance back from annotations.json.
    let measured = try answerBalance(folder: folder)
    XCTAssertEqual(Set(measured.map(\.type)), Set(counts.keys.map(\.rawValue)))
    for row in measured {
      let answers = counts[QuestionType(rawValue: row.type)!]!
      XCTAssertEqual(row.questions, answers.values.reduce(0, +))
      XCTAssertEqual(row.majorityShare, Double(answers.values.max()!) / Double(row.questions), accuracy: 1e-12)
    }
  }

  func testTestNovelHoldsOutItsPairs() throws {
    let train = try generateSplit(out: folder + "/train", split: .train, count: 400, seed: 21)
    XCTAssertFalse(train.scenes.flatMap(\.objects).contains(where: isHeldOut), "a held-out pair in train")
    let novel = try generateSplit(out: folder + "/novel", split: .testNovel, count: 100, seed: 22)
    XCTAssertTrue(
      novel.scenes.allSatisfy { $0.objects.contains(where: isHeldOut) }, "a test-novel scene without a held-out pair")
    let held = heldOutPairs.map { "\($0.1.rawValue) \($0.0.rawValue)" }
    let trainText = train.questions.joined().map(\.question) + train.captions.joined()
    XCTAssertFalse(
      trainText.contains { text in held.contains { text.contains($0) } }, "train text names a held-out pair")
  }
}

/// The object a question asks about, for attention supervision and its measure.
final class QuestionGroundingTests: XCTestCase {
  let scene = Scene(
    objects: [
      SceneObject(shape: .circle, color: .red, size: .small, x: 0.2, y: 0.5),
      SceneObject(shape: .square, color: .blue, size: .large, x: 0.7, y: 0.3),
      SceneObject(shape: .circle, color: .green, size: .large, x: 0.5, y: 0.8),
    ], top: [1, 1, 1], bottom: [1, 1, 1], noiseSeed: 0)

  func testAskedObject() {
    let (red, blue, green) = (scene.objects[0], scene.objects[1], scene.objects[2])
    XCTAssertEqual(askedObject("what color is the small circle?", in: scene), red)
    XCTAssertEqual(askedObject("what shape is the blue object?", in: scene), blue)
    XCTAssertEqual(askedObject("what size is the green circle?", in: scene), green)
    XCTAssertEqual(askedObject("Where is the square?", in: scene), blue, "case does not matter")
    XCTAssertNil(askedObject("where is the circle?", in: scene), "two circles: no single object")
    XCTAssertNil(
      askedObject("what color is the shape left of the blue square?", in: scene),
      "a relation's object is found through another")
    XCTAssertNil(askedObject("what shape is the object above the green circle?", in: scene))
    XCTAssertNil(askedObject("how many circles are there?", in: scene))
    XCTAssertNil(askedObject("is there a red circle?", in: scene))
  }

  /// Cells whose centres ((k + 0.5) / 8) lie within radius + 1/16 of the object's centre.
  /// Small at (0.2, 0.5), reach 0.1625: columns 0–2 (0.0625–0.3125), rows 3–4 (0.4375, 0.5625).
  /// Large at (0.7, 0.3), reach 0.2325: columns 4–6 (0.5625–0.8125), rows 1–3 (0.1875–0.4375).
  func testGridCells() {
    XCTAssertEqual(gridCells(of: scene.objects[0], side: 8), [24, 25, 26, 32, 33, 34])
    XCTAssertEqual(gridCells(of: scene.objects[1], side: 8), [12, 13, 14, 20, 21, 22, 28, 29, 30])
  }
}
