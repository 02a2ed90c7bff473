import Foundation
import GlimpseImage
import GlimpseInference
import GlimpseModels
import GlimpseTensor
import GlimpseTestSupport
import GlimpseTraining
import XCTest

/// The feature cache of a frozen encoder: grids computed once, kept while image and encoder are
/// the same, recomputed when either changed, and a damaged file refused without being touched.
final class FeatureCacheTests: XCTestCase {
  var folder = ""
  let photos = projectRoot + "/Tests/GlimpseInferenceTests/Fixtures/photo/"

  override func setUpWithError() throws {
    folder = NSTemporaryDirectory() + "glimpse-features-\(getpid())-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
  }

  override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

  func pretrainedEncoder() throws -> EfficientNetLite0 {
    try loadBLAS()
    let encoder = EfficientNetLite0()
    try copyPretrainedEncoder(from: projectRoot + "/models/efficientnet-lite0", into: encoder)
    return encoder
  }

  func copyPhoto(_ name: String, to file: String) throws {
    try? FileManager.default.removeItem(atPath: folder + "/" + file)
    try FileManager.default.copyItem(atPath: photos + name + ".png", toPath: folder + "/" + file)
  }

  func testGridsAreKeptUntilTheImageOrTheEncoderChanges() throws {
    let encoder = try pretrainedEncoder()
    for (name, file) in [("shared-chelsea", "a.png"), ("shared-coffee", "b.png"), ("shared-rocket", "c.png")] {
      try copyPhoto(name, to: file)
    }
    let paths = ["a.png", "b.png", "c.png"].map { folder + "/" + $0 }
    let cache = folder + "/features.glf"
    let first = try updateFeatureCache(
      cachePath: cache, paths: paths, encoder: encoder, encoderName: "efficientnet-lite0")
    XCTAssertEqual([first.encoded, first.reused], [3, 0])

    // The cached grid is the encoder's, to F16's precision; the mean is the grid's.
    let grids = try CachedGrids(cache: FeatureCache(path: cache), paths: paths)
    let (grid, mean) = (Tensor(zeros: [1, 49, 1280]), Tensor(zeros: [1, 1280]))
    grids.copyGrids([1], grid: grid, mean: mean)
    let size = EfficientNetLite0.imageSize
    let images = Tensor(zeros: [1, 3, size, size])
    let image = try decodeImage(path: paths[1]).image.modelInput(size: size)
    for k in 0..<image.count { images.pointer[k] = (image[k] * 255).rounded() / 255 }
    encoder.forward(images: images)
    for k in stride(from: 0, to: 49 * 1280, by: 97) {
      let expected = encoder.grid.pointer[k]
      XCTAssertEqual(grid.pointer[k], expected, accuracy: 1e-3 * max(1, abs(expected)))
    }
    XCTAssertEqual(mean.pointer[5], (0..<49).reduce(0) { $0 + grid.pointer[$1 * 1280 + 5] } / 49, accuracy: 1e-5)
    XCTAssertEqual(grids.cache.gridsRead, 1)

    let again = try updateFeatureCache(
      cachePath: cache, paths: paths, encoder: encoder, encoderName: "efficientnet-lite0")
    XCTAssertEqual([again.encoded, again.reused], [0, 3])

    // b.png changes: its old grid is not served, and only it is computed again.
    try copyPhoto("shared-astronaut", to: "b.png")
    XCTAssertThrowsError(try CachedGrids(cache: FeatureCache(path: cache), paths: paths)) { error in
      XCTAssertEqual(
        "\(error)", "\(cache): has no grid for \(paths[1]) as it is now (changed or new): run glimpse features")
    }
    let changed = try updateFeatureCache(
      cachePath: cache, paths: paths, encoder: encoder, encoderName: "efficientnet-lite0")
    XCTAssertEqual([changed.encoded, changed.reused], [1, 2])
    XCTAssertNoThrow(try CachedGrids(cache: FeatureCache(path: cache), paths: paths))

    // Other weights: every grid is computed again.
    encoder.parameters[0].value.pointer[0] += 0.5
    encoder.parametersChanged()
    let other = try updateFeatureCache(
      cachePath: cache, paths: paths, encoder: encoder, encoderName: "efficientnet-lite0")
    XCTAssertEqual([other.encoded, other.reused], [3, 0])
    XCTAssertNotNil(other.replaced)
  }

  func testDamagedCacheIsAnErrorAndStaysAsItIs() throws {
    let encoder = try pretrainedEncoder()
    try copyPhoto("shared-chelsea", to: "a.png")
    let paths = [folder + "/a.png"]
    let cache = folder + "/features.glf"
    _ = try updateFeatureCache(cachePath: cache, paths: paths, encoder: encoder, encoderName: "efficientnet-lite0")
    let whole = try Data(contentsOf: URL(fileURLWithPath: cache))
    try whole.prefix(whole.count - 1000).write(to: URL(fileURLWithPath: cache))
    let entries = whole.count - 1000
    XCTAssertThrowsError(
      try updateFeatureCache(cachePath: cache, paths: paths, encoder: encoder, encoderName: "efficientnet-lite0")
    ) { error in
      XCTAssertTrue(
        "\(error)".hasPrefix("\(cache): truncated feature cache: \(entries) bytes, 1 entries need "), "\(error)")
    }
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: cache)).count, entries)
    try Data("not a cache at all".utf8).write(to: URL(fileURLWithPath: cache))
    XCTAssertThrowsError(try FeatureCache(path: cache)) { error in
      XCTAssertEqual("\(error)", "\(cache): not a feature cache (no GLFEAT01 signature)")
    }
  }
}
