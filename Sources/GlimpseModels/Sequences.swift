import GlimpseTensor

/// [B, S, X] ↔ [S, B, X]: the models keep sequences time-major inside, so each step's batch
/// rows are contiguous for its GEMM, and take and give batch-major at their edges.
func transposeBatchTime(
  _ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, outer: Int, inner: Int, width: Int
) {
  for a in 0..<outer {
    for b in 0..<inner {
      (target + (b * outer + a) * width).update(from: source + (a * inner + b) * width, count: width)
    }
  }
}

/// Token ids [B, S] reordered to time-major [S, B].
func timeMajor(_ ids: [Int32], batch: Int, steps: Int) -> [Int32] {
  var out = [Int32](repeating: 0, count: ids.count)
  for b in 0..<batch { for t in 0..<steps { out[t * batch + b] = ids[b * steps + t] } }
  return out
}
