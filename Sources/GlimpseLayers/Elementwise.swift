import GlimpseTensor

/// out = tanh(inp); `out` may be `inp`.
public func tanhForward(out: Tensor, inp: Tensor) { vectorTanh(inp.pointer, out.pointer, count: inp.count) }

/// dinp += dout · (1 − out²).
public func tanhBackward(dinp: Tensor, dout: Tensor, out: Tensor) {
  let (d, g, y) = (dinp.pointer, dout.pointer, out.pointer)
  for i in 0..<out.count { d[i] += g[i] * (1 - y[i] * y[i]) }
}

/// out = σ(inp); `out` may be `inp`.
public func sigmoidForward(out: Tensor, inp: Tensor) { vectorSigmoid(inp.pointer, out.pointer, count: inp.count) }

/// dinp += dout · out · (1 − out).
public func sigmoidBackward(dinp: Tensor, dout: Tensor, out: Tensor) {
  let (d, g, y) = (dinp.pointer, dout.pointer, out.pointer)
  for i in 0..<out.count { d[i] += g[i] * y[i] * (1 - y[i]) }
}

/// Softmax of each row of x[R, C], in place.
public func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
  for r in 0..<rows {
    let row = x + r * columns
    var largest = row[0]
    for c in 1..<columns { largest = max(largest, row[c]) }
    for c in 0..<columns { row[c] -= largest }
    vectorExp(row, row, count: columns)
    var sum: Float = 0
    for c in 0..<columns { sum += row[c] }
    let scale = 1 / sum
    for c in 0..<columns { row[c] *= scale }
  }
}
