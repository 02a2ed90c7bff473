import CJPEG

private let jpegColorTypes: [Int: String] = [
  GLIMPSE_JPEG_GRAY: "gray", GLIMPSE_JPEG_RGB: "rgb",
  GLIMPSE_JPEG_YCBCR: "ycbcr", GLIMPSE_JPEG_CMYK: "cmyk",
  GLIMPSE_JPEG_YCCK: "ycck",
]

func decodeJPEG(_ bytes: [UInt8], maxPixels: Int) throws -> DecodedImage {
  var info = glimpse_jpeg_info()
  var pixels: UnsafeMutablePointer<UInt8>? = nil
  let status = bytes.withUnsafeBufferPointer {
    glimpse_jpeg_decode($0.baseAddress, $0.count, UInt64(max(maxPixels, 0)), &info, &pixels)
  }
  defer { glimpse_jpeg_free(pixels) }
  let message = cString(&info.message)
  switch Int(status) {
  case GLIMPSE_JPEG_OK: break
  case GLIMPSE_JPEG_TOO_LARGE: throw ImageError(message)
  default: throw ImageError("invalid JPEG: \(message)")
  }
  let width = Int(info.width), height = Int(info.height), channels = Int(info.channels)
  let stored = Image(
    width: width, height: height, channels: channels,
    pixels: Array(UnsafeBufferPointer(start: pixels, count: width * height * channels)))
  let orientation = exifOrientation(jpeg: bytes)
  let image = stored.oriented(orientation)
  let summary = ImageInfo(
    format: .jpeg, width: image.width, height: image.height, channels: channels,
    bitDepth: Int(info.precision), colorType: jpegColorTypes[Int(info.color_space)] ?? "unknown",
    interlaced: info.progressive != 0, arithmetic: info.arithmetic != 0,
    orientation: orientation)
  return DecodedImage(image: image, info: summary)
}
