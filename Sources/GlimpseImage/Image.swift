/// 8-bit pixels, rows top to bottom, channels interleaved: `[H, W, C]` with C = 1 (gray),
/// 2 (gray + alpha), 3 (RGB) or 4 (RGBA).
public struct Image: Equatable, Sendable {
  public var width: Int
  public var height: Int
  public var channels: Int
  public var pixels: [UInt8]

  public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
    precondition((1...4).contains(channels), "an image has 1 to 4 channels")
    precondition(pixels.count == width * height * channels, "pixel count does not match the size")
    self.width = width
    self.height = height
    self.channels = channels
    self.pixels = pixels
  }

  public var hasAlpha: Bool { channels == 2 || channels == 4 }

  /// The same pixels as RGBA: gray is repeated into R, G and B, missing alpha is 255.
  public func rgba() -> Image {
    if channels == 4 { return self }
    var out = [UInt8](repeating: 255, count: width * height * 4)
    let c = channels
    pixels.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        for p in 0..<(width * height) {
          let s = p * c
          let d = p * 4
          if c <= 2 {
            dst[d] = src[s]; dst[d + 1] = src[s]; dst[d + 2] = src[s]
            if c == 2 { dst[d + 3] = src[s + 1] }
          } else {
            dst[d] = src[s]; dst[d + 1] = src[s + 1]; dst[d + 2] = src[s + 2]
          }
        }
      }
    }
    return Image(width: width, height: height, channels: 4, pixels: out)
  }
}
