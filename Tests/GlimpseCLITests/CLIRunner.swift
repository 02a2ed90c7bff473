import Foundation
import XCTest

/// The built `glimpse` binary sits beside the test bundle in the build folder.
let glimpseBinary: String = {
  let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
  return bundle.deletingLastPathComponent().appendingPathComponent("glimpse").path
}()

let projectRoot: String = {
  var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
  parts.removeLast(3)
  return parts.joined(separator: "/")
}()

struct CLIResult {
  var status: Int32
  var stdout: String
  var stderr: String
  var stderrLines: [String] { stderr.split(separator: "\n").map(String.init) }
}

/// Runs `glimpse` with `arguments` and no standard input, collecting both outputs.
func runGlimpse(_ arguments: [String]) throws -> CLIResult {
  guard FileManager.default.isExecutableFile(atPath: glimpseBinary) else {
    throw XCTSkip("glimpse binary not found at \(glimpseBinary)")
  }
  let process = Process()
  process.executableURL = URL(fileURLWithPath: glimpseBinary)
  process.arguments = arguments
  let out = Pipe(), err = Pipe()
  process.standardOutput = out
  process.standardError = err
  process.standardInput = FileHandle.nullDevice
  try process.run()
  let stdout = out.fileHandleForReading.readDataToEndOfFile()
  let stderr = err.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return CLIResult(
    status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
    stderr: String(decoding: stderr, as: UTF8.self))
}

func sharedFolder() throws -> String {
  let path = projectRoot + "/../shared"
  guard FileManager.default.fileExists(atPath: path + "/conformance") else {
    throw XCTSkip("../shared/conformance is not beside the project root (\(path)); skipping")
  }
  return path
}

/// Runs `glimpse` with its output discarded and returns its exit status and its own peak
/// resident memory in KiB (from wait4, so no other child of the test process is counted).
func peakMemoryOfGlimpse(_ arguments: [String]) throws -> (status: Int32, peakKiB: Int) {
  guard FileManager.default.isExecutableFile(atPath: glimpseBinary) else {
    throw XCTSkip("glimpse binary not found at \(glimpseBinary)")
  }
  var actions = posix_spawn_file_actions_t()
  posix_spawn_file_actions_init(&actions)
  defer { posix_spawn_file_actions_destroy(&actions) }
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
  let argv = ([glimpseBinary] + arguments).map { strdup($0) } + [nil]
  defer { argv.forEach { free($0) } }
  var pid: pid_t = 0
  guard posix_spawn(&pid, glimpseBinary, &actions, nil, argv, environ) == 0 else {
    throw XCTSkip("could not start glimpse")
  }
  var status: Int32 = 0
  var usage = rusage()
  wait4(pid, &status, 0, &usage)
  return ((status >> 8) & 0xFF, usage.ru_maxrss)
}
