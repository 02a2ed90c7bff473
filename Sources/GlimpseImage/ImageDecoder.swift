import GlimpseIO

/// The default limit on width × height, checked from the header before pixels are allocated.
public let defaultMaxPixels = 64_000_000

/// Decodes a PNG or JPEG held in memory, told apart by content.
public func decodeImage(bytes: [UInt8], maxPixels: Int = defaultMaxPixels) throws -> DecodedImage {
  if bytes.isEmpty { throw ImageError("empty file") }
  switch ImageFormat.detect(bytes) {
  case .png: return try decodePNG(bytes, maxPixels: maxPixels)
  case .jpeg: return try decodeJPEG(bytes, maxPixels: maxPixels)
  case nil where ImageFormat.looksLikeDamagedPNG(bytes):
    let head = bytes.prefix(8).map { String($0, radix: 16).zeroPadded(2) }.joined(separator: " ")
    throw ImageError("damaged PNG signature (\(head), expected 89 50 4e 47 0d 0a 1a 0a)")
  case nil:
    let head = bytes.prefix(4).map { String($0, radix: 16).zeroPadded(2) }.joined(separator: " ")
    throw ImageError("not a PNG or JPEG image (starts with bytes \(head))")
  }
}

/// Decodes the image file at `path`; every failure is a `FileError` naming the file.
public func decodeImage(path: String, maxPixels: Int = defaultMaxPixels) throws -> DecodedImage {
  let bytes = try readFileBytes(path)
  do {
    return try decodeImage(bytes: bytes, maxPixels: maxPixels)
  } catch let error as ImageError {
    throw FileError(path, error.reason)
  }
}
