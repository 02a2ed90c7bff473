import GlimpseIO
import GlimpseImage
import GlimpseTestSupport
import XCTest

final class JPEGConformanceTests: XCTestCase {
  /// Every JPEG variant decodes to the reference within ±1 (±3 for CMYK, which Pillow
  /// converted); 12-bit `monkey12.jpg` is refused with an error naming the file.
  func testJPEGVariants() throws {
    let shared = try sharedFolder()
    let folder = shared + "/conformance/jpeg"
    let rows = try readManifest(folder + "/manifest.tsv")
    XCTAssertEqual(rows.count, 15)
    var passed = 0
    var failed = [String]()
    for row in rows {
      let name = row["file"]!
      let path = folder + "/" + name
      if row["expect"] == "error" {
        do {
          _ = try decodeImage(path: path)
          failed.append("\(name): decoded, but the manifest expects an error")
        } catch let error as FileError {
          if error.path == path && error.reason == "invalid JPEG: Unsupported JPEG data precision 12" {
            passed += 1
          } else {
            failed.append("\(name): \(error)")
          }
        }
        continue
      }
      do {
        let decoded = try decodeImage(path: path)
        let expected = try readBytes(folder + "/expected/" + name.dropLast(4) + ".raw")
        let image = decoded.image
        let tolerance = name == "cmyk.jpg" ? 3 : 1
        if image.width != Int(row["width"]!) || image.height != Int(row["height"]!)
          || image.channels != Int(row["channels"]!)
        {
          failed.append("\(name): got \(image.width)x\(image.height)x\(image.channels)")
        } else if image.pixels.count != expected.count || maxDifference(image.pixels, expected) > tolerance {
          failed.append("\(name): pixels differ by up to \(maxDifference(image.pixels, expected))")
        } else {
          passed += 1
        }
      } catch {
        failed.append("\(name): \(error)")
      }
    }
    print("jpeg conformance: \(passed) passed, \(failed.count) failed")
    XCTAssertEqual(failed, [])
  }

  func testEXIFOrientationIsApplied() throws {
    let shared = try sharedFolder()
    let decoded = try decodeImage(path: shared + "/conformance/jpeg/exif_orientation6.jpg")
    XCTAssertEqual(decoded.info.orientation, 6)
    XCTAssertEqual([decoded.image.width, decoded.image.height], [150, 100])
  }

  func testArithmeticAndProgressiveAreReported() throws {
    let shared = try sharedFolder()
    XCTAssertTrue(try decodeImage(path: shared + "/conformance/jpeg/testimgari.jpg").info.arithmetic)
    XCTAssertTrue(try decodeImage(path: shared + "/conformance/jpeg/progressive.jpg").info.interlaced)
  }
}
