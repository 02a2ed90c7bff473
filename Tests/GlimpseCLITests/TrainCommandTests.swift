import Foundation
import GlimpseTensor
import GlimpseTestSupport
import XCTest

/// `glimpse train caption` on the committed sample: the files it writes, validation, the
/// refusal to overwrite a run, and resuming after SIGKILL to exactly the same weights.
final class TrainCommandTests: XCTestCase {
  var folder = ""
  var sample: String { projectRoot + "/datasets/sample" }

  override func setUpWithError() throws {
    folder = NSTemporaryDirectory() + "glimpse-train-\(getpid())-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
  }

  override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

  func trainArguments(_ out: String, _ extra: [String] = []) -> [String] {
    [
      "train", "caption", "--data", sample, "--decoder", "rnn", "--out", out, "--epochs", "2", "--batch", "8",
      "--seed", "7", "--checkpoint-every", "3", "--plain-progress",
    ] + extra
  }

  func testTrainingWritesModelMetricsAndCurve() throws {
    let out = folder + "/run"
    let result = try runGlimpse(trainArguments(out, ["--val", sample, "--val-limit", "16"]))
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertTrue(result.stderr.contains("training on 320 examples, 40 steps per epoch"), result.stderr)
    XCTAssertTrue(result.stderr.contains("epoch 2/2  step 40/40  loss "), result.stderr)
    XCTAssertTrue(result.stderr.contains("examples/s  ETA "), result.stderr)
    XCTAssertTrue(result.stderr.contains("epoch 1 validation: BLEU-4 "), result.stderr)
    for file in [
      "model.safetensors", "config.json", "vocab.json", "metrics.json", "loss.png", "training-state.safetensors",
    ] {
      XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/" + file), file)
    }
    let metrics =
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/metrics.json")))
      as? [String: Any]
    XCTAssertEqual(metrics?["steps"] as? Int, 80)
    let epochs = try XCTUnwrap(metrics?["epochs"] as? [[String: Any]])
    XCTAssertEqual(epochs.count, 2)
    XCTAssertEqual((epochs[1]["validation"] as? [String: Any])?["images"] as? Int, 16)
    let curve = try runGlimpse(["image", "info", out + "/loss.png"])
    XCTAssertTrue(curve.stdout.contains("width=640 height=400"), curve.stdout)
    let caption = try runGlimpse(["caption", "--model", out, sample + "/images/test_000001.png"])
    XCTAssertEqual(caption.status, 0, caption.stderr)

    let again = try runGlimpse(trainArguments(out))
    XCTAssertEqual(again.status, 1)
    XCTAssertEqual(
      again.stderrLines,
      ["glimpse: error: \(out): already holds a training run; pass --resume to continue it, or choose another --out"])
    let other = try runGlimpse(trainArguments(out, ["--resume"]).map { $0 == "7" ? "8" : $0 })
    XCTAssertEqual(other.status, 1)
    XCTAssertEqual(
      other.stderrLines,
      ["glimpse: error: \(out)/training-state.safetensors: cannot resume: the run used --seed 7 --batch 8"])
  }

  /// Sizes given on the command line are recorded in config.json and in the resume identity,
  /// and `glimpse caption` reads them back; impossible sizes are refused before any work.
  func testModelSizeOptions() throws {
    let out = folder + "/sized"
    let arguments = [
      "train", "caption", "--data", sample, "--decoder", "gru", "--out", out, "--epochs", "1", "--batch", "64",
      "--plain-progress", "--preset", "tiny", "--image-size", "24", "--max-tokens", "12", "--hidden", "16",
    ]
    let result = try runGlimpse(arguments)
    XCTAssertEqual(result.status, 0, result.stderr)
    let config = try XCTUnwrap(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/config.json")))
        as? [String: Any])
    XCTAssertEqual(config["decoder"] as? String, "gru")
    XCTAssertEqual(config["image_size"] as? Int, 24)
    XCTAssertEqual(config["encoder_channels"] as? [Int], [4, 6, 8, 8, 10])
    XCTAssertEqual(
      [config["embedding"], config["hidden"], config["attention"], config["max_tokens"]].map { $0 as? Int },
      [6, 16, 5, 12])
    let caption = try runGlimpse(["caption", "--model", out, sample + "/images/test_000001.png"])
    XCTAssertEqual(caption.status, 0, caption.stderr)
    XCTAssertLessThanOrEqual(caption.stdout.split(separator: " ").count, 10, "at most max-tokens − 2 words")

    let resumed = try runGlimpse(arguments.map { $0 == "16" ? "20" : $0 } + ["--resume"])
    XCTAssertEqual(resumed.status, 1)
    XCTAssertEqual(
      resumed.stderrLines.first?.hasPrefix(
        "glimpse: error: \(out)/training-state.safetensors: cannot resume: sizes was "),
      true, resumed.stderr)
    let refusals = [
      (["--image-size", "20"], "--image-size must be a multiple of 8 from 8 to 2048, not 20"),
      (["--encoder-channels", "8,16"], "--encoder-channels must list 5 sizes, not 2"),
      (
        ["--encoder-channels", "8,x,8,8,8"],
        "--encoder-channels must be whole numbers separated by commas, not '8,x,8,8,8'"
      ),
      (["--hidden", "0"], "--hidden must be from 1 to 8192, not 0"),
      (["--max-tokens", "2"], "--max-tokens must be from 3 to 1024, not 2"),
    ]
    for (extra, message) in refusals {
      let refused = try runGlimpse(trainArguments(folder + "/refused", extra))
      XCTAssertEqual(refused.status, 64, extra.joined(separator: " "))
      XCTAssertEqual(refused.stderrLines.first, "glimpse: error: " + message)
    }
  }

  /// λ of the attention penalty is the attention decoder's alone, is recorded in config.json,
  /// and at 0 the loss is the cross-entropy only.
  func testAttentionPenaltyOption() throws {
    let refused = try runGlimpse(trainArguments(folder + "/rnn", ["--attention-penalty", "0.5"]))
    XCTAssertEqual(refused.status, 64)
    XCTAssertEqual(refused.stderrLines.first, "glimpse: error: --attention-penalty applies only to --decoder attention")
    let out = folder + "/attention"
    let arguments = [
      "train", "caption", "--data", sample, "--decoder", "attention", "--attention-penalty", "0", "--out", out,
      "--epochs", "1", "--batch", "64", "--plain-progress",
    ]
    let result = try runGlimpse(arguments)
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertTrue(result.stderr.contains("step 5/5  loss "), result.stderr)
    XCTAssertTrue(result.stderr.contains(" att 0.000)"), result.stderr)
    let config =
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/config.json")))
      as? [String: Any]
    XCTAssertEqual((config?["training"] as? [String: Any])?["attention_penalty"] as? Double, 0)
  }

  /// Streaming the images (decoded batch by batch, the next one prefetched) trains exactly as
  /// holding them all in memory does.
  func testStreamingTrainsAsTheCacheDoes() throws {
    let cached = folder + "/cached", streamed = folder + "/streamed"
    let arguments = { (out: String) in
      [
        "train", "caption", "--data", self.sample, "--decoder", "rnn", "--out", out, "--epochs", "1", "--batch", "16",
        "--seed", "3",
      ]
    }
    XCTAssertEqual(try runGlimpse(arguments(cached)).status, 0)
    let result = try runGlimpse(arguments(streamed) + ["--stream"])
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertEqual(
      try Data(contentsOf: URL(fileURLWithPath: cached + "/model.safetensors")),
      try Data(contentsOf: URL(fileURLWithPath: streamed + "/model.safetensors")))
  }

  /// Kills a run with SIGKILL once it has written a checkpoint, resumes it, and compares the
  /// final weights (byte for byte) and every tensor of the training state (weights, Adam's
  /// moments, the loss history) with an uninterrupted run's. Only the wall time differs.
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
    while !FileManager.default.fileExists(atPath: state) && process.isRunning && Date() < deadline { usleep(5_000) }
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    XCTAssertEqual(process.terminationReason, .uncaughtSignal, "the run finished before it could be killed")
    let partial = try readSafeTensors(path: state)
    let stepsDone = try XCTUnwrap(partial.tensor("history.loss")).count
    XCTAssertLessThan(stepsDone, 80, "killed mid-run")

    let resumed = try runGlimpse(trainArguments(killed, ["--resume"]))
    XCTAssertEqual(resumed.status, 0, resumed.stderr)
    XCTAssertTrue(resumed.stderr.contains("resuming after step \(stepsDone)"), resumed.stderr)
    let a = try Data(contentsOf: URL(fileURLWithPath: whole + "/model.safetensors"))
    let b = try Data(contentsOf: URL(fileURLWithPath: killed + "/model.safetensors"))
    XCTAssertTrue(a == b, "model.safetensors differs after resuming")
    let stateA = try readSafeTensors(path: whole + "/training-state.safetensors")
    let stateB = try readSafeTensors(path: state)
    XCTAssertEqual(stateA.tensors.map(\.name), stateB.tensors.map(\.name))
    for ((name, x), (_, y)) in zip(stateA.tensors, stateB.tensors) {
      XCTAssertTrue(x.values == y.values, "\(name) differs after resuming")
    }
  }
}

/// Bad training data: the first bad entry stops training with an error naming the file and the
/// entry; with --skip-bad each is left out, reported in a warning with the count (the caption
/// of an image left out is reported too: nothing is dropped silently).
final class TrainBadDataTests: XCTestCase {
  func testBadEntriesStopOrAreSkippedWithACount() throws {
    let folder = NSTemporaryDirectory() + "glimpse-bad-data-\(getpid())-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: folder + "/images", withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let sample = projectRoot + "/datasets/sample/images/"
    for k in 1...4 {
      try FileManager.default.copyItem(atPath: sample + "test_00000\(k).png", toPath: folder + "/images/\(k).png")
    }
    try Data("not an image".utf8).write(to: URL(fileURLWithPath: folder + "/images/text.png"))
    let images =
      (1...4).map { "{\"id\":\($0),\"file_name\":\"images/\($0).png\",\"width\":64,\"height\":64}" }
      + [
        "{\"id\":5,\"file_name\":\"images/missing.png\",\"width\":64,\"height\":64}",
        "{\"id\":6,\"file_name\":\"images/text.png\",\"width\":64,\"height\":64}",
      ]
    let captions =
      (1...6).map { "{\"id\":\($0),\"image_id\":\($0),\"caption\":\"a small red circle\"}" }
      + ["{\"id\":7,\"image_id\":99,\"caption\":\"a large blue square\"}"]
    let path = folder + "/captions.json"
    try Data(
      "{\"images\":[\(images.joined(separator: ","))],\"annotations\":[\(captions.joined(separator: ","))]}".utf8
    )
    .write(to: URL(fileURLWithPath: path))
    let arguments = [
      "train", "caption", "--data", folder, "--decoder", "rnn", "--out", folder + "/run", "--epochs", "1", "--batch",
      "2",
      "--plain-progress",
    ]
    let strict = try runGlimpse(arguments)
    XCTAssertEqual(strict.status, 1)
    XCTAssertEqual(
      strict.stderrLines,
      ["glimpse: error: \(path): images[4]: image file '\(folder)/images/missing.png' does not exist"])

    let skipping = try runGlimpse(arguments + ["--skip-bad"])
    XCTAssertEqual(skipping.status, 0, skipping.stderr)
    let warnings = skipping.stderrLines.filter { $0.hasPrefix("glimpse: warning:") }
    XCTAssertEqual(
      warnings,
      [
        "glimpse: warning: \(folder): left out 4 bad entries (--skip-bad):",
        "glimpse: warning:   \(path): images[4]: image file '\(folder)/images/missing.png' does not exist",
        "glimpse: warning:   \(path): annotations[4]: caption for image_id 5, which is not in 'images'",
        "glimpse: warning:   \(path): annotations[6]: caption for image_id 99, which is not in 'images'",
        """
        glimpse: warning:   \(path): image id 6: \(folder)/images/text.png: not a PNG or JPEG image (starts with \
        bytes 6e 6f 74 20)
        """,
      ])
    XCTAssertTrue(skipping.stderr.contains("training on 4 examples, 2 steps per epoch"), skipping.stderr)
  }
}

/// The same for `glimpse train vqa`: an image that cannot be decoded stops training, naming the
/// entry; with --skip-bad it is left out with its questions, counted in the warning.
final class TrainVQABadDataTests: XCTestCase {
  func testUndecodableImageStopsOrIsSkipped() throws {
    let folder = NSTemporaryDirectory() + "glimpse-vqa-bad-\(getpid())-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try FileManager.default.copyItem(atPath: projectRoot + "/datasets/sample", toPath: folder)
    let broken = folder + "/images/test_000002.png"
    try FileManager.default.removeItem(atPath: broken)
    try Data("not an image".utf8).write(to: URL(fileURLWithPath: broken))
    let arguments = [
      "train", "vqa", "--data", folder, "--model", "concat", "--out", folder + "/run", "--epochs", "1", "--batch", "64",
      "--plain-progress",
    ]
    let strict = try runGlimpse(arguments)
    XCTAssertEqual(strict.status, 1)
    XCTAssertEqual(
      strict.stderrLines,
      [
        """
        glimpse: error: \(folder)/captions.json: image id 2: \(broken): not a PNG or JPEG image (starts with bytes \
        6e 6f 74 20)
        """
      ])
    let skipping = try runGlimpse(arguments + ["--skip-bad"])
    XCTAssertEqual(skipping.status, 0, skipping.stderr)
    XCTAssertEqual(
      skipping.stderrLines.filter { $0.hasPrefix("glimpse: warning:") },
      [
        "glimpse: warning: \(folder): left out 1 bad entry (--skip-bad):",
        """
        glimpse: warning:   \(folder)/captions.json: image id 2: \(broken): not a PNG or JPEG image (starts with \
        bytes 6e 6f 74 20) (its 7 questions left out)
        """,
      ])
    XCTAssertTrue(skipping.stderr.contains("training on 397 examples"), skipping.stderr)
  }
}
