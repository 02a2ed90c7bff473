import CJPEG
import GlimpseIO

/// Encodes 8-bit gray or RGB pixels (alpha is composited onto white first) as a baseline JPEG.
public func encodeJPEG(_ image: Image, quality: Int = 95) throws -> [UInt8] {
  let opaque: Image
  switch image.channels {
  case 1, 3: opaque = image
  default:
    let planes = image.rgbPlanes()
    let plane = image.width * image.height
    var pixels = [UInt8](repeating: 0, count: plane * 3)
    for p in 0..<plane { for k in 0..<3 { pixels[p * 3 + k] = UInt8((planes[k * plane + p] * 255).rounded()) } }
    opaque = Image(width: image.width, height: image.height, channels: 3, pixels: pixels)
  }
  var message = glimpse_jpeg_info().message
  var output: UnsafeMutablePointer<UInt8>? = nil
  var size = 0
  let status = opaque.pixels.withUnsafeBufferPointer {
    glimpse_jpeg_encode(
      $0.baseAddress, UInt32(opaque.width), UInt32(opaque.height), Int32(opaque.channels),
      Int32(min(max(quality, 1), 100)), &output, &size, &message.0)
  }
  defer { glimpse_jpeg_free(output) }
  guard Int(status) == GLIMPSE_JPEG_OK else { throw ImageError("cannot encode JPEG: \(cString(&message))") }
  return Array(UnsafeBufferPointer(start: output, count: size))
}

/// Writes `image` as a JPEG file, atomically.
public func writeJPEG(_ image: Image, to path: String, quality: Int = 95) throws {
  let bytes: [UInt8]
  do {
    bytes = try encodeJPEG(image, quality: quality)
  } catch let error as ImageError {
    throw FileError(path, error.reason)
  }
  try writeFileAtomically(path, bytes)
}
