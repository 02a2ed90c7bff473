import Foundation
import GlimpseTensor
import GlimpseTestSupport
import XCTest

/// `mpirun -np N glimpse train`: data-parallel training over Open MPI. Two ranks end where one
/// process ends (within float rounding), two runs of two ranks end bit for bit alike, a killed
/// rank stops the job within seconds, and `--resume` continues with two ranks or one.
final class DistributedTrainingTests: XCTestCase {
  var folder = ""
  var sample: String { projectRoot + "/datasets/sample" }

  override func setUpWithError() throws {
    folder = NSTemporaryDirectory() + "glimpse-mpi-\(getpid())-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
  }

  override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

  /// 3 epochs of 20 steps of the attention captioner on the sample data, validated on it.
  func trainArguments(_ out: String, _ extra: [String] = []) -> [String] {
    [
      "train", "caption", "--data", sample, "--val", sample, "--decoder", "attention", "--out", out, "--epochs", "3",
      "--batch", "16", "--seed", "7", "--checkpoint-every", "5", "--plain-progress",
    ] + extra
  }

  /// Each epoch's validation scores, from metrics.json.
  func validations(_ out: String) throws -> [String] {
    let metrics = try XCTUnwrap(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/metrics.json")))
        as? [String: Any])
    let epochs = try XCTUnwrap(metrics["epochs"] as? [[String: Any]])
    return try epochs.map {
      let validation = try XCTUnwrap($0["validation"])
      let data = try JSONSerialization.data(withJSONObject: validation, options: [.sortedKeys])
      return String(decoding: data, as: UTF8.self)
    }
  }

  var mpirun: String {
    get throws {
      let path = "/usr/bin/mpirun"
      guard FileManager.default.isExecutableFile(atPath: path) else {
        let message = "mpirun is not installed (scripts/install-deps installs Open MPI: openmpi-bin, libopenmpi-dev)"
        if ProcessInfo.processInfo.environment["CI"] != nil { throw CLIRunnerError(description: message) }
        throw XCTSkip(message)
      }
      return path
    }
  }

  /// `mpirun -np ranks glimpse arguments` (as root too, and on fewer cores than ranks). mpirun
  /// binds each of two ranks to a core of its own; `unbound`, a rank may use every core.
  func launch(_ ranks: Int, _ arguments: [String], unbound: Bool = false) throws -> Process {
    let process = Process()
    process.environment = childEnvironment(leakChecks: false)
    process.executableURL = URL(fileURLWithPath: try mpirun)
    process.arguments =
      ["--allow-run-as-root", "--oversubscribe"] + (unbound ? ["--bind-to", "none"] : [])
      + ["-np", String(ranks), glimpseBinary] + arguments
    return process
  }

  func run(_ ranks: Int, _ arguments: [String], unbound: Bool = false) throws -> CLIResult {
    try collectOutputs(try launch(ranks, arguments, unbound: unbound))
  }

  /// Every tensor of the training state (weights, Adam's moments, the loss history).
  func state(_ out: String) throws -> [(name: String, tensor: Tensor)] {
    try readSafeTensors(path: out + "/training-state.safetensors").tensors
  }

  /// The largest over the tensors of max |a − b| / max |a|.
  func largestRelativeDifference(_ a: String, _ b: String) throws -> Float {
    let (first, second) = (try state(a), try state(b))
    XCTAssertEqual(first.map(\.name), second.map(\.name))
    var largest: Float = 0
    for ((_, x), (_, y)) in zip(first, second) {
      XCTAssertEqual(x.shape, y.shape)
      let scale = x.values.map(abs).max() ?? 0
      let gap = zip(x.values, y.values).map { abs($0 - $1) }.max() ?? 0
      largest = max(largest, scale > 0 ? gap / scale : gap)
    }
    return largest
  }

  func assertBitIdentical(_ a: String, _ b: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let (first, second) = (try state(a), try state(b))
    XCTAssertEqual(first.map(\.name), second.map(\.name), file: file, line: line)
    for ((name, x), (_, y)) in zip(first, second) where x.values != y.values {
      XCTFail("\(name) differs", file: file, line: line)
    }
  }

  /// Two ranks (summing the early gradient groups during the backward pass, or everything after
  /// it) end where one process ends, and bit for bit where each other ends.
  func testTwoRanksEndWhereOneProcessEnds() throws {
    let one = folder + "/one", twoA = folder + "/two-a", twoB = folder + "/two-b"
    let alone = try runGlimpse(trainArguments(one))
    XCTAssertEqual(alone.status, 0, alone.stderr)
    let first = try run(2, trainArguments(twoA))
    XCTAssertEqual(first.status, 0, first.stderr)
    let second = try run(2, trainArguments(twoB))
    XCTAssertEqual(second.status, 0, second.stderr)
    XCTAssertEqual(try state(one).first { $0.name == "history.loss" }?.tensor.count, 60)
    let gap = try largestRelativeDifference(one, twoA)
    XCTAssertLessThan(gap, 1e-4, "after 60 steps two ranks must end where one process ends")
    print("largest relative difference between one process and two ranks after 60 steps: \(gap)")
    try assertBitIdentical(twoA, twoB)
    // Summing all the gradients after the backward pass, not the early groups during it, changes nothing.
    let twoAfter = folder + "/two-after"
    let after = try run(2, trainArguments(twoAfter, ["--sum-after-backward"]))
    XCTAssertEqual(after.status, 0, after.stderr)
    try assertBitIdentical(twoA, twoAfter)
    // Validation shared out between the ranks (each captions half the images) scores as one process does.
    XCTAssertEqual(try validations(twoA).count, 3)
    XCTAssertEqual(try validations(twoA), try validations(one))
    // Rank 0 alone reports: one progress line per report, one "done".
    XCTAssertEqual(first.stderr.components(separatedBy: "done: model in").count, 2, first.stderr)
    XCTAssertTrue(FileManager.default.fileExists(atPath: twoA + "/model.safetensors"))
  }

  /// SIGKILL to rank 1 mid-run: mpirun stops the job within seconds with a message naming the
  /// rank; the last checkpoint is whole, and `--resume` with two ranks ends bit for bit where an
  /// uninterrupted two-rank run ends, and with one rank within float rounding of it.
  func testAKilledRankStopsTheJobAndResumeContinues() throws {
    let whole = folder + "/whole", killed = folder + "/killed", single = folder + "/single"
    let uninterrupted = try run(2, trainArguments(whole))
    XCTAssertEqual(uninterrupted.status, 0, uninterrupted.stderr)
    let process = try launch(2, trainArguments(killed))
    let err = Pipe()
    (process.standardInput, process.standardOutput, process.standardError) = (
      FileHandle.nullDevice, FileHandle.nullDevice, err
    )
    try process.run()
    let stderrReader = PipeReader(err.fileHandleForReading)
    let statePath = killed + "/training-state.safetensors"
    let deadline = Date().addingTimeInterval(120)
    while Date() < deadline {
      if let steps = try? readSafeTensors(path: statePath).tensor("history.loss")?.count, steps >= 15 { break }
      usleep(20_000)
    }
    let rank1 = try XCTUnwrap(processOfRank(1, arguments: killed), "rank 1 of the job was not found")
    kill(rank1, SIGKILL)
    let killedAt = Date()
    process.waitUntilExit()
    let stoppedAfter = Date().timeIntervalSince(killedAt)
    let stderr = String(decoding: stderrReader.wait(), as: UTF8.self)
    XCTAssertNotEqual(process.terminationStatus, 0)
    XCTAssertLessThan(stoppedAfter, 20, "the job must stop within seconds of losing a rank")
    XCTAssertTrue(stderr.contains("rank 1") && stderr.contains("signal 9"), stderr)
    let steps = try XCTUnwrap(try readSafeTensors(path: statePath).tensor("history.loss")?.count)
    XCTAssertLessThan(steps, 60, "the run must be killed before it ends")
    try FileManager.default.copyItem(atPath: killed, toPath: single)
    let twoRanks = try run(2, trainArguments(killed, ["--resume"]))
    XCTAssertEqual(twoRanks.status, 0, twoRanks.stderr)
    XCTAssertTrue(twoRanks.stderr.contains("resuming after step \(steps)"), twoRanks.stderr)
    try assertBitIdentical(whole, killed)
    // One rank on both cores shares each batch between them as the two ranks did, so the sums
    // run in the same order; on one core the order differs, and Adam magnifies that rounding in
    // the weights whose gradients are near zero (the losses still agree to 1e-5).
    let oneRank = try run(1, trainArguments(single, ["--resume"]), unbound: true)
    XCTAssertEqual(oneRank.status, 0, oneRank.stderr)
    XCTAssertLessThan(try largestRelativeDifference(whole, single), 1e-4)
  }

  /// `mpirun -np 2 glimpse features` shares the images out and writes the cache one process
  /// writes, byte for byte; two ranks then train on the frozen encoder from it, encoding nothing.
  func testFeaturesSharedOutMakeTheSameCache() throws {
    let data = folder + "/photos", encoder = projectRoot + "/models/efficientnet-lite0"
    let generated = try runGlimpse([
      "data", "generate", "--out", data, "--split", "train", "--count", "40", "--seed", "2", "--size", "224",
    ])
    XCTAssertEqual(generated.status, 0, generated.stderr)
    let one = folder + "/one.glf", two = data + "/features-efficientnet-lite0.glf"
    XCTAssertEqual(try runGlimpse(["features", data, "--encoder", encoder, "--out", one]).status, 0)
    let shared = try run(2, ["features", data, "--encoder", encoder])
    XCTAssertEqual(shared.status, 0, shared.stderr)
    XCTAssertEqual(shared.stderr.components(separatedBy: "40 images encoded, 0 grids kept").count, 2, shared.stderr)
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: one)), try Data(contentsOf: URL(fileURLWithPath: two)))
    let trained = try run(
      2,
      [
        "train", "caption", "--encoder", "efficientnet-lite0", "--encoder-folder", encoder, "--data", data,
        "--decoder", "attention", "--out", folder + "/photo-model", "--epochs", "1", "--batch", "16",
        "--plain-progress",
      ])
    XCTAssertEqual(trained.status, 0, trained.stderr)
    XCTAssertTrue(trained.stderr.contains("\(two): 0 images encoded, 40 grids kept"), trained.stderr)
  }

  /// `glimpse bench allreduce` under two ranks: rank 0 alone prints each model's payload and time.
  func testAllreduceBenchmarkReportsEachModel() throws {
    let result = try run(2, ["bench", "allreduce", "--repeats", "2", "--json"])
    XCTAssertEqual(result.status, 0, result.stderr)
    let figures = try benchFigures(result.stdout)
    XCTAssertEqual(
      figures.compactMap { $0["name"] as? String },
      ["small.attention", "photo.attention", "photo.attention.b32"].flatMap {
        ["allreduce.\($0).payload", "allreduce.\($0).np2"]
      })
    let payload = try XCTUnwrap(figures.first { $0["name"] as? String == "allreduce.photo.attention.payload" })
    XCTAssertEqual(payload["median"] as? Double ?? 0, 57.26, accuracy: 0.01)
    for figure in figures { XCTAssertGreaterThan(figure["median"] as? Double ?? 0, 0, "\(figure)") }
  }

  /// Launched as a rank with no usable libmpi: one line naming the library and what to do, exit 1.
  func testABrokenMPIIsOneClearLine() throws {
    let result = try runGlimpse(
      trainArguments(folder + "/broken"),
      environment: ["OMPI_COMM_WORLD_SIZE": "2", "GLIMPSE_MPI_LIBRARY": folder + "/libmpi.so.40"])
    XCTAssertEqual(result.status, 1)
    XCTAssertEqual(
      result.stderrLines,
      [
        """
        glimpse: error: launched under MPI, but cannot load \(folder)/libmpi.so.40 (\(folder)/libmpi.so.40: cannot \
        open shared object file: No such file or directory); install Open MPI (Debian: openmpi-bin) or set \
        GLIMPSE_MPI_LIBRARY to its libmpi (OMPI_COMM_WORLD_SIZE is set)
        """
      ])
    XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/broken"))
    // Not launched by MPI, glimpse never looks for it.
    let alone = try runGlimpse(
      ["train", "caption", "--data", sample, "--decoder", "rnn", "--out", folder + "/alone", "--epochs", "1"],
      environment: ["GLIMPSE_MPI_LIBRARY": folder + "/libmpi.so.40"])
    XCTAssertEqual(alone.status, 0, alone.stderr)
  }

  /// The process of the job at `rank` whose arguments include `arguments` (the run's folder).
  func processOfRank(_ rank: Int, arguments: String) -> pid_t? {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    for entry in entries {
      guard let pid = pid_t(entry),
        let command = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(entry)/cmdline")),
        let environment = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(entry)/environ"))
      else { continue }
      let words = command.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
      let variables = environment.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
      if words.first == glimpseBinary && words.contains(arguments)
        && variables.contains("OMPI_COMM_WORLD_RANK=\(rank)")
      {
        return pid
      }
    }
    return nil
  }
}
