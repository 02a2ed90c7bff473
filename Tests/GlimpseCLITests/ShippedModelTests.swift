import Foundation
import GlimpseData
import GlimpseIO
import XCTest

/// The README's main command: `glimpse caption` with no --model finds the shipped attention
/// captioner, its caption of every one-object sample scene is true of the scene, and with the
/// relations of two- and three-object scenes at least 90% of the 64 sample captions are true
/// (59 are; 95.7% on the 2,000-scene test split, see models/caption-attention/README.md).
final class ShippedModelTests: XCTestCase {
  func testShippedCaptionerDescribesOneObjectScenes() throws {
    let sample = projectRoot + "/datasets/sample"
    let scenes = try loadScenes(path: sample + "/scenes.json")
    let single = scenes.filter { $0.value.objects.count == 1 }.sorted { $0.key < $1.key }
    XCTAssertEqual(single.count, 18)
    let paths = single.map { sample + "/images/test_" + String($0.key).zeroPadded(6) + ".png" }
    let result = try runGlimpse(["caption"] + paths)
    XCTAssertEqual(result.status, 0, result.stderr)
    let lines = result.stdout.split(separator: "\n").map(String.init)
    XCTAssertEqual(lines.count, single.count)
    for ((_, scene), (path, line)) in zip(single, zip(paths, lines)) {
      XCTAssertTrue(line.hasPrefix(path + ": "), line)
      let caption = String(line.dropFirst(path.count + 2))
      let parsed = try XCTUnwrap(parseCaption(caption), "'\(caption)' does not parse")
      XCTAssertTrue(captionIsTrue(parsed, scene), "'\(caption)' is not true of \(scene.objects)")
    }
  }

  func testShippedCaptionerDescribesNineInTenSampleScenesTruly() throws {
    let sample = projectRoot + "/datasets/sample"
    let scenes = try loadScenes(path: sample + "/scenes.json").sorted { $0.key < $1.key }
    XCTAssertEqual(scenes.count, 64)
    let paths = scenes.map { sample + "/images/test_" + String($0.key).zeroPadded(6) + ".png" }
    let result = try runGlimpse(["caption"] + paths)
    XCTAssertEqual(result.status, 0, result.stderr)
    let lines = result.stdout.split(separator: "\n").map(String.init)
    XCTAssertEqual(lines.count, scenes.count)
    let truths = zip(scenes, zip(paths, lines)).map { scene, output -> Bool in
      let caption = String(output.1.dropFirst(output.0.count + 2))
      return parseCaption(caption).map { captionIsTrue($0, scene.value) } ?? false
    }
    XCTAssertGreaterThanOrEqual(truths.filter { $0 }.count, 58, "true captions of the 64 sample scenes")
  }
}
