import GlimpseTensor

/// out[N, O] = inp[N, I] · weight[O, I]ᵀ + bias[O]. Any leading dimensions of `inp` are
/// flattened into N, so one call projects a whole [B, T, I] sequence. With `half` (a float16
/// copy of `weight` that holds it exactly) the product reads the copy: for a few rows, half the bytes.
public func linearForward(out: Tensor, inp: Tensor, weight: Tensor, bias: Tensor?, half: HalfMatrix? = nil) {
  let (o, i) = (weight.size(0), weight.size(1))
  let n = inp.count / i
  precondition(inp.count == n * i && out.count == n * o, "linear: \(inp.shape) · \(weight.shape)ᵀ → \(out.shape)")
  if let bias {
    for row in 0..<n { (out.pointer + row * o).update(from: bias.pointer, count: o) }
  }
  if let half {
    precondition(half.rows == o && half.columns == i, "linear: a float16 copy of another shape than \(weight.shape)")
    halfProduct(
      x: inp.pointer, ldx: i, m: n, weight: half, columns: 0..<o, beta: bias == nil ? 0 : 1, out: out.pointer, ldo: o)
    return
  }
  gemm(
    transposeA: false, transposeB: true, m: n, n: o, k: i, a: inp.pointer, lda: i,
    b: weight.pointer, ldb: i, beta: bias == nil ? 0 : 1, c: out.pointer, ldc: o)
}

/// dinp[N, I] += dout · weight; dweight[O, I] += doutᵀ · inp; dbias[O] += Σ_N dout. Each
/// gradient that is nil is left to the caller (a recurrent layer adds its weight gradients for
/// all steps at once).
public func linearBackward(dinp: Tensor?, dweight: Tensor?, dbias: Tensor?, dout: Tensor, inp: Tensor, weight: Tensor) {
  let (o, i) = (weight.size(0), weight.size(1))
  let n = inp.count / i
  if let dinp {
    gemm(
      transposeA: false, transposeB: false, m: n, n: i, k: o, a: dout.pointer, lda: o,
      b: weight.pointer, ldb: i, beta: 1, c: dinp.pointer, ldc: i)
  }
  if let dweight {
    gemm(
      transposeA: true, transposeB: false, m: o, n: i, k: n, a: dout.pointer, lda: o,
      b: inp.pointer, ldb: i, beta: 1, c: dweight.pointer, ldc: i)
  }
  if let dbias { addRowSums(dout.pointer, rows: n, columns: o, into: dbias.pointer) }
}

/// into[C] += Σ_r matrix[r, C].
public func addRowSums(_ matrix: UnsafePointer<Float>, rows: Int, columns: Int, into: UnsafeMutablePointer<Float>) {
  for r in 0..<rows {
    let row = matrix + r * columns
    for c in 0..<columns { into[c] += row[c] }
  }
}
