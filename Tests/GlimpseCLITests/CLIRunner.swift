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

/// Runs `glimpse` with `arguments` and no standard input, collecting both outputs. With
/// `addressSpaceKiB` it runs under that address-space limit (ulimit -v): nothing larger can
/// even be reserved, let alone touched; and under `timeout 120`, so a hang fails (exit 124).
func runGlimpse(_ arguments: [String], addressSpaceKiB: Int? = nil) throws -> CLIResult {
  guard FileManager.default.isExecutableFile(atPath: glimpseBinary) else {
    throw XCTSkip("glimpse binary not found at \(glimpseBinary)")
  }
  let process = Process()
  if let addressSpaceKiB {
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", "ulimit -v \(addressSpaceKiB) && exec timeout 120 \"$0\" \"$@\"", glimpseBinary] + arguments
  } else {
    process.executableURL = URL(fileURLWithPath: glimpseBinary)
    process.arguments = arguments
  }
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

