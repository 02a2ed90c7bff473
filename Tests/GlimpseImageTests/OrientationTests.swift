import GlimpseImage
import XCTest

final class OrientationTests: XCTestCase {
  // A 3×2 image with distinct pixels:  a b c
  //                                    d e f
  let image = Image(width: 3, height: 2, channels: 1, pixels: Array("abcdef".utf8))

  func rows(_ image: Image) -> [String] {
    (0..<image.height).map { y in
      String(decoding: image.pixels[(y * image.width)..<((y + 1) * image.width)], as: UTF8.self)
    }
  }

  /// The eight EXIF orientations, each written out by hand.
  func testEachOrientation() {
    XCTAssertEqual(rows(image.oriented(1)), ["abc", "def"])
    XCTAssertEqual(rows(image.oriented(2)), ["cba", "fed"])
    XCTAssertEqual(rows(image.oriented(3)), ["fed", "cba"])
    XCTAssertEqual(rows(image.oriented(4)), ["def", "abc"])
    XCTAssertEqual(rows(image.oriented(5)), ["ad", "be", "cf"])
    XCTAssertEqual(rows(image.oriented(6)), ["da", "eb", "fc"])
    XCTAssertEqual(rows(image.oriented(7)), ["fc", "eb", "da"])
    XCTAssertEqual(rows(image.oriented(8)), ["cf", "be", "ad"])
  }
}
