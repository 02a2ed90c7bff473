import Foundation
import GlimpseTensor
import GlimpseTestSupport
import XCTest

/// Training a captioner on the frozen EfficientNet-Lite0 from a feature cache, on a generated
/// 224×224 split: the cache is made once and then read, never the images, and a run killed with
/// SIGKILL resumes to exactly the weights of an uninterrupted one.
final class PhotoTrainCommandTests: XCTestCase {
  var folder = ""
  var data: String { folder + "/train" }

  override func setUpWithError() throws {
    folder = NSTemporaryDirectory() + "glimpse-photo-train-\(getpid())-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let generated = try runGlimpse([
      "data", "generate", "--out", data, "--split", "train", "--count", "24", "--seed", "1", "--size", "224",
    ])
    XCTAssertEqual(generated.status, 0, generated.stderr)
  }

  override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

  func trainArguments(_ out: String, _ extra: [String] = []) -> [String] {
    [
      "train", "caption", "--encoder", "efficientnet-lite0", "--encoder-folder",
      projectRoot + "/models/efficientnet-lite0",
      "--data", data, "--decoder", "attention", "--out", out, "--epochs", "2", "--batch", "8", "--seed", "3",
      "--checkpoint-every", "10", "--plain-progress",
    ] + extra
  }

  func testTrainingReadsTheCacheGlimpseFeaturesMade() throws {
    let cache = data + "/features-efficientnet-lite0.glf"
    let features = try runGlimpse(["features", data, "--encoder", projectRoot + "/models/efficientnet-lite0"])
    XCTAssertEqual(features.status, 0, features.stderr)
    XCTAssertTrue(features.stderr.contains("\(cache): 24 images encoded, 0 grids kept"), features.stderr)
    let out = folder + "/run"
    let trained = try runGlimpse(trainArguments(out))
    XCTAssertEqual(trained.status, 0, trained.stderr)
    XCTAssertTrue(trained.stderr.contains("\(cache): 0 images encoded, 24 grids kept"), trained.stderr)
    let config = try String(contentsOfFile: out + "/config.json", encoding: .utf8)
    XCTAssertTrue(config.contains("\"encoder\":\"efficientnet-lite0\",\"image_size\":224"), config)
    let caption = try runGlimpse(["caption", "--model", out, data + "/images/train_000001.png"])
    XCTAssertEqual(caption.status, 0, caption.stderr)
    XCTAssertFalse(caption.stdout.isEmpty)
  }

  /// vqa-san on the frozen encoder: trained from the same kind of cache, then asked.
  func testVQATrainsOnCachedGridsAndAnswers() throws {
    let out = folder + "/vqa"
    let trained = try runGlimpse([
      "train", "vqa", "--encoder", "efficientnet-lite0", "--encoder-folder", projectRoot + "/models/efficientnet-lite0",
      "--data", data, "--model", "san", "--out", out, "--epochs", "1", "--batch", "8", "--plain-progress",
    ])
    XCTAssertEqual(trained.status, 0, trained.stderr)
    XCTAssertTrue(
      trained.stderr.contains("\(data)/features-efficientnet-lite0.glf: 24 images encoded, 0 grids kept"),
      trained.stderr)
    let answer = try runGlimpse(["ask", "--model", out, data + "/images/train_000001.png", "what shape is it?"])
    XCTAssertEqual(answer.status, 0, answer.stderr)
    XCTAssertFalse(answer.stdout.isEmpty)
  }

  /// A truncated cache and a vocabulary larger than the model's embedding: one line naming the
  /// file, exit 1, and the file left as it was.
  func testBadCacheAndVocabularyAreOneLineErrors() throws {
    let cache = data + "/features-efficientnet-lite0.glf"
    let out = folder + "/run"
    XCTAssertEqual(try runGlimpse(trainArguments(out, ["--epochs", "1"])).status, 0)
    let bytes = try Data(contentsOf: URL(fileURLWithPath: cache))
    try bytes.prefix(bytes.count - 4096).write(to: URL(fileURLWithPath: cache))
    let features = try runGlimpse(["features", data, "--encoder", projectRoot + "/models/efficientnet-lite0"])
    XCTAssertEqual(features.status, 1)
    XCTAssertEqual(features.stderrLines.count, 1, features.stderr)
    XCTAssertTrue(
      features.stderr.hasPrefix("glimpse: error: \(cache): truncated feature cache: \(bytes.count - 4096) bytes"),
      features.stderr)
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: cache)).count, bytes.count - 4096)

    // vocab.json and config.json agree on one word more than the embedding has rows.
    let vocabularyPath = out + "/vocab.json", configPath = out + "/config.json"
    var words = try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: vocabularyPath))) as? [String: Int])
    let count = words.count
    words["zebra"] = count
    try JSONSerialization.data(withJSONObject: words).write(to: URL(fileURLWithPath: vocabularyPath))
    let config = try String(contentsOfFile: configPath, encoding: .utf8)
    try config.replacingOccurrences(of: "\"vocabulary_size\":\(count)", with: "\"vocabulary_size\":\(count + 1)")
      .write(toFile: configPath, atomically: true, encoding: .utf8)
    let caption = try runGlimpse(["caption", "--model", out, data + "/images/train_000001.png"])
    XCTAssertEqual(caption.status, 1)
    XCTAssertEqual(
      caption.stderrLines,
      [
        "glimpse: error: \(out)/model.safetensors: does not fit the attention model of config.json: tensor "
          + "'decoder.embed.weight' has shape [\(count), 256], expected [\(count + 1), 256]"
      ])
  }

  func testResumeAfterSIGKILLEqualsUninterruptedRun() throws {
    let whole = folder + "/whole", killed = folder + "/killed"
    let reference = try runGlimpse(trainArguments(whole))
    XCTAssertEqual(reference.status, 0, reference.stderr)
    let process = Process()
    process.environment = childEnvironment()
    process.executableURL = URL(fileURLWithPath: glimpseBinary)
    process.arguments = trainArguments(killed)
    process.standardError = FileHandle.nullDevice
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let state = killed + "/training-state.safetensors"
    let deadline = Date().addingTimeInterval(120)
    while !FileManager.default.fileExists(atPath: state) && process.isRunning && Date() < deadline { usleep(2_000) }
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    XCTAssertEqual(process.terminationReason, .uncaughtSignal, "the run finished before it could be killed")
    let stepsDone = try XCTUnwrap(readSafeTensors(path: state).tensor("history.loss")).count
    XCTAssertLessThan(stepsDone, 30, "killed mid-run")
    let resumed = try runGlimpse(trainArguments(killed, ["--resume"]))
    XCTAssertEqual(resumed.status, 0, resumed.stderr)
    XCTAssertTrue(resumed.stderr.contains("resuming after step \(stepsDone)"), resumed.stderr)
    let a = try Data(contentsOf: URL(fileURLWithPath: whole + "/model.safetensors"))
    let b = try Data(contentsOf: URL(fileURLWithPath: killed + "/model.safetensors"))
    XCTAssertTrue(a == b, "model.safetensors differs after resuming")
  }
}
