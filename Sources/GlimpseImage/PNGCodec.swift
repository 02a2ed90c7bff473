import CPNG
import GlimpseIO

private let pngColorTypes = [0: "gray", 2: "rgb", 3: "palette", 4: "gray+alpha", 6: "rgba"]

func decodePNG(_ bytes: [UInt8], maxPixels: Int) throws -> DecodedImage {
  var info = glimpse_png_info()
  var pixels: UnsafeMutablePointer<UInt8>? = nil
  let status = bytes.withUnsafeBufferPointer {
    glimpse_png_decode($0.baseAddress, $0.count, UInt64(max(maxPixels, 0)), &info, &pixels)
  }
  defer { glimpse_png_free(pixels) }
  let message = cString(&info.message)
  switch Int(status) {
  case GLIMPSE_PNG_OK: break
  case GLIMPSE_PNG_TOO_LARGE: throw ImageError(message)
  default: throw ImageError("invalid PNG: \(message)")
  }
  let width = Int(info.width), height = Int(info.height), channels = Int(info.channels)
  let image = Image(
    width: width, height: height, channels: channels,
    pixels: Array(UnsafeBufferPointer(start: pixels, count: width * height * channels)))
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
