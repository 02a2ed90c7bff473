import Foundation
import GlimpseTensor
import GlimpseTestSupport
import XCTest

/// Faults while `glimpse train` writes its checkpoints: a disk that fills up, and SIGKILL at
/// random moments. The training state on disk is always a whole one, the error names the file
/// and the cause, and `--resume` ends with the weights of an uninterrupted run.
final class TrainingFaultCLITests: XCTestCase {
  var folder = ""
  var sample: String { projectRoot + "/datasets/sample" }

  override func setUpWithError() throws {
    folder = NSTemporaryDirectory() + "glimpse-faults-\(getpid())-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
  }

  override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

  func trainArguments(_ out: String, _ extra: [String] = []) -> [String] {
    [
      "train", "caption", "--data", sample, "--decoder", "rnn", "--out", out, "--epochs", "1", "--batch", "16",
      "--seed", "11", "--checkpoint-every", "3", "--plain-progress",
    ] + extra
  }

  func weights(_ out: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: out + "/model.safetensors")) }

  /// The run's output folder on a tmpfs (in a mount namespace of its own) with room for one
  /// training state and a half: the first checkpoint fits, the second, written beside the
  /// first before it replaces it, does not.
  func testAFullDiskKeepsTheLastCheckpoint() throws {
    let whole = folder + "/whole"
    XCTAssertEqual(try runGlimpse(trainArguments(whole)).status, 0)
    let stateSize = try XCTUnwrap(
      FileManager.default.attributesOfItem(atPath: whole + "/training-state.safetensors")[.size] as? Int)
    let disk = folder + "/disk", kept = folder + "/kept", log = folder + "/stderr.txt"
    try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
    let command = ([glimpseBinary] + trainArguments(disk + "/run")).map { "'\($0)'" }.joined(separator: " ")
    let script = """
      mount -t tmpfs -o size=\(stateSize * 3 / 2) tmpfs '\(disk)' || exit 99
      \(command) 2> '\(log)'; status=$?
      cp -a '\(disk)/run' '\(kept)'; exit $status
      """
    let process = Process()
    process.environment = childEnvironment()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
    process.arguments = (getuid() == 0 ? ["-m"] : ["-r", "-m"]) + ["sh", "-c", script]
    try process.run()
    process.waitUntilExit()
    XCTAssertNotEqual(process.terminationStatus, 99, "could not mount a tmpfs in a mount namespace")
    XCTAssertEqual(process.terminationStatus, 1, "training on a full disk must fail with exit 1")
    let stderr = try String(contentsOfFile: log, encoding: .utf8)
    XCTAssertTrue(
      stderr.hasSuffix(
        "glimpse: error: \(disk)/run/training-state.safetensors: cannot write: no space left on device\n"), stderr)
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: kept).filter { $0.hasSuffix(".tmp") }
    XCTAssertEqual(leftovers, [], "no temporary file is left behind")
    let state = try readSafeTensors(path: kept + "/training-state.safetensors")
    XCTAssertEqual(state.tensor("history.loss")?.count, 3, "the first checkpoint is the one kept, whole")
    let resumed = try runGlimpse(trainArguments(kept, ["--resume"]))
    XCTAssertEqual(resumed.status, 0, resumed.stderr)
    XCTAssertEqual(try weights(kept), try weights(whole))
  }

  /// SIGKILL at eight seeded random moments (most of them during or near a checkpoint write:
  /// each run is short), each run resuming the last; after each kill the state on disk reads
  /// back whole, and the run that is finally let finish ends with the uninterrupted weights.
  func testRepeatedSIGKILLNeverLeavesAHalfWrittenCheckpoint() throws {
    let whole = folder + "/whole", killed = folder + "/killed"
    XCTAssertEqual(try runGlimpse(trainArguments(whole)).status, 0)
    var random: UInt64 = 0x9E37_79B9_7F4A_7C15
    var kills = 0
    for _ in 0..<8 {
      random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      let delay = 0.05 + Double(random >> 40) / Double(1 << 24) * 0.5
      let state = killed + "/training-state.safetensors"
      let process = Process()
      process.environment = childEnvironment()
      process.executableURL = URL(fileURLWithPath: glimpseBinary)
      let resume = FileManager.default.fileExists(atPath: state)
      process.arguments = trainArguments(killed, resume ? ["--resume"] : [])
      process.standardError = FileHandle.nullDevice
      process.standardOutput = FileHandle.nullDevice
      try process.run()
      usleep(UInt32(delay * 1e6))
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
      if process.terminationReason == .uncaughtSignal { kills += 1 }
      if FileManager.default.fileExists(atPath: state) {
        XCTAssertNoThrow(try readSafeTensors(path: state), "a killed run left a damaged training state")
      }
    }
    XCTAssertGreaterThan(kills, 4, "most runs must be killed mid-way for the test to mean anything")
    let finished = try runGlimpse(
      trainArguments(
        killed,
        FileManager.default.fileExists(atPath: killed + "/training-state.safetensors")
          ? ["--resume"] : []))
    XCTAssertEqual(finished.status, 0, finished.stderr)
    XCTAssertEqual(try weights(killed), try weights(whole))
  }
}
