import Foundation
import GlimpseData
import GlimpseIO
import XCTest

/// The README's main command: `glimpse caption` with no --model finds the shipped attention
/// captioner, its caption of every one-object sample scene is true of the scene, and with the
/// relations of two- and three-object scenes at least 90% of the 64 sample captions are true
/// (59 are; 95.7% on the 2,000-scene test split, see models/caption-attention/README.md).
final class ShippedModelTests: XCTestCase {
  let sample = projectRoot + "/datasets/sample"

  /// The shipped captioner's caption of each sample scene in `ids`, in one `glimpse caption` run.
  func captions(_ ids: [Int]) throws -> [String] {
    let paths = ids.map { sample + "/images/test_" + String($0).zeroPadded(6) + ".png" }
    let result = try runGlimpse(["caption"] + paths)
    XCTAssertEqual(result.status, 0, result.stderr)
    let lines = result.stdout.split(separator: "\n").map(String.init)
    XCTAssertEqual(lines.count, ids.count)
    return zip(paths, lines).map { path, line in
      XCTAssertTrue(line.hasPrefix(path + ": "), line)
      return String(line.dropFirst(path.count + 2))
    }
  }

  func testShippedCaptionerDescribesOneObjectScenes() throws {
    let single = try loadScenes(path: sample + "/scenes.json").filter { $0.value.objects.count == 1 }.sorted { $0.key < $1.key }
    XCTAssertEqual(single.count, 18)
    for ((_, scene), caption) in zip(single, try captions(single.map(\.key))) {
      let parsed = try XCTUnwrap(parseCaption(caption), "'\(caption)' does not parse")
      XCTAssertTrue(captionIsTrue(parsed, scene), "'\(caption)' is not true of \(scene.objects)")
    }
  }

  func testShippedCaptionerDescribesNineInTenSampleScenesTruly() throws {
    let scenes = try loadScenes(path: sample + "/scenes.json").sorted { $0.key < $1.key }
    XCTAssertEqual(scenes.count, 64)
    let truths = zip(scenes, try captions(scenes.map(\.key))).map { scene, caption in
      parseCaption(caption).map { captionIsTrue($0, scene.value) } ?? false
    }
    XCTAssertGreaterThanOrEqual(truths.filter { $0 }.count, 58, "true captions of the 64 sample scenes")
  }
}
