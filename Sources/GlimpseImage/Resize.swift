/// The resampling filters of Pillow that glimpse uses.
public enum ResampleFilter: Sendable {
  /// The triangle: what the models see (glimpse-small, the photo grid).
  case bilinear
  /// Keys' cubic with a = −0.5 (Pillow's BICUBIC): ImageNet classification's preprocessing.
  case bicubic

  var support: Double { self == .bilinear ? 1 : 2 }

  func weight(_ x: Double) -> Double {
    let x = abs(x)
    switch self {
    case .bilinear: return max(0, 1 - x)
    case .bicubic:
      let a = -0.5
      if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
      if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
      return 0
    }
  }
}

/// Resampling that stays correct when shrinking: the filter is widened by the scale factor, so
/// every source pixel contributes (Pillow's antialiased resize). Separable: one pass along x,
/// one along y.
struct ResampleWeights {
  var starts: [Int]  // first source index for each output index
  var counts: [Int]  // number of source taps
  var weights: [Float]  // [out, taps], normalised to sum 1
  var taps: Int

  init(inSize: Int, outSize: Int, filter: ResampleFilter = .bilinear) {
    let scale = Double(inSize) / Double(outSize)
    let filterScale = max(scale, 1)
    let support = filter.support * filterScale  // widened when shrinking
    taps = Int(support.rounded(.up)) * 2 + 1
    starts = [Int](repeating: 0, count: outSize)
    counts = [Int](repeating: 0, count: outSize)
    weights = [Float](repeating: 0, count: outSize * taps)
    for o in 0..<outSize {
      let center = (Double(o) + 0.5) * scale
      let first = max(Int(center - support + 0.5), 0)
      let last = min(Int(center + support + 0.5), inSize)
      var row = [Double]()
      for i in first..<last {
        row.append(filter.weight((Double(i) - center + 0.5) / filterScale))
      }
      let total = row.reduce(0, +)
      starts[o] = first
      counts[o] = row.count
      for (k, w) in row.enumerated() { weights[o * taps + k] = Float(total > 0 ? w / total : 0) }
    }
  }
}

/// Resizes planar float data `[C, inHeight, inWidth]` to `[C, outHeight, outWidth]`. With
/// `levels`, values are rounded to whole levels and clamped to 0...levels after each pass, as
/// Pillow does for 8-bit images (which matters for bicubic, whose lobes overshoot).
public func resizePlanes(
  _ planes: [Float], channels: Int, width: Int, height: Int, toWidth outWidth: Int,
  toHeight outHeight: Int, filter: ResampleFilter = .bilinear, levels: Float? = nil
) -> [Float] {
  precondition(planes.count == channels * width * height)
  let across = ResampleWeights(inSize: width, outSize: outWidth, filter: filter)
  let down = ResampleWeights(inSize: height, outSize: outHeight, filter: filter)
  var middle = [Float](repeating: 0, count: channels * height * outWidth)  // [C, inH, outW]
  var out = [Float](repeating: 0, count: channels * outHeight * outWidth)
  planes.withUnsafeBufferPointer { src in
    middle.withUnsafeMutableBufferPointer { mid in
      for c in 0..<channels {
        for y in 0..<height {
          let row = (c * height + y) * width
          let target = (c * height + y) * outWidth
          for x in 0..<outWidth {
            var sum: Float = 0
            let start = across.starts[x]
            for k in 0..<across.counts[x] {
              sum += src[row + start + k] * across.weights[x * across.taps + k]
            }
            mid[target + x] = levels.map { min(max(sum.rounded(), 0), $0) } ?? sum
          }
        }
      }
    }
  }
  middle.withUnsafeBufferPointer { mid in
    out.withUnsafeMutableBufferPointer { dst in
      for c in 0..<channels {
        for y in 0..<outHeight {
          let start = down.starts[y]
          let target = (c * outHeight + y) * outWidth
          for k in 0..<down.counts[y] {
            let w = down.weights[y * down.taps + k]
            let row = (c * height + start + k) * outWidth
            for x in 0..<outWidth { dst[target + x] += mid[row + x] * w }
          }
        }
      }
    }
  }
  if let levels {
    for i in out.indices { out[i] = min(max(out[i].rounded(), 0), levels) }
  }
  return out
}
