import Foundation
import XCTest

/// `glimpse bench --json` names every figure the performance issue asks for, with its unit.
/// (Speeds are not asserted: they belong to benchmarks, not tests.)
final class BenchCommandTests: XCTestCase {
  func testSuiteReportsEveryFigure() throws {
    let result = try runGlimpse(["bench", "--json", "--repeats", "1"])
    XCTAssertEqual(result.status, 0, result.stderr)
    let figures = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
    let units = Dictionary(
      figures.map { ($0["name"] as! String, $0["unit"] as! String) }, uniquingKeysWith: { a, _ in a })
    var expected = [
      "train.peak-rss": "MiB", "caption.attention.beam3.b1": "ms", "caption.attention.b32": "images/s",
      "vqa.concat.b1": "ms", "vqa.san.b1": "ms", "encoder.forward.b32": "GFLOP/s",
      "sgemm.encoder-shapes": "GFLOP/s", "sgemm.ceiling": "GFLOP/s",
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

  func testOnlyRunsTheNamedPartsAndRefusesOthers() throws {
    let result = try runGlimpse(["bench", "--only", "vqa", "--json", "--repeats", "1"])
    XCTAssertEqual(result.status, 0, result.stderr)
    let figures = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
    XCTAssertEqual(figures.map { $0["name"] as! String }, ["vqa.concat.b1", "vqa.san.b1"])
    let refused = try runGlimpse(["bench", "--only", "train.transformer"])
    XCTAssertNotEqual(refused.status, 0)
    XCTAssertTrue(
      refused.stderr.contains(
        "--only: no part named 'train.transformer'; the parts are train.rnn, train.lstm, "
          + "train.gru, train.attention, "
          + "train.vqa-concat, train.vqa-san, caption, vqa, kernels"), refused.stderr)
  }
}
