import Foundation
import GlimpseTestSupport
import XCTest

/// `glimpse train vqa --attention-supervision` and `--init`: what they refuse, and a run that
/// fine-tunes the shipped vqa-san with supervision on the sample and is resumed (only with the
/// same --init).
final class TrainVQACommandTests: XCTestCase {
  var folder = ""
  var sample: String { projectRoot + "/datasets/sample" }

  override func setUpWithError() throws {
    folder = NSTemporaryDirectory() + "glimpse-train-vqa-\(getpid())-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
  }

  override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

  func arguments(data: String? = nil, epochs: Int = 1, _ extra: [String]) -> [String] {
    [
      "train", "vqa", "--data", data ?? sample, "--out", folder + "/run", "--epochs", String(epochs), "--batch", "64",
      "--plain-progress",
    ] + extra
  }

  func testRefusals() throws {
    let concat = try runGlimpse(arguments(["--model", "concat", "--attention-supervision", "1"]))
    XCTAssertEqual(concat.status, 64)
    XCTAssertEqual(concat.stderrLines.first, "glimpse: error: --attention-supervision applies only to --model san")
    let negative = try runGlimpse(arguments(["--attention-supervision=-1"]))
    XCTAssertEqual(negative.status, 64)
    XCTAssertEqual(negative.stderrLines.first, "glimpse: error: --attention-supervision must be 0 or more")
    let hops = try runGlimpse(arguments(["--attention-supervision", "1", "--supervised-hops", "3"]))
    XCTAssertEqual(hops.status, 64)
    XCTAssertEqual(hops.stderrLines.first, "glimpse: error: --supervised-hops must be from 1 to the model's 2 hops")
    let kind = try runGlimpse(arguments(["--init", projectRoot + "/models/vqa-concat"]))
    XCTAssertEqual(kind.status, 1)
    XCTAssertEqual(
      kind.stderrLines,
      ["glimpse: error: \(projectRoot)/models/vqa-concat: is a vqa-concat model; it cannot start a vqa-san run"])
    let caption = try runGlimpse(arguments(["--init", projectRoot + "/models/caption-rnn"]))
    XCTAssertEqual(caption.status, 1)
    XCTAssertEqual(caption.stderrLines.count, 1, caption.stderr)
    XCTAssertTrue(caption.stderr.contains("not a VQA model"), caption.stderr)

    let noScenes = folder + "/no-scenes"
    try FileManager.default.createDirectory(atPath: noScenes, withIntermediateDirectories: true)
    for name in ["captions.json", "questions.json", "annotations.json"] {
      try FileManager.default.copyItem(atPath: sample + "/" + name, toPath: noScenes + "/" + name)
    }
    try FileManager.default.createSymbolicLink(atPath: noScenes + "/images", withDestinationPath: sample + "/images")
    let missing = try runGlimpse(arguments(data: noScenes, ["--attention-supervision", "1"]))
    XCTAssertEqual(missing.status, 1)
    XCTAssertEqual(missing.stderrLines, ["glimpse: error: \(noScenes)/scenes.json: no such file or directory"])
    try Data(#"{"scenes": []}"#.utf8).write(to: URL(fileURLWithPath: noScenes + "/scenes.json"))
    let empty = try runGlimpse(arguments(data: noScenes, ["--attention-supervision", "1"]))
    XCTAssertEqual(empty.status, 1)
    XCTAssertEqual(
      empty.stderrLines,
      [
        """
        glimpse: error: \(noScenes)/scenes.json: no scene for image id 1 (question 10); every image of the \
        questions needs one
        """
      ])
    let evaluation = try runGlimpse(["eval", "vqa", "--model", projectRoot + "/models/vqa-san", "--data", noScenes])
    XCTAssertEqual(evaluation.status, 1)
    XCTAssertEqual(evaluation.stderrLines, empty.stderrLines, "eval vqa reads scenes.json the same way")
    XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/run"), "nothing written")
  }

  /// Fine-tuning keeps the model's question words and answers, reports the supervision's part
  /// of the loss and records λ and the starting model in config.json.
  func testSupervisedFineTuning() throws {
    let initial = projectRoot + "/models/vqa-san"
    let result = try runGlimpse(
      arguments(["--init", initial, "--attention-supervision", "0.5", "--val", sample, "--val-limit", "64"]))
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertTrue(result.stderr.contains("training on 404 examples, 6 steps per epoch"), result.stderr)
    XCTAssertTrue(result.stderr.contains("epoch 1/1  step 6/6  loss "), result.stderr)
    XCTAssertTrue(result.stderr.contains(" att "), result.stderr)
    XCTAssertTrue(result.stderr.contains("epoch 1 validation: accuracy "), result.stderr)
    // The sample has scenes.json: validation also says where vqa-san's two hops look.
    let validation = try XCTUnwrap(result.stderrLines.first { $0.hasPrefix("epoch 1 validation: ") })
    XCTAssertNotNil(
      validation.range(
        of: #"; hops on the object: color \d+\.\d/\d+\.\d, shape .*, size .*, position \d+\.\d/\d+\.\d  \(best"#,
        options: .regularExpression), validation)
    let metrics =
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/run/metrics.json")))
      as? [String: Any]
    let epochs = try XCTUnwrap(metrics?["epochs"] as? [[String: Any]])
    let attention = try XCTUnwrap((epochs[0]["validation"] as? [String: Any])?["attention"] as? [String: Any])
    XCTAssertEqual(Set(attention.keys), ["color", "shape", "size", "position"])
    let out = folder + "/run"
    for file in ["vocab.json", "answers.json"] {
      XCTAssertEqual(
        try Data(contentsOf: URL(fileURLWithPath: out + "/" + file)),
        try Data(contentsOf: URL(fileURLWithPath: initial + "/" + file)), file)
    }
    let config =
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/config.json")))
      as? [String: Any]
    let training = try XCTUnwrap(config?["training"] as? [String: Any])
    XCTAssertEqual(training["attention_supervision"] as? Double, 0.5)
    XCTAssertEqual(training["init"] as? String, initial)

    let more = ["--attention-supervision", "0.5", "--val", sample, "--val-limit", "64", "--resume"]
    let withoutInit = try runGlimpse(arguments(epochs: 2, more))
    XCTAssertEqual(withoutInit.status, 1)
    XCTAssertEqual(
      withoutInit.stderrLines,
      ["glimpse: error: \(out)/training-state.safetensors: cannot resume: init was '\(initial)' in this run, now none"])
    let resumed = try runGlimpse(arguments(epochs: 2, more + ["--init", initial]))
    XCTAssertEqual(resumed.status, 0, resumed.stderr)
    XCTAssertTrue(resumed.stderr.contains("epoch 2/2  step 6/6  loss "), resumed.stderr)
  }
}
