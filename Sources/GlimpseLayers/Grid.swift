import GlimpseTensor

/// The encoder's feature map [B, D, L] (NCHW with L = H·W) read as the attention grid
/// grid[B, L, D] (location i = row·W + col), and its mean over locations v[B, D].
public func gridForward(grid: Tensor, mean: Tensor, featureMap: Tensor, batch: Int, channels: Int, locations: Int) {
  precondition(
    featureMap.count == batch * channels * locations && grid.count == featureMap.count && mean.count == batch * channels
  )
  let scale = 1 / Float(locations)
  for b in 0..<batch {
    let source = featureMap.pointer + b * channels * locations
    let target = grid.pointer + b * locations * channels
    for d in 0..<channels {
      var sum: Float = 0
      for l in 0..<locations {
        let value = source[d * locations + l]
        target[l * channels + d] = value
        sum += value
      }
      mean.pointer[b * channels + d] = sum * scale
    }
  }
}

/// The mean over the locations of `rows` grids [rows, L, D], into mean [rows, D].
public func gridMean(
  _ grid: UnsafePointer<Float>, into mean: UnsafeMutablePointer<Float>, rows: Int, locations: Int,
  features: Int
) {
  for row in 0..<rows {
    let (source, average) = (grid + row * locations * features, mean + row * features)
    average.update(repeating: 0, count: features)
    for location in 0..<locations {
      for f in 0..<features { average[f] += source[location * features + f] }
    }
    for f in 0..<features { average[f] /= Float(locations) }
  }
}

/// dfeatureMap[B, D, L] += dgridᵀ + dmean / L.
public func gridBackward(dfeatureMap: Tensor, dgrid: Tensor?, dmean: Tensor?, batch: Int, channels: Int, locations: Int)
{
  let scale = 1 / Float(locations)
  for b in 0..<batch {
    let target = dfeatureMap.pointer + b * channels * locations
    for d in 0..<channels {
      let shared = dmean.map { $0.pointer[b * channels + d] * scale } ?? 0
      for l in 0..<locations {
        var g = shared
        if let dgrid { g += dgrid.pointer[(b * locations + l) * channels + d] }
        target[d * locations + l] += g
      }
    }
  }
}
