import GlimpseCore
import GlimpseTensor

/// Inverted dropout: in training each element is kept with probability 1 − p and scaled by
/// 1/(1 − p), the choice recorded in `mask`; in evaluation out = inp. `out` may be `inp`.
public func dropoutForward(
  out: Tensor, inp: Tensor, mask: Tensor, probability p: Float, training: Bool, random: inout SeededGenerator
) {
  precondition((0..<1).contains(p), "dropout probability must be in [0, 1)")
  guard training && p > 0 else {
    if out.pointer != inp.pointer { out.assign(inp) }
    mask.fill(1)
    return
  }
  let keep = 1 / (1 - p)
  for i in 0..<inp.count {
    mask.pointer[i] = random.nextUnit() >= p ? keep : 0
    out.pointer[i] = inp.pointer[i] * mask.pointer[i]
  }
}

/// dinp += dout · mask.
public func dropoutBackward(dinp: Tensor, dout: Tensor, mask: Tensor) {
  for i in 0..<dout.count { dinp.pointer[i] += dout.pointer[i] * mask.pointer[i] }
}
