/// The EXIF orientation tag (0x0112) of a JPEG's APP1 segment, 1 when absent or unreadable.
/// Reads only the marker segments before the first scan; every offset is bounds-checked.
public func exifOrientation(jpeg bytes: [UInt8]) -> Int {
  var position = 2
  while position + 4 <= bytes.count {
    guard bytes[position] == 0xFF else { return 1 }
    let marker = bytes[position + 1]
    if marker == 0xFF { position += 1; continue }
    if marker == 0xDA || marker == 0xD9 { return 1 }
    let length = Int(bytes[position + 2]) << 8 | Int(bytes[position + 3])
    let start = position + 4
    let end = position + 2 + length
    guard length >= 2, end <= bytes.count else { return 1 }
    if marker == 0xE1, end - start >= 14, Array(bytes[start..<start + 6]) == Array("Exif\0\0".utf8) {
      return tiffOrientation(bytes[(start + 6)..<end]) ?? 1
    }
    position = end
  }
  return 1
}

private func tiffOrientation(_ tiff: ArraySlice<UInt8>) -> Int? {
  let base = tiff.startIndex
  let count = tiff.count
  guard count >= 8 else { return nil }
  let little: Bool
  switch (tiff[base], tiff[base + 1]) {
  case (0x49, 0x49): little = true
  case (0x4D, 0x4D): little = false
  default: return nil
  }
  func u16(_ offset: Int) -> Int? {
    guard offset >= 0, offset + 2 <= count else { return nil }
    let a = Int(tiff[base + offset]), b = Int(tiff[base + offset + 1])
    return little ? a | b << 8 : a << 8 | b
  }
  func u32(_ offset: Int) -> Int? {
    guard let low = u16(little ? offset : offset + 2), let high = u16(little ? offset + 2 : offset)
    else { return nil }
    return high << 16 | low
  }
  guard let ifd = u32(4), let entries = u16(ifd) else { return nil }
  for entry in 0..<entries {
    let at = ifd + 2 + entry * 12
    guard let tag = u16(at) else { return nil }
    if tag == 0x0112 {
      guard let value = u16(at + 8), (1...8).contains(value) else { return nil }
      return value
    }
  }
  return nil
}

extension Image {
  /// The image turned upright according to an EXIF orientation value (1...8).
  public func oriented(_ orientation: Int) -> Image {
    guard (2...8).contains(orientation) else { return self }
    let swaps = orientation >= 5
    let outWidth = swaps ? height : width
    let outHeight = swaps ? width : height
    let c = channels
    var out = [UInt8](repeating: 0, count: pixels.count)
    pixels.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        for y in 0..<outHeight {
          for x in 0..<outWidth {
            let (sx, sy): (Int, Int)
            switch orientation {
            case 2: (sx, sy) = (width - 1 - x, y)
            case 3: (sx, sy) = (width - 1 - x, height - 1 - y)
            case 4: (sx, sy) = (x, height - 1 - y)
            case 5: (sx, sy) = (y, x)
            case 6: (sx, sy) = (y, height - 1 - x)
            case 7: (sx, sy) = (width - 1 - y, height - 1 - x)
            default: (sx, sy) = (width - 1 - y, x)
            }
            let s = (sy * width + sx) * c
            let d = (y * outWidth + x) * c
            for k in 0..<c { dst[d + k] = src[s + k] }
          }
        }
      }
    }
    return Image(width: outWidth, height: outHeight, channels: c, pixels: out)
  }
}
