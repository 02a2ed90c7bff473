import Foundation
import XCTest

/// `glimpse tune`: measures once, reads the cache after, measures again on --refresh, and a
/// corrupt cache is one warning naming the file, not a failure.
final class TuneCommandTests: XCTestCase {
  var folder = ""

  override func setUpWithError() throws {
    folder = NSTemporaryDirectory() + "glimpse-tune-\(getpid())-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: folder) }

  func winogradLine(_ result: CLIResult) -> String {
    result.stdout.split(separator: "\n").first { $0.hasPrefix("Winograd from batch") }.map(String.init) ?? ""
  }

  func testMeasuresOnceThenReadsTheCache() throws {
    let cache = folder + "/cache/tuning.json"
    let environment = ["GLIMPSE_TUNING_CACHE": cache]
    let first = try runGlimpse(["tune"], environment: environment)
    XCTAssertEqual(first.status, 0, first.stderr)
    XCTAssertEqual(first.stderr, "")
    XCTAssertTrue(first.stdout.contains("tuning cache: \(cache)\n"), first.stdout)
    XCTAssertTrue(first.stdout.contains("OpenBLAS kernels"), first.stdout)
    XCTAssertTrue(winogradLine(first).contains("(measured on this CPU now, and saved in the tuning cache; batch 2: "))
    XCTAssertTrue(FileManager.default.fileExists(atPath: cache))

    let second = try runGlimpse(["tune"], environment: environment)
    XCTAssertEqual(second.status, 0, second.stderr)
    XCTAssertEqual(
      winogradLine(second),
      winogradLine(first).replacingOccurrences(
        of: "measured on this CPU now, and saved in the tuning cache",
        with: "measured on this CPU earlier, read from the tuning cache"))

    let refreshed = try runGlimpse(["tune", "--refresh", "--json"], environment: environment)
    XCTAssertEqual(refreshed.status, 0, refreshed.stderr)
    let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(refreshed.stdout.utf8)) as? [String: Any])
    XCTAssertEqual(report["source"] as? String, "measured")
    XCTAssertEqual(report["cache"] as? String, cache)
    let decisions = try XCTUnwrap(report["decisions"] as? [[String: String]])
    let winograd = decisions.first { $0["choice"] == "Winograd from batch" }
    XCTAssertTrue(["2", "4", "8", "16", "32"].contains(winograd?["value"] ?? ""), "\(decisions)")
    let blocks = decisions.first { $0["choice"] == "few-row X·W blocks" }
    XCTAssertTrue(["whole rows", "1024/M columns", "none"].contains(blocks?["value"] ?? ""), "\(decisions)")
    if blocks?["value"] != "none" {
      XCTAssertTrue(blocks?["why"]?.contains("16×2048 by 2048×512: 1024/M columns ") == true, "\(decisions)")
    }
    let direct = decisions.first { $0["choice"] == "trained layers direct in oneDNN" }
    XCTAssertTrue(direct?["value"] == "none" || direct?["value"]?.hasPrefix("conv") == true, "\(decisions)")
    XCTAssertTrue(direct?["why"]?.contains("as oneDNN chooses ") == true, "\(decisions)")
    XCTAssertTrue(direct?["why"]?.contains(", conv4 direct ") == true, "\(decisions)")
    for choice in [
      "served encoder in oneDNN, one image", "served encoder in oneDNN, batches", "trained encoder in oneDNN",
    ] {
      let oneDNN = decisions.first { $0["choice"] == choice }
      XCTAssertTrue(["yes", "no"].contains(oneDNN?["value"] ?? ""), "\(decisions)")
      XCTAssertTrue(oneDNN?["why"]?.contains("ours") == true, "\(decisions)")
      XCTAssertTrue(
        oneDNN?["why"]?.contains(choice.hasPrefix("trained") ? "16, forward and backward" : ", forward") == true)
    }
  }

  func testACorruptCacheIsOneWarning() throws {
    let cache = folder + "/tuning.json"
    try "{\"format\": 1".write(toFile: cache, atomically: false, encoding: .utf8)
    let result = try runGlimpse(["tune"], environment: ["GLIMPSE_TUNING_CACHE": cache])
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertEqual(
      result.stderrLines,
      ["glimpse: warning: \(cache): not valid JSON: unexpected end of text in an object at byte 12; measured again"])
    XCTAssertTrue(winogradLine(result).contains("measured on this CPU now, and saved"), result.stdout)
    let fixed = try runGlimpse(["tune"], environment: ["GLIMPSE_TUNING_CACHE": cache])
    XCTAssertEqual(fixed.stderr, "")
    XCTAssertTrue(winogradLine(fixed).contains("read from the tuning cache"), fixed.stdout)
  }
}
