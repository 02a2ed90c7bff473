import GlimpseTensor

/// out = max(inp, 0); `out` may be `inp`.
public func reluForward(out: Tensor, inp: Tensor) {
  precondition(out.count == inp.count)
  let (o, x) = (out.pointer, inp.pointer)
  for i in 0..<inp.count { o[i] = max(x[i], 0) }
}

/// dinp += dout where out > 0.
public func reluBackward(dinp: Tensor, dout: Tensor, out: Tensor) {
  let (d, g, o) = (dinp.pointer, dout.pointer, out.pointer)
  for i in 0..<out.count where o[i] > 0 { d[i] += g[i] }
}

/// gradient = 0 where out ≤ 0, in place: ReLU's backward when the gradient buffer is its own.
public func reluMask(gradient: Tensor, out: Tensor) {
  precondition(gradient.count == out.count)
  let (g, o) = (gradient.pointer, out.pointer)
  for i in 0..<out.count { g[i] = o[i] > 0 ? g[i] : 0 }
}
