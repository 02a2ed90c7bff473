extension Image {
  /// RGB planes `[3, H, W]` in [0, 1], any alpha composited onto white.
  public func rgbPlanes() -> [Float] {
    let plane = width * height
    var out = [Float](repeating: 0, count: 3 * plane)
    let c = channels
    pixels.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        for p in 0..<plane {
          let s = p * c
          let alpha: Float = hasAlpha ? Float(src[s + c - 1]) / 255 : 1
          for k in 0..<3 {
            let value = Float(src[s + (c <= 2 ? 0 : k)]) / 255
            dst[k * plane + p] = value * alpha + (1 - alpha)
          }
        }
      }
    }
    return out
  }

  /// The model's input: RGB composited onto white, resized to `size`×`size` with antialiased
  /// bilinear, as float `[3, size, size]` in [0, 1].
  public func modelInput(size: Int) -> [Float] {
    let planes = rgbPlanes()
    if width == size && height == size { return planes }
    return resizePlanes(
      planes, channels: 3, width: width, height: height, toWidth: size, toHeight: size)
  }

  /// ImageNet classification's input: RGB composited onto white, the short side resized to
  /// `shortSide` with Pillow's bicubic (whole levels after each pass, as Pillow's 8-bit resize),
  /// then the centre `crop`×`crop`, as float `[3, crop, crop]` in [0, 1].
  public func classificationInput(shortSide: Int = 256, crop: Int = 224) -> [Float] {
    let scale = Double(shortSide) / Double(min(width, height))
    let outWidth = max(shortSide, Int((Double(width) * scale).rounded()))
    let outHeight = max(shortSide, Int((Double(height) * scale).rounded()))
    let levels = rgbPlanes().map { $0 * 255 }
    let resized = resizePlanes(
      levels, channels: 3, width: width, height: height, toWidth: outWidth, toHeight: outHeight, filter: .bicubic,
      levels: 255)
    let (left, top) = ((outWidth - crop) / 2, (outHeight - crop) / 2)
    var out = [Float](repeating: 0, count: 3 * crop * crop)
    for c in 0..<3 {
      for y in 0..<crop {
        for x in 0..<crop {
          out[(c * crop + y) * crop + x] = resized[(c * outHeight + top + y) * outWidth + left + x] / 255
        }
      }
    }
    return out
  }

  /// The image resized with antialiased bilinear, keeping its channels. Alpha is resampled
  /// premultiplied, so transparent pixels don't bleed their colour into the edges.
  public func resized(width outWidth: Int, height outHeight: Int) -> Image {
    let plane = width * height
    let c = channels
    var planes = [Float](repeating: 0, count: c * plane)
    for p in 0..<plane {
      let alpha: Float = hasAlpha ? Float(pixels[p * c + c - 1]) : 255
      for k in 0..<c {
        let value = Float(pixels[p * c + k])
        planes[k * plane + p] = (hasAlpha && k < c - 1) ? value * alpha / 255 : value
      }
    }
    let scaled = resizePlanes(
      planes, channels: c, width: width, height: height, toWidth: outWidth, toHeight: outHeight)
    let outPlane = outWidth * outHeight
    var out = [UInt8](repeating: 0, count: c * outPlane)
    for p in 0..<outPlane {
      let alpha = hasAlpha ? scaled[(c - 1) * outPlane + p] : 255
      for k in 0..<c {
        var value = scaled[k * outPlane + p]
        if hasAlpha && k < c - 1 { value = alpha > 0 ? value * 255 / alpha : 0 }
        out[p * c + k] = UInt8(max(0, min(255, value.rounded())))
      }
    }
    return Image(width: outWidth, height: outHeight, channels: c, pixels: out)
  }
}
