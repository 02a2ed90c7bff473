/// Attention maps drawn over images: a coarse map (e.g. the encoder's 8×8 grid) upsampled
/// smoothly to the picture and blended over it in a blue–green–yellow–red colour scale.

/// Bilinear upsampling of a `[rows, columns]` map to `[height, width]`, pixel centres aligned
/// as image resizing does (half-pixel offsets), edges clamped.
public func upsampleMap(_ map: [Float], rows: Int, columns: Int, width: Int, height: Int) -> [Float] {
  var out = [Float](repeating: 0, count: width * height)
  for y in 0..<height {
    let fy = min(max((Float(y) + 0.5) * Float(rows) / Float(height) - 0.5, 0), Float(rows - 1))
    let y0 = Int(fy), y1 = min(y0 + 1, rows - 1), wy = fy - Float(y0)
    for x in 0..<width {
      let fx = min(max((Float(x) + 0.5) * Float(columns) / Float(width) - 0.5, 0), Float(columns - 1))
      let x0 = Int(fx), x1 = min(x0 + 1, columns - 1), wx = fx - Float(x0)
      let top = map[y0 * columns + x0] * (1 - wx) + map[y0 * columns + x1] * wx
      let bottom = map[y1 * columns + x0] * (1 - wx) + map[y1 * columns + x1] * wx
      out[y * width + x] = top * (1 - wy) + bottom * wy
    }
  }
  return out
}

/// The colour of `t` in [0, 1]: dark blue, cyan, green, yellow, red (a jet-like scale).
public func heatColor(_ t: Float) -> (Float, Float, Float) {
  let stops: [(Float, Float, Float)] = [(0, 0, 0.6), (0, 0.7, 1), (0.1, 0.9, 0.2), (1, 0.9, 0), (0.9, 0, 0)]
  let position = min(max(t, 0), 1) * Float(stops.count - 1)
  let k = min(Int(position), stops.count - 2), f = position - Float(k)
  let (a, b) = (stops[k], stops[k + 1])
  return (a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f, a.2 + (b.2 - a.2) * f)
}

/// The RGB image (floats [H, W, 3] in [0, 1]) with the map blended over it: each pixel moves
/// towards the heat colour of its value (scaled by the map's largest) by up to 65%, so the
/// attended places glow and the rest of the picture stays visible.
public func blendHeatmap(rgb: [Float], width: Int, height: Int, map: [Float]) -> [Float] {
  let largest = max(map.max() ?? 0, 1e-12)
  var out = rgb
  for p in 0..<(width * height) {
    let t = map[p] / largest
    let color = heatColor(t)
    let opacity = 0.25 + 0.4 * t
    out[p * 3] += (color.0 - out[p * 3]) * opacity
    out[p * 3 + 1] += (color.1 - out[p * 3 + 1]) * opacity
    out[p * 3 + 2] += (color.2 - out[p * 3 + 2]) * opacity
  }
  return out
}

extension Image {
  /// RGB floats [H, W, 3] in [0, 1] for drawing, alpha composited onto white.
  public var rgbFloats: [Float] {
    let planes = rgbPlanes()
    let plane = width * height
    var out = [Float](repeating: 0, count: plane * 3)
    for p in 0..<plane { for k in 0..<3 { out[p * 3 + k] = planes[k * plane + p] } }
    return out
  }
}
