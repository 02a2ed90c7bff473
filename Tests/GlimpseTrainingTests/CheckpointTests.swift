import GlimpseCore
import Foundation
import GlimpseData
import GlimpseIO
import GlimpseInference
import GlimpseModels
import GlimpseTensor
@testable import GlimpseTraining
import XCTest

final class CheckpointTests: XCTestCase {
  var folder = ""
  let vocabulary = Vocabulary.build(from: [
    ["a", "large", "red", "circle"], ["a", "small", "blue", "square", "left", "of"],
  ])

  override func setUpWithError() throws {
    folder = NSTemporaryDirectory() + "glimpse-model-\(getpid())-\(UUID().uuidString)"
  }

  override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

  func logits(_ model: CaptionModel, images: Tensor, tokens: [Int32]) -> [Float] {
    model.encoder.forward(images: images)
    return model.decoder.forward(
      grid: model.encoder.grid, mean: model.encoder.mean, inputs: tokens, batch: 1, steps: tokens.count
    ).values
  }

  func testSaveAndLoadGiveTheSameModel() throws {
    var random = SeededGenerator(seed: 3)
    let images = Tensor(zeros: [1, 3, 64, 64])
    for i in 0..<images.count { images.pointer[i] = random.nextUnit() }
    let tokens: [Int32] = [1, 4, 6, 7, 5]
    for kind in DecoderKind.allCases {
      let model = CaptionModel(kind: kind, vocabulary: vocabulary, random: &random)
      let expected = logits(model, images: images, tokens: tokens)
      try model.save(folder: folder)
      let loaded = try CaptionModel.load(folder: folder)
      XCTAssertEqual(loaded.kind, kind)
      XCTAssertEqual(loaded.vocabulary, vocabulary)
      XCTAssertEqual(logits(loaded, images: images, tokens: tokens), expected, "\(kind): F32 is exact")
      try model.save(folder: folder, dtype: .f16)
      let half = logits(try CaptionModel.load(folder: folder), images: images, tokens: tokens)
      for (a, b) in zip(half, expected) { XCTAssertEqual(a, b, accuracy: 2e-2 * max(1, abs(b)), "\(kind): F16") }
    }
  }

  func testBadModelFoldersAreClearErrors() throws {
    XCTAssertThrowsError(try CaptionModel.load(folder: folder)) {
      XCTAssertEqual($0 as? FileError, FileError(folder, "no such model folder"))
    }
    var random = SeededGenerator(seed: 4)
    try CaptionModel(kind: .attention, vocabulary: vocabulary, random: &random).save(folder: folder)
    let config = folder + "/config.json", weights = folder + "/model.safetensors"
    let original = try readFileBytes(config)

    let text = String(decoding: original, as: UTF8.self)
    try writeFileAtomically(
      config, Array(text.replacingOccurrences(of: "\"decoder\":\"attention\"", with: "\"decoder\":\"lstm\"").utf8))
    XCTAssertThrowsError(try CaptionModel.load(folder: folder)) {
      XCTAssertEqual(
        $0 as? FileError,
        FileError(
          weights,
          """
          does not fit the lstm model of config.json: tensor 'decoder.lstm.weight_ih' has shape [2048, 768], \
          expected [2048, 256]
          """
        ))
    }
    try writeFileAtomically(
      config,
      Array(
        text.replacingOccurrences(of: "\"vocabulary_size\":\(vocabulary.count)", with: "\"vocabulary_size\":99").utf8))
    XCTAssertThrowsError(try CaptionModel.load(folder: folder)) {
      XCTAssertEqual(
        $0 as? FileError, FileError(config, "vocabulary_size is 99 but vocab.json has \(vocabulary.count) words"))
    }
    try writeFileAtomically(config, original)
    let bytes = try readFileBytes(weights)
    try writeFileAtomically(weights, bytes.prefix(bytes.count / 2))
    XCTAssertThrowsError(try CaptionModel.load(folder: folder)) { error in
      XCTAssertEqual((error as? FileError)?.path, weights)
      XCTAssertTrue((error as? FileError)?.reason.contains("run past the end of the data") == true, "\(error)")
    }
  }

  /// Every size is written to config.json and read back; a model of other sizes gives the same
  /// logits after the round trip.
  func testSizesRoundTripThroughConfig() throws {
    let sizes = ModelSizes(
      imageSize: 24, encoderChannels: [4, 6, 8, 8, 12], embedding: 10, hidden: 14, attention: 6,
      maxTokens: 11, hops: 3)
    var random = SeededGenerator(seed: 8)
    let images = Tensor(zeros: [1, 3, 24, 24])
    for i in 0..<images.count { images.pointer[i] = random.nextUnit() }
    for kind in DecoderKind.allCases {
      let model = CaptionModel(kind: kind, sizes: sizes, vocabulary: vocabulary, random: &random)
      try model.save(folder: folder)
      let loaded = try CaptionModel.load(folder: folder)
      XCTAssertEqual(loaded.sizes.imageSize, 24)
      XCTAssertEqual(loaded.sizes.encoderChannels, [4, 6, 8, 8, 12])
      XCTAssertEqual(
        [loaded.sizes.embedding, loaded.sizes.hidden, loaded.sizes.attention, loaded.sizes.maxTokens], [10, 14, 6, 11])
      XCTAssertEqual(loaded.encoder.gridShape, GridShape(side: 3, features: 12))
      XCTAssertEqual(
        logits(loaded, images: images, tokens: [1, 4, 6]), logits(model, images: images, tokens: [1, 4, 6]), "\(kind)")
    }
    let answers = try AnswerVocabulary(answers: ["yes", "no", "red"])
    let san = AnsweringModel(kind: .san, sizes: sizes, vocabulary: vocabulary, answers: answers, random: &random)
    try san.save(folder: folder + "-vqa")
    defer { try? FileManager.default.removeItem(atPath: folder + "-vqa") }
    let reloaded = try AnsweringModel.load(folder: folder + "-vqa")
    XCTAssertEqual(reloaded.sizes.hops, 3)
    XCTAssertEqual(reloaded.parameters.map(\.name), san.parameters.map(\.name))
  }

  /// A folder written before sizes were recorded (no encoder_channels; hops 0 for concat) is
  /// glimpse-small; a size of the wrong type, or one no model can have, is an error naming config.json.
  func testConfigSizesMissingOrWrong() throws {
    var random = SeededGenerator(seed: 4)
    try CaptionModel(kind: .rnn, vocabulary: vocabulary, random: &random).save(folder: folder)
    let config = folder + "/config.json"
    let text = String(decoding: try readFileBytes(config), as: UTF8.self)
    let older = text.replacingOccurrences(of: "\"encoder_channels\":[32,64,128,256,512],", with: "")
    XCTAssertNotEqual(older, text)
    try writeFileAtomically(config, Array(older.utf8))
    XCTAssertEqual(try CaptionModel.load(folder: folder).sizes, .glimpseSmall)
    let cases = [
      ("\"hidden\":512", "\"hidden\":\"big\"", "'hidden' must be a whole number"),
      ("\"image_size\":64", "\"image_size\":60", "image_size must be a multiple of 8 from 8 to 2048, not 60"),
      (
        "\"encoder_channels\":[32,64,128,256,512]", "\"encoder_channels\":[32,64]",
        "encoder_channels must list 5 sizes, not 2"
      ),
      ("\"max_tokens\":16", "\"max_tokens\":2", "max_tokens must be from 3 to 1024, not 2"),
    ]
    for (from, to, reason) in cases {
      try writeFileAtomically(config, Array(text.replacingOccurrences(of: from, with: to).utf8))
      XCTAssertThrowsError(try CaptionModel.load(folder: folder)) {
        XCTAssertEqual($0 as? FileError, FileError(config, reason))
      }
    }
  }
}

/// The training state's record reads back what it wrote, and a missing or mistyped field is an
/// error naming it, never a 0.
final class TrainingStateRecordTests: XCTestCase {
  func testRoundTripAndDamage() throws {
    let record = TrainingStateRecord(
      identity: [("model", "caption-gru")], seed: "3", batch: 8, learningRate: 0.001, epoch: 2,
      stepInEpoch: 5, adamStep: 45, seconds: 12.5, bestEpoch: 1, bestScore: [0.5, 2],
      epochs: [.object([("epoch", .integer(1))])])
    let json = try parseJSON(record.json.text)
    let back = try TrainingStateRecord(json: json)
    XCTAssertEqual(back.json, record.json)
    guard case .object(let fields) = json else { return XCTFail("not an object") }
    XCTAssertThrowsError(try TrainingStateRecord(json: .object(fields.filter { $0.0 != "epoch" }))) {
      XCTAssertEqual($0 as? JSONTypeError, JSONTypeError("missing key 'epoch'"))
    }
    XCTAssertThrowsError(
      try TrainingStateRecord(json: .object(fields.map { $0.0 == "adam_step" ? ($0.0, .string("x")) : $0 }))
    ) {
      XCTAssertEqual($0 as? JSONTypeError, JSONTypeError("'adam_step' must be a whole number"))
    }
  }
}
