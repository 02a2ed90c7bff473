import CPNG
import GlimpseIO

private let pngColorTypes = [0: "gray", 2: "rgb", 3: "palette", 4: "gray+alpha", 6: "rgba"]

func decodePNG(_ bytes: [UInt8], maxPixels: Int) throws -> DecodedImage {
  var info = glimpse_png_info()
  let limit = UInt64(max(maxPixels, 0))
  func check(_ status: Int32) throws {
    switch Int(status) {
    case GLIMPSE_PNG_OK: return
    case GLIMPSE_PNG_TOO_LARGE: throw ImageError(cString(&info.message), exceedsPixelLimit: true)
    default: throw ImageError("invalid PNG: \(cString(&info.message))")
    }
  }
  // First the header, for the size; then the decode, straight into the Swift array.
  let pixels = try bytes.withUnsafeBufferPointer { data in
    try check(glimpse_png_decode(data.baseAddress, data.count, limit, &info, nil, 0))
    let count = Int(info.width) * Int(info.height) * Int(info.channels)
    return try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
      try check(glimpse_png_decode(data.baseAddress, data.count, limit, &info, buffer.baseAddress, count))
      initialized = count
    }
  }
  let width = Int(info.width), height = Int(info.height), channels = Int(info.channels)
  let image = Image(width: width, height: height, channels: channels, pixels: pixels)
  let summary = ImageInfo(
    format: .png, width: width, height: height, channels: channels,
    bitDepth: Int(info.bit_depth), colorType: pngColorTypes[Int(info.color_type)] ?? "unknown",
    interlaced: info.interlaced != 0)
  return DecodedImage(image: image, info: summary)
}

/// Encodes 8-bit gray, gray+alpha, RGB or RGBA pixels as PNG bytes.
public func encodePNG(_ image: Image) throws -> [UInt8] {
  var message = glimpse_png_info().message
  var output: UnsafeMutablePointer<UInt8>? = nil
  var size = 0
  let status = image.pixels.withUnsafeBufferPointer {
    glimpse_png_encode(
      $0.baseAddress, UInt32(image.width), UInt32(image.height), Int32(image.channels),
      &output, &size, &message.0)
  }
  defer { glimpse_png_free(output) }
  guard Int(status) == GLIMPSE_PNG_OK else {
    throw ImageError("cannot encode PNG: \(cString(&message))")
  }
  return Array(UnsafeBufferPointer(start: output, count: size))
}

/// Writes `image` as a PNG file, atomically.
public func writePNG(_ image: Image, to path: String) throws {
  let bytes: [UInt8]
  do {
    bytes = try encodePNG(image)
  } catch let error as ImageError {
    throw FileError(path, error.reason)
  }
  try writeFileAtomically(path, bytes)
}

/// Reads a fixed-size C `char` array (imported as a tuple) as a String.
func cString<T>(_ tuple: inout T) -> String {
  withUnsafeBytes(of: &tuple) { raw in
    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
  }
}
