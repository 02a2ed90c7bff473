/// Bilinear resampling that stays correct when shrinking: the triangle filter is widened by the
/// scale factor, so every source pixel contributes (the antialiased bilinear of Pillow).
/// Separable: one pass along x, one along y.
struct ResampleWeights {
  var starts: [Int]  // first source index for each output index
  var counts: [Int]  // number of source taps
  var weights: [Float]  // [out, taps], normalised to sum 1
  var taps: Int

  init(inSize: Int, outSize: Int) {
    let scale = Double(inSize) / Double(outSize)
    let filterScale = max(scale, 1)
    let support = filterScale  // the triangle's support of 1, widened when shrinking
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
        let distance = abs((Double(i) - center + 0.5) / filterScale)
        row.append(max(0, 1 - distance))
      }
      let total = row.reduce(0, +)
      starts[o] = first
      counts[o] = row.count
      for (k, w) in row.enumerated() { weights[o * taps + k] = Float(total > 0 ? w / total : 0) }
    }
  }
}

/// Resizes planar float data `[C, inHeight, inWidth]` to `[C, outHeight, outWidth]`.
public func resizePlanes(
  _ planes: [Float], channels: Int, width: Int, height: Int, toWidth outWidth: Int,
  toHeight outHeight: Int
) -> [Float] {
  precondition(planes.count == channels * width * height)
  let across = ResampleWeights(inSize: width, outSize: outWidth)
  let down = ResampleWeights(inSize: height, outSize: outHeight)
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
            mid[target + x] = sum
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
  return out
}
