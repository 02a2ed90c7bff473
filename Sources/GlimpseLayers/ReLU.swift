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
