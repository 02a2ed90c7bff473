import Foundation
import XCTest

/// `glimpse bench --json` names every figure the performance issue asks for, with its unit.
/// (Speeds are not asserted: they belong to benchmarks, not tests.)
final class BenchCommandTests: XCTestCase {
  func testSuiteReportsEveryFigure() throws {
    let result = try runGlimpse(["bench", "--json", "--repeats", "1"])
    XCTAssertEqual(result.status, 0, result.stderr)
    let figures = try benchFigures(result.stdout)
    let units = Dictionary(
      figures.map { ($0["name"] as! String, $0["unit"] as! String) }, uniquingKeysWith: { a, _ in a })
    var expected = [
      "train.peak-rss": "MiB", "caption.attention.beam3.b1": "ms", "caption.attention.b32": "images/s",
      "vqa.concat.b1": "ms", "vqa.san.b1": "ms", "encoder.forward.b32": "GFLOP/s",
      "sgemm.encoder-shapes": "GFLOP/s", "sgemm.ceiling": "GFLOP/s", "caption.attention.b1.f32": "ms",
    ]
    for model in ["rnn", "lstm", "attention", "vqa-concat", "vqa-san"] {
      expected["train.\(model)"] = "images/s"
      expected["train.\(model).gflops"] = "GFLOP/s"
    }
    for decoder in ["rnn", "lstm", "attention"] { expected["caption.\(decoder).b1"] = "ms" }
    for (name, unit) in expected { XCTAssertEqual(units[name], unit, name) }
    for figure in figures {
      let (median, low, high) = (figure["median"] as! Double, figure["min"] as! Double, figure["max"] as! Double)
      XCTAssertTrue(low <= median && median <= high && low > 0, "\(figure)")
    }
  }

  func testOverlapReportsEachMachineCountAndRefusesBadOnes() throws {
    let result = try runGlimpse(
      ["bench", "overlap", "--model", "small.attention", "--machines", "4,16", "--repeats", "1", "--json"])
    XCTAssertEqual(result.status, 0, result.stderr)
    var expected = ["overlap.small.attention.compute"]
    for n in [4, 16] {
      for when in ["after", "during"] {
        expected += ["overlap.small.attention.\(when).m\(n)", "overlap.small.attention.\(when).m\(n).efficiency"]
      }
    }
    XCTAssertEqual(try benchFigures(result.stdout).map { $0["name"] as! String }, expected)
    let refused = try runGlimpse(["bench", "overlap", "--machines", "16,1"])
    XCTAssertNotEqual(refused.status, 0)
    XCTAssertTrue(
      refused.stderr.contains("--machines must be whole numbers of at least 2, comma-separated (got '16,1')"),
      refused.stderr)
  }

  /// The COCO, Karpathy and Flickr8k loaders at the scale of real data: 100,000 captions each, and
  /// a vocabulary of over 10,000 words at --min-count 5, with few tokens left to <unk>.
  func testTextAtScaleLoadsEveryCaptionInEachFormat() throws {
    let result = try runGlimpse(
      ["bench", "text", "--captions", "100000", "--words", "20000", "--repeats", "1", "--json"])
    XCTAssertEqual(result.status, 0, result.stderr)
    let figures = Dictionary(
      try benchFigures(result.stdout).map { ($0["name"] as! String, $0["median"] as! Double) },
      uniquingKeysWith: { a, _ in a })
    for format in ["coco", "karpathy", "flickr8k"] {
      XCTAssertEqual(figures["text.\(format).captions"], 100_000, format)
      XCTAssertGreaterThan(figures["text.\(format).vocabulary"] ?? 0, 10_000, format)
      XCTAssertEqual(figures["text.\(format).vocabulary"], figures["text.coco.vocabulary"], format)
      XCTAssertLessThan(figures["text.\(format).unknown"] ?? 100, 5, format)
      XCTAssertGreaterThan(figures["text.\(format).load"] ?? 0, 0, format)
    }
    XCTAssertGreaterThan(figures["text.peak-rss"] ?? 0, 0)
    let refused = try runGlimpse(["bench", "text", "--captions", "0"])
    XCTAssertNotEqual(refused.status, 0)
    XCTAssertTrue(refused.stderr.contains("--captions must be positive"), refused.stderr)
  }

  func testOnlyRunsTheNamedPartsAndRefusesOthers() throws {
    let result = try runGlimpse(["bench", "--only", "vqa", "--json", "--repeats", "1"])
    XCTAssertEqual(result.status, 0, result.stderr)
    let figures = try benchFigures(result.stdout)
    XCTAssertEqual(figures.map { $0["name"] as! String }, ["vqa.concat.b1", "vqa.san.b1"])
    let refused = try runGlimpse(["bench", "--only", "train.transformer"])
    XCTAssertNotEqual(refused.status, 0)
    XCTAssertTrue(
      refused.stderr.contains(
        "--only: no part named 'train.transformer'; the parts are train.rnn, train.lstm, "
          + "train.gru, train.attention, "
          + "train.vqa-concat, train.vqa-san, caption, vqa, kernels"), refused.stderr)
  }

  /// The report names the machine: /proc/cpuinfo's model name, the cores glimpse uses, OpenBLAS's
  /// kernels and version; as three lines above the table, and as `machine` in the JSON.
  func testReportsTheMachine() throws {
    let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
    let model = try XCTUnwrap(cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") })
    let cpu = model.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces)
    let result = try runGlimpse(["bench", "--only", "vqa", "--json", "--repeats", "1"])
    XCTAssertEqual(result.status, 0, result.stderr)
    let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    let machine = try XCTUnwrap(report["machine"] as? [String: Any])
    XCTAssertEqual(machine["cpu"] as? String, cpu)
    XCTAssertTrue((machine["cpu_identity"] as? String ?? "").contains(" family "), "\(machine)")
    XCTAssertEqual(machine["cores"] as? Int, ProcessInfo.processInfo.activeProcessorCount)
    XCTAssertTrue((machine["vector_extensions"] as? [String] ?? []).contains("avx2"), "\(machine)")
    XCTAssertTrue((machine["openblas"] as? String ?? "").hasPrefix("OpenBLAS 0."), "\(machine)")
    XCTAssertTrue((machine["caches"] as? [String] ?? []).contains { $0.hasPrefix("L2 ") }, "\(machine)")
    let text = try runGlimpse(["bench", "--only", "vqa", "--repeats", "1"])
    let lines = text.stdout.split(separator: "\n")
    XCTAssertTrue(lines.first?.hasPrefix("CPU: \(cpu) (") == true, text.stdout)
    XCTAssertTrue(lines.dropFirst().first?.hasPrefix("OpenBLAS: OpenBLAS 0.") == true, text.stdout)
  }
}

/// The figures of `glimpse bench --json`'s report.
func benchFigures(_ stdout: String) throws -> [[String: Any]] {
  let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any], stdout)
  return try XCTUnwrap(report["figures"] as? [[String: Any]], stdout)
}
