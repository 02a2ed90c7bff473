import GlimpseIO
import GlimpseImage
import GlimpseTestSupport
import XCTest

final class PNGConformanceTests: XCTestCase {
  /// Every PngSuite file: `ok` ones decode to the expected RGBA within ±1 per byte, `error`
  /// ones throw an error naming the file.
  func testPngSuite() throws {
    let shared = try sharedFolder()
    let folder = shared + "/conformance/png"
    let rows = try readManifest(folder + "/manifest.tsv")
    XCTAssertEqual(rows.filter { $0["expect"] == "ok" }.count, 161)
    var passed = 0
    var refused = 0
    var failed = [String]()
    for row in rows {
      let name = row["file"]!
      let path = folder + "/pngsuite/" + name
      if row["expect"] == "error" {
        do {
          _ = try decodeImage(path: path)
          failed.append("\(name): decoded, but the manifest expects an error")
        } catch let error as FileError {
          if error.path == path && !error.reason.isEmpty { refused += 1 } else { failed.append("\(name): \(error)") }
        }
        continue
      }
      do {
        let decoded = try decodeImage(path: path)
        let expected = try readBytes(folder + "/expected/" + name.dropLast(4) + ".rgba")
        let rgba = decoded.image.rgba()
        if rgba.width != Int(row["width"]!) || rgba.height != Int(row["height"]!) {
          failed.append("\(name): size \(rgba.width)x\(rgba.height)")
        } else if decoded.info.bitDepth != Int(row["bit_depth"]!)
          || decoded.info.interlaced != (row["interlaced"] == "1")
        {
          failed.append("\(name): header \(decoded.info)")
        } else if rgba.pixels.count != expected.count || maxDifference(rgba.pixels, expected) > 1 {
          failed.append("\(name): pixels differ by up to \(maxDifference(rgba.pixels, expected))")
        } else {
          passed += 1
        }
      } catch {
        failed.append("\(name): \(error)")
      }
    }
    print("png conformance: \(passed) passed, \(failed.count) failed")
    print("png corrupt files refused with an error naming the file: \(refused) of 14")
    XCTAssertEqual(failed, [])
    XCTAssertEqual(passed, 161)
    XCTAssertEqual(refused, 14)
  }
}
