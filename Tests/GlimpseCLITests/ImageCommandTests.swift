import Foundation
import GlimpseTestSupport
import XCTest

final class ImageCommandTests: XCTestCase {
  func testVersionAndHelp() throws {
    let version = try runGlimpse(["--version"])
    XCTAssertEqual(version.status, 0)
    XCTAssertEqual(version.stdout, "glimpse 0.1.0\n")
    let help = try runGlimpse(["--help"])
    XCTAssertEqual(help.status, 0)
    XCTAssertTrue(help.stdout.contains("image"), help.stdout)
    let info = try runGlimpse(["image", "info", "--help"])
    XCTAssertTrue(info.stdout.contains("--max-pixels"), info.stdout)
  }

  /// Every bad file: exit 1, one line on stderr in our format, nothing from libpng/libjpeg.
  func testInfoOnEachBadFileExitsOneWithOneLine() throws {
    let shared = try sharedFolder()
    let folder = shared + "/conformance/bad"
    for name in try FileManager.default.contentsOfDirectory(atPath: folder).sorted() {
      let path = folder + "/" + name
      let result = try runGlimpse(["image", "info", path])
      XCTAssertEqual(result.status, 1, name)
      XCTAssertEqual(result.stdout, "", name)
      XCTAssertEqual(result.stderrLines.count, 1, "\(name): \(result.stderr)")
      XCTAssertTrue(result.stderr.hasPrefix("glimpse: error: \(path): "), result.stderr)
    }
  }

  func testInfoReportsHeaderFields() throws {
    let shared = try sharedFolder()
    let path = shared + "/conformance/png/pngsuite/basi3p02.png"
    let result = try runGlimpse(["image", "info", path])
    XCTAssertEqual(result.status, 0)
    XCTAssertEqual(
      result.stdout,
      "\(path): format=PNG width=32 height=32 channels=3 bit_depth=2 color_type=palette interlaced=yes\n")
    let json = try runGlimpse(["image", "info", "--json", shared + "/conformance/jpeg/exif_orientation6.jpg"])
    let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
    XCTAssertEqual(object?["width"] as? Int, 150)
    XCTAssertEqual(object?["orientation"] as? Int, 6)
  }

  /// Good files are reported even when one in the list fails; the exit code still says 1.
  func testInfoGoesOnPastAFailure() throws {
    let shared = try sharedFolder()
    let good = shared + "/conformance/jpeg/gray.jpg"
    let result = try runGlimpse(["image", "info", shared + "/conformance/bad/empty.png", good])
    XCTAssertEqual(result.status, 1)
    XCTAssertTrue(result.stdout.hasPrefix("\(good): format=JPEG"), result.stdout)
    XCTAssertEqual(result.stderrLines, ["glimpse: error: \(shared)/conformance/bad/empty.png: empty file"])
  }

  func testBadUsageExits64() throws {
    let missing = try runGlimpse(["image", "info"])
    XCTAssertEqual(missing.status, 64)
    XCTAssertTrue(missing.stderr.hasPrefix("glimpse: error: "), missing.stderr)
    let size = try runGlimpse(["image", "convert", "a.png", "b.png", "--size", "0"])
    XCTAssertEqual(size.status, 64)
    XCTAssertTrue(size.stderr.hasPrefix("glimpse: error: --size must be between 1 and 16384"), size.stderr)
  }

  func testConvertResizesAndWritesPNG() throws {
    let shared = try sharedFolder()
    let folder = NSTemporaryDirectory() + "glimpse-cli-\(getpid())"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let output = folder + "/rocket64.png"
    let convert = try runGlimpse(["image", "convert", shared + "/images/rocket.jpg", output, "--size", "64"])
    XCTAssertEqual(convert.status, 0, convert.stderr)
    let info = try runGlimpse(["image", "info", output])
    XCTAssertEqual(
      info.stdout, "\(output): format=PNG width=64 height=64 channels=3 bit_depth=8 color_type=rgb interlaced=no\n")
  }

  func testConvertOfABadFileWritesNothing() throws {
    let shared = try sharedFolder()
    let folder = NSTemporaryDirectory() + "glimpse-cli-bad-\(getpid())"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let result = try runGlimpse([
      "image", "convert", shared + "/conformance/bad/truncated_half.png", folder + "/out.png",
    ])
    XCTAssertEqual(result.status, 1)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), [])
  }
}

final class PixelLimitTests: XCTestCase {
  /// A header claiming 100000×100000 is refused before any pixel buffer exists: under a 50 MB
  /// address-space limit glimpse still gives exactly the pixel-limit error (a pixel buffer
  /// allocated first would fail with another message, or crash). Peak RSS cannot be measured
  /// from here: Linux carries the test process's own peak into its children across exec.
  func testHugeDimensionsAreRefusedWithoutALargeAllocation() throws {
    let shared = try sharedFolder()
    let path = shared + "/conformance/bad/huge_dimensions.png"
    let result = try runGlimpse(["image", "info", path], addressSpaceKiB: 50 * 1000)
    XCTAssertEqual(result.status, 1)
    XCTAssertEqual(
      result.stderrLines,
      ["glimpse: error: \(path): image is 100000x100000, more than the limit of 64000000 pixels"])
    let photo = try runGlimpse(["image", "info", shared + "/images/astronaut.png"], addressSpaceKiB: 50 * 1000)
    XCTAssertEqual(photo.status, 0, "a real photo decodes within the same limit: \(photo.stderr)")
  }
}

final class MemoryLimitTests: XCTestCase {
  /// Under an address-space limit too small for OpenBLAS's work buffers, a command that needs
  /// BLAS says so and exits 1, instead of hanging in OpenBLAS's endless mmap retries.
  func testTooLittleAddressSpaceForBLASIsAClearError() throws {
    let result = try runGlimpse(["bench", "kernels", "--repeats", "1", "--batch", "1"], addressSpaceKiB: 100 * 1024)
    XCTAssertEqual(result.status, 1)
    XCTAssertEqual(
      result.stderrLines,
      ["glimpse: error: the address-space limit (ulimit -v) is 100 MiB; OpenBLAS needs at least 512 MiB"])
  }
}
