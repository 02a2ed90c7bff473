import Foundation
import GlimpseIO
import GlimpseTensor
import XCTest

let tensorFixtures: String = {
  var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
  parts.removeLast()
  return parts.joined(separator: "/") + "/Fixtures"
}()

final class SafeTensorsTests: XCTestCase {
  /// The tensors of the Swift-written fixtures; scripts/safetensors_interop.py checks the same values.
  let swiftTensors: [(name: String, tensor: Tensor)] = [
    ("decoder.out.weight", Tensor(shape: [3, 2], values: (0..<6).map { Float($0) * 0.25 - 0.5 })),
    ("decoder.out.bias", Tensor(shape: [3], values: [0.1, -2, 1000])),
  ]
  let swiftMetadata = [("producer", "glimpse"), ("format", "pt")]

  func testReadsWhatPythonWrote() throws {
    let contents = try readSafeTensors(path: tensorFixtures + "/python_written.safetensors")
    XCTAssertEqual(contents.dtypes, ["a": .f32, "b": .f16, "c": .bf16])
    XCTAssertEqual(contents.tensor("a")?.shape, [2, 3])
    XCTAssertEqual(contents.tensor("a")!.values, (0..<6).map { Float($0) / 7 })
    XCTAssertEqual(contents.tensor("b")!.values, [0.5, -1.25, 65504, Float(Float16(1e-4))])
    XCTAssertEqual(contents.tensor("c")!.values, [1.5, -2, 3.140625, 0])
    XCTAssertEqual(contents.metadata.map { "\($0)=\($1)" }.sorted(), ["format=pt", "note=written by safetensors"])
  }

  /// The committed Swift-written fixtures are what the encoder writes today (so the Python
  /// check of them stays meaningful). GLIMPSE_UPDATE_FIXTURES=1 rewrites them instead.
  func testSwiftWrittenFixturesAreCurrent() throws {
    for (file, dtype) in [("swift_written.safetensors", SafeTensorsDType.f32), ("swift_written_f16.safetensors", .f16)]
    {
      let path = tensorFixtures + "/" + file
      let bytes = encodeSafeTensors(swiftTensors, metadata: swiftMetadata, dtype: dtype)
      if ProcessInfo.processInfo.environment["GLIMPSE_UPDATE_FIXTURES"] != nil {
        try writeFileAtomically(path, bytes)
      }
      XCTAssertEqual(try readFileBytes(path), bytes, file)
    }
  }

  func testRoundTripF32IsExactAndF16IsClose() throws {
    let f32 = try readSafeTensors(bytes: encodeSafeTensors(swiftTensors, metadata: swiftMetadata))
    XCTAssertEqual(f32.tensors.map(\.name), swiftTensors.map(\.name))
    XCTAssertEqual(f32.tensor("decoder.out.bias")!.values, [0.1, -2, 1000])
    XCTAssertEqual(f32.metadata.map(\.0), ["producer", "format"])
    let f16 = try readSafeTensors(bytes: encodeSafeTensors(swiftTensors, dtype: .f16))
    XCTAssertEqual(f16.dtypes["decoder.out.bias"], .f16)
    XCTAssertEqual(f16.tensor("decoder.out.bias")!.values[0], 0.1, accuracy: 1e-4)
  }

  /// A valid two-tensor file whose header the malformed variants below rewrite.
  func file(header: String, data: Int = 24) -> [UInt8] {
    var bytes = [UInt8]()
    let h = Array(header.utf8)
    for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: h.count >> (8 * i))) }
    return bytes + h + [UInt8](repeating: 0, count: data)
  }

  func assertRefused(_ bytes: [UInt8], _ reason: String, line: UInt = #line) {
    XCTAssertThrowsError(try readSafeTensors(bytes: bytes), line: line) { error in
      XCTAssertEqual(error as? SafeTensorsError, SafeTensorsError(reason), line: line)
    }
  }

  func testEachMalformedVariantHasItsOwnError() {
    let good =
      #"{"x":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"#
      + #""y":{"dtype":"F16","shape":[4],"data_offsets":[16,24]}}"#
    XCTAssertNoThrow(try readSafeTensors(bytes: file(header: good)))
    assertRefused([1, 2, 3], "file is 3 bytes, too short for the 8-byte header length")
    var long = file(header: good)
    long[0] = 0xFF; long[1] = 0xFF
    assertRefused(long, "header length 65535 runs past the end of the file (144 bytes)")
    var huge = file(header: good)
    huge[4] = 1
    assertRefused(huge, "header length 4294967408 is over the limit of 100000000 bytes")
    assertRefused(
      file(header: #"{"x":{"dtype":"F32","#), "header is not valid JSON: unexpected end of text in an object at byte 20"
    )
    assertRefused(file(header: "[1,2]"), "header is not a JSON object")
    assertRefused(
      file(header: good, data: 20), "tensor 'y': data_offsets [16, 24] run past the end of the data (20 bytes)")
    assertRefused(
      file(
        header:
          #"{"x":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"#
          + #""y":{"dtype":"F16","shape":[4],"data_offsets":[8,16]}}"#
      ),
      "tensors 'x' and 'y' overlap")
    assertRefused(
      file(header: #"{"x":{"dtype":"F32","shape":[3,2],"data_offsets":[0,16]}}"#),
      "tensor 'x': shape [3, 2] of F32 needs 24 bytes but data_offsets [0, 16] span 16")
    assertRefused(
      file(header: #"{"x":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}"#),
      "tensor 'x': unsupported dtype I64 (F32, F16 and BF16 are read)")
    assertRefused(file(header: #"{"x":{"shape":[2],"data_offsets":[0,8]}}"#), "tensor 'x': missing dtype")
    assertRefused(file(header: #"{"__metadata__":{"a":1}}"#), "__metadata__ must map strings to strings")
  }

  func testTruncatedFileNamesTheFile() throws {
    let folder = NSTemporaryDirectory() + "glimpse-st-\(getpid())"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/model.safetensors"
    let whole = encodeSafeTensors(swiftTensors)
    try writeFileAtomically(path, whole.prefix(whole.count - 10))
    XCTAssertThrowsError(try readSafeTensors(path: path)) { error in
      XCTAssertEqual(
        error as? FileError,
        FileError(path, "tensor 'decoder.out.bias': data_offsets [24, 36] run past the end of the data (26 bytes)"))
    }
  }
}
