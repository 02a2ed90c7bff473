import GlimpseTensor

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Attention supervision: for each row b with target cells S_b (rows with none add nothing),
///   loss = −(1/B) Σ_b log(Σ_{i∈S_b} weights[b, i] + ε)
/// the negative log of the attention mass on the cells where the row should look.
/// weights [B, L], a softmax's output; `cells[b]` the target locations of row b.
public let attentionSupervisionEpsilon: Float = 1e-6

public func attentionSupervisionForward(weights: Tensor, cells: [[Int]]) -> Float {
  let (batch, locations) = (weights.size(0), weights.size(1))
  var loss = 0.0
  for b in 0..<batch where !cells[b].isEmpty {
    var mass: Float = 0
    for i in cells[b] { mass += weights.pointer[b * locations + i] }
    loss -= Double(log(mass + attentionSupervisionEpsilon))
  }
  return Float(loss / Double(batch))
}

/// dweights [B, L] += scale · ∂loss/∂weights: −scale / (B · (mass_b + ε)) on row b's cells.
public func attentionSupervisionBackward(dweights: Tensor, weights: Tensor, cells: [[Int]], scale: Float) {
  let (batch, locations) = (weights.size(0), weights.size(1))
  for b in 0..<batch where !cells[b].isEmpty {
    var mass: Float = 0
    for i in cells[b] { mass += weights.pointer[b * locations + i] }
    let g = -scale / (Float(batch) * (mass + attentionSupervisionEpsilon))
    for i in cells[b] { dweights.pointer[b * locations + i] += g }
  }
}
