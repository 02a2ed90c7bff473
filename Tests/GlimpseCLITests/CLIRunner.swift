import Foundation
import GlimpseTestSupport
import XCTest

/// The built `glimpse` binary sits beside the test bundle in the build folder.
let glimpseBinary: String = {
  let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
  return bundle.deletingLastPathComponent().appendingPathComponent("glimpse").path
}()

struct CLIResult {
  var status: Int32
  var stdout: String
  var stderr: String
  var stderrLines: [String] { stderr.split(separator: "\n").map(String.init) }
}

/// Runs `glimpse` with `arguments` and no standard input, collecting both outputs. With
/// `addressSpaceKiB` it runs under that address-space limit (ulimit -v): nothing larger can
/// even be reserved, let alone touched; and under `timeout 120`, so a hang fails (exit 124).
func runGlimpse(
  _ arguments: [String], addressSpaceKiB: Int? = nil, environment: [String: String] = [:]
) throws -> CLIResult {
  if addressSpaceKiB != nil, let sanitizer = ProcessInfo.processInfo.environment["GLIMPSE_SANITIZER"] {
    throw XCTSkip("an address-space limit cannot be tested under the \(sanitizer) sanitizer (its shadow memory)")
  }
  guard FileManager.default.isExecutableFile(atPath: glimpseBinary) else {
    throw CLIRunnerError(
      description: "the glimpse binary is not at \(glimpseBinary): build it first (scripts/test does)")
  }
  let process = Process()
  if let addressSpaceKiB {
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments =
      ["-c", "ulimit -v \(addressSpaceKiB) && exec timeout 120 \"$0\" \"$@\"", glimpseBinary] + arguments
  } else {
    process.executableURL = URL(fileURLWithPath: glimpseBinary)
    process.arguments = arguments
  }
  process.environment = childEnvironment(environment)
  return try collectOutputs(process)
}

/// The environment of a process the tests start. Under `scripts/sanitize address` the glimpse
/// processes check for leaks (GLIMPSE_CHILD_ASAN_OPTIONS), while the test process itself does
/// not: XCTest keeps its test cases, and Foundation some bookkeeping, until it exits. MPI ranks
/// (`leakChecks: false`) do not either: Open MPI unloads its plugins at MPI_Finalize, so what
/// they keep cannot be told from glimpse's own.
func childEnvironment(_ extra: [String: String] = [:], leakChecks: Bool = true) -> [String: String] {
  var environment = ProcessInfo.processInfo.environment
  if let options = environment["GLIMPSE_CHILD_ASAN_OPTIONS"] {
    environment["ASAN_OPTIONS"] = leakChecks ? options : options + " detect_leaks=0"
  }
  return environment.merging(extra) { $1 }
}

/// Runs `process` with no standard input to its end, collecting both outputs.
func collectOutputs(_ process: Process) throws -> CLIResult {
  let out = Pipe(), err = Pipe()
  process.standardOutput = out
  process.standardError = err
  process.standardInput = FileHandle.nullDevice
  try process.run()
  // Both pipes are drained at once: a child that fills one (64 KiB) while we wait on the
  // other would never finish.
  let stderrReader = PipeReader(err.fileHandleForReading)
  let stdout = out.fileHandleForReading.readDataToEndOfFile()
  let stderr = stderrReader.wait()
  process.waitUntilExit()
  return CLIResult(
    status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
    stderr: String(decoding: stderr, as: UTF8.self))
}

struct CLIRunnerError: Error, CustomStringConvertible {
  var description: String
}

/// Reads a pipe to its end on a thread of its own.
final class PipeReader: @unchecked Sendable {
  private let done = DispatchSemaphore(value: 0)
  private var data = Data()

  init(_ handle: FileHandle) {
    Thread.detachNewThread { [self] in
      data = handle.readDataToEndOfFile()
      done.signal()
    }
  }

  func wait() -> Data {
    done.wait()
    return data
  }
}
