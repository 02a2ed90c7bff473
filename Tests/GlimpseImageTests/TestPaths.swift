import XCTest

/// The project root, found from this file's path: Tests/GlimpseImageTests/TestPaths.swift.
let projectRoot: String = {
  var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
  parts.removeLast(3)
  return parts.joined(separator: "/")
}()

let fixtures = projectRoot + "/Tests/GlimpseImageTests/Fixtures"

/// `../shared` beside the project root; tests that need it skip, saying so, when it is absent.
func sharedFolder() throws -> String {
  let path = projectRoot + "/../shared"
  guard FileManager.default.fileExists(atPath: path + "/conformance") else {
    throw XCTSkip("../shared/conformance is not beside the project root (\(path)); skipping")
  }
  return path
}

/// Rows of a tab-separated manifest with a header line, as dictionaries keyed by column.
func readManifest(_ path: String) throws -> [[String: String]] {
  let text = try String(contentsOfFile: path, encoding: .utf8)
  let lines = text.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
  guard let header = lines.first else { return [] }
  return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
}

func readBytes(_ path: String) throws -> [UInt8] {
  [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// The largest per-byte difference between two equally long buffers.
func maxDifference(_ a: [UInt8], _ b: [UInt8]) -> Int {
  zip(a, b).map { abs(Int($0) - Int($1)) }.max() ?? 0
}
