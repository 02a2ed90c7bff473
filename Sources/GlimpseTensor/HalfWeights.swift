import CKernels

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
    let copy = UnsafeMutablePointer<Float16>.allocate(capacity: rows * columns)
    for r in 0..<rows {
      for c in 0..<columns {
        let half = Float16(source[r * stride + c])
        guard Float(half) == source[r * stride + c] else {
          copy.deallocate()  // before any stored property is set, so deinit does not run
          return nil
        }
        copy[r * columns + c] = half
      }
    }
    (self.rows, self.columns, base) = (rows, columns, copy)
  }

  /// The whole of a 2-D tensor [N, K].
  public convenience init?(_ tensor: Tensor) {
    precondition(tensor.rank == 2)
    self.init(tensor.pointer, rows: tensor.size(0), columns: tensor.size(1), stride: tensor.size(1))
  }

  deinit { base.deallocate() }
}

/// out[r, j] = beta·out[r, j] + Σ_k x[r, k]·W[j, k] for the rows r < m of x [m, K] (stride
/// ldx) and the columns j in `columns` of W [N, K]: few rows times a float16 weight. The C
/// kernel converts with F16C and multiplies in float32 with FMA where the CPU has them, four
/// columns at a time for one row (Swift's conversion of sixteen halves was not inlined there);
/// `portable` runs its plain C loops, what a CPU without them gets.
public func halfProduct(
  x: UnsafePointer<Float>, ldx: Int, m: Int, weight: HalfMatrix, columns: Range<Int>, beta: Float,
  out: UnsafeMutablePointer<Float>, ldo: Int, portable: Bool = false
) {
  let kernel = portable ? glimpse_half_product_portable : glimpse_half_product
  UnsafeRawPointer(weight.base).withMemoryRebound(to: UInt16.self, capacity: weight.rows * weight.columns) { w in
    kernel(
      x, Int32(ldx), Int32(m), w, Int32(weight.columns), Int32(columns.lowerBound), Int32(columns.upperBound), beta,
      out, Int32(ldo))
  }
}

/// Whether `halfProduct` runs vectorised on this CPU (AVX2, FMA and F16C).
public var halfProductVectorised: Bool { glimpse_half_product_vectorised() != 0 }

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
