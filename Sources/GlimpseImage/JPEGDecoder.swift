import CJPEG

private let jpegColorTypes: [Int: String] = [
  GLIMPSE_JPEG_GRAY: "gray", GLIMPSE_JPEG_RGB: "rgb",
  GLIMPSE_JPEG_YCBCR: "ycbcr", GLIMPSE_JPEG_CMYK: "cmyk",
  GLIMPSE_JPEG_YCCK: "ycck",
]

func decodeJPEG(_ bytes: [UInt8], maxPixels: Int) throws -> DecodedImage {
  var info = glimpse_jpeg_info()
  let limit = UInt64(max(maxPixels, 0))
  func check(_ status: Int32) throws {
    switch Int(status) {
    case GLIMPSE_JPEG_OK: return
    case GLIMPSE_JPEG_TOO_LARGE: throw ImageError(cString(&info.message), exceedsPixelLimit: true)
    default: throw ImageError("invalid JPEG: \(cString(&info.message))")
    }
  }
  // First the header, for the size; then the decode, straight into the Swift array.
  let pixels = try bytes.withUnsafeBufferPointer { data in
    try check(glimpse_jpeg_decode(data.baseAddress, data.count, limit, &info, nil, 0))
    let count = Int(info.width) * Int(info.height) * Int(info.channels)
    return try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
      try check(glimpse_jpeg_decode(data.baseAddress, data.count, limit, &info, buffer.baseAddress, count))
      initialized = count
    }
  }
  let stored = Image(
    width: Int(info.width), height: Int(info.height), channels: Int(info.channels), pixels: pixels)
  let orientation = exifOrientation(jpeg: bytes)
  let image = stored.oriented(orientation)
  let summary = ImageInfo(
    format: .jpeg, width: image.width, height: image.height, channels: image.channels,
    bitDepth: Int(info.precision), colorType: jpegColorTypes[Int(info.color_space)] ?? "unknown",
    interlaced: info.progressive != 0, arithmetic: info.arithmetic != 0,
    orientation: orientation)
  return DecodedImage(image: image, info: summary)
}
