import GlimpseTensor

/// One GRU step as PyTorch's nn.GRU computes it, gates in its order [r, z, n]:
///   r = σ(x·W_irᵀ + b_ir + h·W_hrᵀ + b_hr),  z = σ(x·W_izᵀ + b_iz + h·W_hzᵀ + b_hz),
///   n = tanh(x·W_inᵀ + b_in + r ⊙ (h·W_hnᵀ + b_hn)),  h' = (1 − z) ⊙ n + z ⊙ h.
/// On entry gates[B, 3H] holds the input side x·W_ihᵀ + b_ih (all steps in one GEMM
/// beforehand); the step writes hGates[B, 3H] = hPrev·W_hhᵀ + b_hh (one GEMM for the batch)
/// and activates gates in place to [r, z, n]. gates and hGates are kept for the backward pass.
public func gruStepForward(gates: Tensor, hGates: Tensor, h: Tensor, hPrev: Tensor, whh: Tensor, bhh: Tensor) {
  let hidden = whh.size(1)
  let batch = h.count / hidden
  precondition(gates.count == batch * 3 * hidden && hGates.count == gates.count && whh.size(0) == 3 * hidden)
  for b in 0..<batch { (hGates.pointer + b * 3 * hidden).update(from: bhh.pointer, count: 3 * hidden) }
  gemm(
    transposeA: false, transposeB: true, m: batch, n: 3 * hidden, k: hidden, a: hPrev.pointer, lda: hidden,
    b: whh.pointer, ldb: hidden, beta: 1, c: hGates.pointer, ldc: 3 * hidden)
  gruStepActivate(gates: gates, hGates: hGates, h: h, hPrev: hPrev)
}

/// The step's element-wise part, on gates (input side) and hGates (hidden side) complete.
public func gruStepActivate(gates: Tensor, hGates: Tensor, h: Tensor, hPrev: Tensor) {
  let hidden = h.size(h.rank - 1)
  let batch = h.count / hidden
  precondition(gates.count == batch * 3 * hidden && hGates.count == gates.count && hPrev.count == h.count)
  for b in 0..<batch {
    let (row, hRow) = (gates.pointer + b * 3 * hidden, hGates.pointer + b * 3 * hidden)
    for k in 0..<(2 * hidden) { row[k] += hRow[k] }
    vectorSigmoid(row, row, count: 2 * hidden)
    let (r, z, n, hn) = (row, row + hidden, row + 2 * hidden, hRow + 2 * hidden)
    for k in 0..<hidden { n[k] += r[k] * hn[k] }
    vectorTanh(n, n, count: hidden)
    let (out, previous) = (h.pointer + b * hidden, hPrev.pointer + b * hidden)
    for k in 0..<hidden { out[k] = (1 - z[k]) * n[k] + z[k] * previous[k] }
  }
}

/// Given dh[B, H], the gradient of the step's output h': writes dgates[B, 3H] (the input
/// side's pre-activation gradient, [dr, dz, dn]) and dhGates[B, 3H] (the hidden side's,
/// [dr, dz, r ⊙ dn]); dhPrev += dh ⊙ z + dhGates·W_hh. The weight gradients come from dgates
/// and dhGates for all steps at once afterwards.
public func gruStepBackward(
  dgates: Tensor, dhGates: Tensor, dhPrev: Tensor, dh: Tensor,
  gates: Tensor, hGates: Tensor, hPrev: Tensor, whh: Tensor
) {
  let hidden = whh.size(1)
  let batch = dh.count / hidden
  precondition(dgates.count == batch * 3 * hidden && dhGates.count == dgates.count && dhPrev.count == dh.count)
  for b in 0..<batch {
    let (row, hRow) = (gates.pointer + b * 3 * hidden, hGates.pointer + b * 3 * hidden)
    let (drow, dhRow) = (dgates.pointer + b * 3 * hidden, dhGates.pointer + b * 3 * hidden)
    let (r, z, n, hn) = (row, row + hidden, row + 2 * hidden, hRow + 2 * hidden)
    let offset = b * hidden
    for k in 0..<hidden {
      let gradH = dh.pointer[offset + k]
      let previous = hPrev.pointer[offset + k]
      let dn = gradH * (1 - z[k]) * (1 - n[k] * n[k])
      let dz = gradH * (previous - n[k]) * z[k] * (1 - z[k])
      let dr = dn * hn[k] * r[k] * (1 - r[k])
      (drow[k], drow[hidden + k], drow[2 * hidden + k]) = (dr, dz, dn)
      (dhRow[k], dhRow[hidden + k], dhRow[2 * hidden + k]) = (dr, dz, dn * r[k])
      dhPrev.pointer[offset + k] += gradH * z[k]
    }
  }
  gemm(
    transposeA: false, transposeB: false, m: batch, n: hidden, k: 3 * hidden, a: dhGates.pointer, lda: 3 * hidden,
    b: whh.pointer, ldb: hidden, beta: 1, c: dhPrev.pointer, ldc: hidden)
}
