import GlimpseImage
import GlimpseTestSupport
import XCTest

final class ResizeTests: XCTestCase {
  /// The photos resized to 64×64 match Pillow's antialiased bilinear (made by
  /// scripts/make_image_fixtures.py). Pillow rounds to 8 bits after each of its two passes and
  /// decodes JPEG with its own libjpeg build, so a byte may differ by 2; on average they agree
  /// to well under one level.
  func testPhotosMatchPillowAt64() throws {
    try checkPhotosAgainstPillow(fixtureFolder: "resize64") { image in image.modelInput(size: 64).map { $0 * 255 } }
  }

  /// The same for Pillow's bicubic, resized in whole levels as Pillow's 8-bit path does.
  func testPhotosMatchPillowBicubicAt64() throws {
    try checkPhotosAgainstPillow(fixtureFolder: "resize64-bicubic") { image in
      resizePlanes(
        image.rgbPlanes().map { $0 * 255 }, channels: 3, width: image.width, height: image.height, toWidth: 64,
        toHeight: 64, filter: .bicubic, levels: 255)
    }
  }

  private func checkPhotosAgainstPillow(fixtureFolder: String, resize: (Image) -> [Float]) throws {
    let shared = try sharedFolder()
    let photos = try FileManager.default.contentsOfDirectory(atPath: shared + "/images").sorted()
    XCTAssertEqual(photos.count, 5)
    for photo in photos {
      let stem = photo.split(separator: ".").first!
      let reference = try readBytes(fixtures + "/\(fixtureFolder)/\(stem).rgb")
      let planes = resize(try decodeImage(path: shared + "/images/" + photo).image)
      XCTAssertEqual(planes.count, 3 * 64 * 64)
      var worst: Float = 0
      var total: Float = 0
      for c in 0..<3 {
        for p in 0..<(64 * 64) {
          let difference = abs(planes[c * 4096 + p] - Float(reference[p * 3 + c]))
          worst = max(worst, difference)
          total += difference
        }
      }
      let mean = total / Float(3 * 4096)
      XCTAssertLessThanOrEqual(worst, 2.5, "\(photo): worst difference \(worst) levels")
      XCTAssertLessThanOrEqual(mean, 0.5, "\(photo): mean difference \(mean) levels")
    }
  }

  /// Shrinking averages: a fine checkerboard becomes flat gray instead of aliasing.
  func testShrinkingDoesNotAlias() {
    let size = 64
    let pixels = (0..<(size * size)).map { p -> UInt8 in ((p % size + p / size) % 2 == 0) ? 255 : 0 }
    let image = Image(width: size, height: size, channels: 1, pixels: pixels)
    let planes = image.modelInput(size: 8)
    for value in planes { XCTAssertEqual(value, 0.5, accuracy: 0.02) }
  }

  func testConstantStaysConstantWhenEnlarging() {
    let image = Image(width: 3, height: 2, channels: 3, pixels: [UInt8](repeating: 51, count: 18))
    for value in image.modelInput(size: 17) { XCTAssertEqual(value, 0.2, accuracy: 1e-6) }
  }

  /// Bilinear with pixel centres at half-integers: doubling 2 pixels [0, 1] gives
  /// [0, 0.25, 0.75, 1].
  func testEnlargingInterpolatesBetweenCentres() {
    let out = resizePlanes([0, 1], channels: 1, width: 2, height: 1, toWidth: 4, toHeight: 1)
    XCTAssertEqual(out, [0, 0.25, 0.75, 1])
  }

  func testAlphaIsCompositedOntoWhite() {
    let image = Image(width: 1, height: 1, channels: 4, pixels: [0, 0, 0, 0])
    XCTAssertEqual(image.rgbPlanes(), [1, 1, 1])
    let half = Image(width: 1, height: 1, channels: 2, pixels: [0, 51])
    XCTAssertEqual(half.rgbPlanes()[0], 0.8, accuracy: 1e-6)
  }

  /// A transparent pixel's colour does not bleed into the edge when resizing with alpha.
  func testResizingKeepsOpaqueColourBesideTransparency() {
    let image = Image(width: 2, height: 1, channels: 4, pixels: [255, 0, 0, 255, 0, 255, 0, 0])
    let out = image.resized(width: 1, height: 1)
    XCTAssertEqual(Array(out.pixels.prefix(3)), [255, 0, 0])
    XCTAssertEqual(out.pixels[3], 128)
  }
}
