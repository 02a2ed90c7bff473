import GlimpseTestSupport
import XCTest

let fixtures = projectRoot + "/Tests/GlimpseImageTests/Fixtures"

/// Rows of a tab-separated manifest with a header line, as dictionaries keyed by column.
func readManifest(_ path: String) throws -> [[String: String]] {
  let text = try String(contentsOfFile: path, encoding: .utf8)
  let lines = text.split(separator: "\n").map {
    $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
  }
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
