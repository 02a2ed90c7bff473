import GlimpseCore
import Foundation
import GlimpseData
import GlimpseIO
import GlimpseModels
import GlimpseTensor
import GlimpseTraining
import XCTest

final class CheckpointTests: XCTestCase {
  var folder = ""
  let vocabulary = Vocabulary.build(from: [["a", "large", "red", "circle"], ["a", "small", "blue", "square", "left", "of"]])

  override func setUpWithError() throws {
    folder = NSTemporaryDirectory() + "glimpse-model-\(getpid())-\(UUID().uuidString)"
  }

  override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

  func logits(_ model: CaptionModel, images: Tensor, tokens: [Int32]) -> [Float] {
    model.encoder.forward(images: images)
    return model.decoder.forward(grid: model.encoder.grid, mean: model.encoder.mean, inputs: tokens, batch: 1, steps: tokens.count).values
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
    try writeFileAtomically(config, Array(text.replacingOccurrences(of: "\"decoder\":\"attention\"", with: "\"decoder\":\"lstm\"").utf8))
    XCTAssertThrowsError(try CaptionModel.load(folder: folder)) {
      XCTAssertEqual($0 as? FileError, FileError(weights, "does not fit the lstm model of config.json: tensor 'decoder.lstm.weight_ih' has shape [2048, 768], expected [2048, 256]"))
    }
    try writeFileAtomically(config, Array(text.replacingOccurrences(of: "\"vocabulary_size\":\(vocabulary.count)", with: "\"vocabulary_size\":99").utf8))
    XCTAssertThrowsError(try CaptionModel.load(folder: folder)) {
      XCTAssertEqual($0 as? FileError, FileError(config, "vocabulary_size is 99 but vocab.json has \(vocabulary.count) words"))
    }
    try writeFileAtomically(config, original)
    let bytes = try readFileBytes(weights)
    try writeFileAtomically(weights, bytes.prefix(bytes.count / 2))
    XCTAssertThrowsError(try CaptionModel.load(folder: folder)) { error in
      XCTAssertEqual((error as? FileError)?.path, weights)
      XCTAssertTrue((error as? FileError)?.reason.contains("run past the end of the data") == true, "\(error)")
    }
  }

  /// With GLIMPSE_EXPORT_CHECKPOINT=DIR, writes an attention model and check.safetensors (an
  /// image, tokens and glimpse's logits) for scripts/check_checkpoint.py to load in PyTorch.
  func testExportForPyTorch() throws {
    guard let out = ProcessInfo.processInfo.environment["GLIMPSE_EXPORT_CHECKPOINT"] else {
      throw XCTSkip("set GLIMPSE_EXPORT_CHECKPOINT=DIR to write a checkpoint for scripts/check_checkpoint.py")
    }
    var random = SeededGenerator(seed: 5)
    for kind in DecoderKind.allCases {
      let model = CaptionModel(kind: kind, vocabulary: vocabulary, random: &random)
      let images = Tensor(zeros: [1, 3, 64, 64])
      for i in 0..<images.count { images.pointer[i] = random.nextUnit() }
      let tokens: [Int32] = [1, 4, 6, 7, 5, 8]
      let result = Tensor(shape: [1, tokens.count, vocabulary.count], values: logits(model, images: images, tokens: tokens))
      let folder = out + "/" + kind.rawValue
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
      try model.save(folder: folder)
      try writeSafeTensors(path: folder + "/check.safetensors", [
        ("images", images), ("tokens", Tensor(shape: [1, tokens.count], values: tokens.map(Float.init))), ("logits", result),
      ])
    }
  }
}
