/// An RGB drawing surface of floats in [0, 1] for the figures glimpse writes: filled
/// rectangles, lines, text in the bitmap font, images pasted or blended in.
public struct Canvas: Sendable {
  public let width: Int
  public let height: Int
  public private(set) var rgb: [Float]  // [H, W, 3]

  public init(width: Int, height: Int, background: (Float, Float, Float) = (1, 1, 1)) {
    (self.width, self.height) = (width, height)
    rgb = [Float](repeating: 0, count: width * height * 3)
    fill(x: 0, y: 0, width: width, height: height, color: background)
  }

  public mutating func setPixel(x: Int, y: Int, color: (Float, Float, Float), opacity: Float = 1) {
    guard x >= 0, y >= 0, x < width, y < height else { return }
    let i = (y * width + x) * 3
    rgb[i] += (color.0 - rgb[i]) * opacity
    rgb[i + 1] += (color.1 - rgb[i + 1]) * opacity
    rgb[i + 2] += (color.2 - rgb[i + 2]) * opacity
  }

  public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, color: (Float, Float, Float)) {
    let (x0, x1, y0, y1) = (max(0, x), min(width, x + w), max(0, y), min(height, y + h))
    guard x0 < x1, y0 < y1 else { return }
    for row in y0..<y1 {
      for column in x0..<x1 { setPixel(x: column, y: row, color: color) }
    }
  }

  /// A straight line `thickness` pixels wide, stepped one pixel at a time along its longer axis.
  public mutating func line(
    from a: (Double, Double), to b: (Double, Double), color: (Float, Float, Float), thickness: Int = 1
  ) {
    let steps = max(1, Int(max(abs(b.0 - a.0), abs(b.1 - a.1)).rounded(.up)))
    for k in 0...steps {
      let t = Double(k) / Double(steps)
      let x = Int((a.0 + (b.0 - a.0) * t).rounded()), y = Int((a.1 + (b.1 - a.1) * t).rounded())
      fill(x: x - thickness / 2, y: y - thickness / 2, width: thickness, height: thickness, color: color)
    }
  }

  /// Text with its top-left corner at (x, y), each font pixel drawn as scale × scale.
  public mutating func text(_ text: String, x: Int, y: Int, color: (Float, Float, Float) = (0, 0, 0), scale: Int = 1) {
    for (index, character) in text.enumerated() {
      let left = x + index * BitmapFont.advance * scale
      for gy in 0..<BitmapFont.glyphHeight {
        for gx in 0..<BitmapFont.glyphWidth where BitmapFont.isSet(character, x: gx, y: gy) {
          fill(x: left + gx * scale, y: y + gy * scale, width: scale, height: scale, color: color)
        }
      }
    }
  }

  /// Pastes an RGB image ([H, W, 3] floats in [0, 1]) with its top-left corner at (x, y).
  public mutating func paste(_ pixels: [Float], width w: Int, height h: Int, x: Int, y: Int) {
    for row in 0..<h {
      for column in 0..<w {
        let i = (row * w + column) * 3
        setPixel(x: x + column, y: y + row, color: (pixels[i], pixels[i + 1], pixels[i + 2]))
      }
    }
  }

  /// The canvas as an 8-bit RGB image.
  public var image: Image {
    Image(width: width, height: height, channels: 3, pixels: rgb.map { UInt8((min(max($0, 0), 1) * 255).rounded()) })
  }
}
