import GlimpseIO
import GlimpseImage
import GlimpseTestSupport
import XCTest

final class BadInputTests: XCTestCase {
  /// Each file in conformance/bad gives exactly this error, naming the file.
  func testBadCorpusErrors() throws {
    let shared = try sharedFolder()
    let expected = [
      "empty.jpg": "empty file",
      "empty.png": "empty file",
      "garbage_after_soi.jpg": "invalid JPEG: Premature end of JPEG file",
      "huge_dimensions.png": "image is 100000x100000, more than the limit of 64000000 pixels",
      "short_idat.png": "invalid PNG: Not enough image data",
      "signature_only.png": "invalid PNG: unexpected end of file",
      "text.png": "not a PNG or JPEG image (starts with bytes 68 65 6c 6c)",
      "truncated_half.jpg": "invalid JPEG: Premature end of JPEG file",
      "truncated_half.png": "invalid PNG: unexpected end of file",
      "truncated_header.jpg": "invalid JPEG: Premature end of JPEG file",
      "zero_width.png": "invalid PNG: Invalid IHDR data",
    ]
    let files = try FileManager.default.contentsOfDirectory(atPath: shared + "/conformance/bad")
    XCTAssertEqual(Set(files), Set(expected.keys), "the bad corpus changed; list each file's error here")
    for name in files.sorted() {
      let path = shared + "/conformance/bad/" + name
      XCTAssertThrowsError(try decodeImage(path: path), name) { error in
        XCTAssertEqual(error as? FileError, FileError(path, expected[name] ?? "?"))
      }
    }
  }

  func testPixelLimitIsConfigurable() throws {
    let shared = try sharedFolder()
    let path = shared + "/conformance/png/pngsuite/basn2c08.png"
    XCTAssertThrowsError(try decodeImage(path: path, maxPixels: 1023)) { error in
      XCTAssertEqual(error as? FileError, FileError(path, "image is 32x32, more than the limit of 1023 pixels"))
    }
    XCTAssertEqual(try decodeImage(path: path, maxPixels: 1024).image.width, 32)
  }

  func testDamagedPNGSignatureIsNamed() throws {
    let shared = try sharedFolder()
    let path = shared + "/conformance/png/pngsuite/xcrn0g04.png"
    XCTAssertThrowsError(try decodeImage(path: path)) { error in
      XCTAssertEqual(
        error as? FileError,
        FileError(path, "damaged PNG signature (89 50 4e 47 0d 0d 1a 0d, expected 89 50 4e 47 0d 0a 1a 0a)"))
    }
  }

  func testMissingFile() {
    XCTAssertThrowsError(try decodeImage(path: "/nonexistent/cat.png")) { error in
      XCTAssertEqual(error as? FileError, FileError("/nonexistent/cat.png", "no such file or directory"))
    }
  }

  /// Files named with the other format's extension decode by content.
  func testWrongExtensionsDecodeByContent() throws {
    let shared = try sharedFolder()
    let png = try decodeImage(path: shared + "/conformance/png_named.jpg")
    XCTAssertEqual(png.info.format, .png)
    let pngExpected = try readBytes(shared + "/conformance/png/expected/basn2c08.rgba")
    XCTAssertLessThanOrEqual(maxDifference(png.image.rgba().pixels, pngExpected), 1)
    XCTAssertEqual(png.image.rgba().pixels.count, pngExpected.count)

    let jpeg = try decodeImage(path: shared + "/conformance/jpeg_named.png")
    XCTAssertEqual(jpeg.info.format, .jpeg)
    let jpegExpected = try readBytes(shared + "/conformance/jpeg/expected/baseline420.raw")
    XCTAssertEqual(jpeg.image.pixels.count, jpegExpected.count)
    XCTAssertLessThanOrEqual(maxDifference(jpeg.image.pixels, jpegExpected), 1)
  }
}
