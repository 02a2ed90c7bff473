/// A weight matrix [N, K] held as float16, for products that stream their weights once per
/// use: a decoding step for one image reads each weight for one multiply-add, so it is bound by
/// the bytes it moves, and half the bytes take about half the time (and can stay in the cache).
/// Made only from weights that float16 holds exactly (a model shipped as F16), so that the
/// products equal the float32 ones but for the order of the sums.
public final class HalfMatrix: @unchecked Sendable {
  public let rows: Int
  public let columns: Int
  public let base: UnsafeMutablePointer<Float16>

  /// The matrix of `rows` rows of `columns` floats at `source`, `stride` floats apart; nil
  /// unless every value converts to float16 and back unchanged.
  public init?(_ source: UnsafePointer<Float>, rows: Int, columns: Int, stride: Int) {
    precondition(rows > 0 && columns > 0 && stride >= columns)
    for r in 0..<rows {
      for c in 0..<columns where Float(Float16(source[r * stride + c])) != source[r * stride + c] { return nil }
    }
    (self.rows, self.columns) = (rows, columns)
    base = .allocate(capacity: rows * columns)
    for r in 0..<rows {
      for c in 0..<columns { base[r * columns + c] = Float16(source[r * stride + c]) }
    }
  }

  /// The whole of a 2-D tensor [N, K].
  public convenience init?(_ tensor: Tensor) {
    precondition(tensor.rank == 2)
    self.init(tensor.pointer, rows: tensor.size(0), columns: tensor.size(1), stride: tensor.size(1))
  }

  deinit { base.deallocate() }
}

/// out[r, j] = beta·out[r, j] + Σ_k x[r, k]·W[j, k] for the rows r < m of x [m, K] (stride
/// ldx) and the columns j in `columns` of W [N, K]: few rows times a float16 weight, with
/// sixteen-wide fused multiply-adds in float32 (the conversion is one instruction with F16C).
/// Each weight is loaded once for up to three rows.
public func halfProduct(
  x: UnsafePointer<Float>, ldx: Int, m: Int, weight: HalfMatrix, columns: Range<Int>, beta: Float,
  out: UnsafeMutablePointer<Float>, ldo: Int
) {
  let k = weight.columns
  let whole = k / 16 * 16
  @inline(__always) func weights(_ row: UnsafePointer<Float16>, _ i: Int) -> SIMD16<Float> {
    SIMD16<Float>(UnsafeRawPointer(row + i).loadUnaligned(as: SIMD16<Float16>.self))
  }
  @inline(__always) func inputs(_ r: Int, _ i: Int) -> SIMD16<Float> {
    UnsafeRawPointer(x + r * ldx + i).loadUnaligned(as: SIMD16<Float>.self)
  }
  @inline(__always) func store(_ r: Int, _ j: Int, _ total: Float) {
    let target = out + r * ldo + j
    target.pointee = beta == 0 ? total : beta * target.pointee + total
  }
  @inline(__always) func tail(_ r: Int, _ row: UnsafePointer<Float16>) -> Float {
    var total: Float = 0
    for i in whole..<k { total += Float(row[i]) * x[r * ldx + i] }
    return total
  }
  for j in columns {
    let row = UnsafePointer(weight.base + j * k)
    var first = 0
    while first < m {
      let rows = min(3, m - first)
      var (sum0, sum1, sum2) = (SIMD16<Float>(repeating: 0), SIMD16<Float>(repeating: 0), SIMD16<Float>(repeating: 0))
      var i = 0
      if rows == 1 {
        // Two chains of multiply-adds for one row, so that each waits on the other's latency.
        while i + 32 <= whole {
          sum0 = sum0.addingProduct(weights(row, i), inputs(first, i))
          sum1 = sum1.addingProduct(weights(row, i + 16), inputs(first, i + 16))
          i += 32
        }
      }
      while i < whole {
        let w = weights(row, i)
        sum0 = sum0.addingProduct(w, inputs(first, i))
        if rows > 1 { sum1 = sum1.addingProduct(w, inputs(first + 1, i)) }
        if rows > 2 { sum2 = sum2.addingProduct(w, inputs(first + 2, i)) }
        i += 16
      }
      if rows == 1 {
        store(first, j, (sum0 + sum1).sum() + tail(first, row))
      } else {
        store(first, j, sum0.sum() + tail(first, row))
        store(first + 1, j, sum1.sum() + tail(first + 1, row))
        if rows > 2 { store(first + 2, j, sum2.sum() + tail(first + 2, row)) }
      }
      first += rows
    }
  }
}

/// The same in plain loops with double accumulation: the reference `halfProduct` is tested against.
public func halfProductPlain(
  x: UnsafePointer<Float>, ldx: Int, m: Int, weight: HalfMatrix, columns: Range<Int>, beta: Float,
  out: UnsafeMutablePointer<Float>, ldo: Int
) {
  for j in columns {
    for r in 0..<m {
      var sum = 0.0
      for i in 0..<weight.columns { sum += Double(x[r * ldx + i]) * Double(Float(weight.base[j * weight.columns + i])) }
      let target = out + r * ldo + j
      target.pointee = beta == 0 ? Float(sum) : beta * target.pointee + Float(sum)
    }
  }
}
