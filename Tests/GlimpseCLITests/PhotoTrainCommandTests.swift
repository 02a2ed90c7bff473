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

  func testResumeAfterSIGKILLEqualsUninterruptedRun() throws {
    let whole = folder + "/whole", killed = folder + "/killed"
    let reference = try runGlimpse(trainArguments(whole))
    XCTAssertEqual(reference.status, 0, reference.stderr)
    let process = Process()
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
