import GlimpseImage
import GlimpseIO
import XCTest

/// Every input that ever crashed a fuzz target, or made it exceed its limits, with what it
/// must give now (Fixtures/fuzz; scripts/fuzz found them).
final class FuzzRegressionTests: XCTestCase {
  func testFoundInputsAreClearErrors() throws {
    let cases = [
      // 63 bytes stating a 2 GB sPLT chunk: libpng allocated the 2 GB before reading it.
      "png-splt-2gb.png": "invalid PNG: chunk sPLT states 2063597571 bytes but only 6 are left in the file"
    ]
    let found = try FileManager.default.contentsOfDirectory(atPath: fixtures + "/fuzz").sorted()
    XCTAssertEqual(found, cases.keys.sorted(), "each committed input has its expected outcome here")
    for (name, message) in cases {
      XCTAssertThrowsError(try decodeImage(bytes: readFileBytes(fixtures + "/fuzz/" + name)), name) {
        XCTAssertEqual($0 as? ImageError, ImageError(message))
      }
    }
  }
}
