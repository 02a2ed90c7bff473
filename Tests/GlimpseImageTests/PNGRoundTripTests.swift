import GlimpseIO
import GlimpseImage
import XCTest

final class PNGRoundTripTests: XCTestCase {
  /// Encode then decode gives back the same bytes for every channel count and odd sizes.
  func testRoundTripIsExact() throws {
    var generator = SplitMix64(seed: 7)
    for channels in 1...4 {
      for (width, height) in [(1, 1), (3, 7), (257, 129)] {
        let pixels = (0..<(width * height * channels)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        let image = Image(width: width, height: height, channels: channels, pixels: pixels)
        let decoded = try decodeImage(bytes: try encodePNG(image))
        XCTAssertEqual(decoded.image, image, "\(channels) channels, \(width)x\(height)")
        XCTAssertEqual(decoded.info.format, .png)
        XCTAssertEqual(decoded.info.bitDepth, 8)
      }
    }
  }

  func testWritePNGIsAtomicAndLeavesNoTemporaryFile() throws {
    let folder = NSTemporaryDirectory() + "glimpse-png-\(getpid())"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/out.png"
    let first = Image(width: 2, height: 1, channels: 3, pixels: [1, 2, 3, 4, 5, 6])
    try writePNG(first, to: path)
    let second = Image(width: 1, height: 1, channels: 1, pixels: [9])
    try writePNG(second, to: path)
    XCTAssertEqual(try decodeImage(path: path).image, second)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["out.png"])
  }

  func testWritingIntoAMissingFolderFailsNamingTheFile() {
    let image = Image(width: 1, height: 1, channels: 1, pixels: [0])
    XCTAssertThrowsError(try writePNG(image, to: "/nonexistent-folder/out.png")) { error in
      XCTAssertEqual(
        error as? FileError,
        FileError("/nonexistent-folder/out.png", "cannot create a temporary file: no such file or directory"))
    }
  }
}

/// A small deterministic generator for test data.
struct SplitMix64 {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
