import GlimpseTensor

/// One LSTM step, gates in PyTorch's order [i, f, g, o]:
/// on entry gates[B, 4H] holds x_t · W_ihᵀ + b_ih + b_hh (all steps in one GEMM beforehand);
/// the step adds hPrev · W_hhᵀ (one GEMM for the batch) and activates in place to
/// [σ(i), σ(f), tanh(g), σ(o)]. Then c = σ(f) ⊙ cPrev + σ(i) ⊙ tanh(g), tanhC = tanh(c),
/// h = σ(o) ⊙ tanhC. gates, c and tanhC are kept for the backward pass.
public func lstmStepForward(
  gates: Tensor, c: Tensor, tanhC: Tensor, h: Tensor, cPrev: Tensor, hPrev: Tensor, whh: Tensor
) {
  let hidden = whh.size(1)
  let batch = h.count / hidden
  precondition(gates.count == batch * 4 * hidden && whh.size(0) == 4 * hidden)
  gemm(
    transposeA: false, transposeB: true, m: batch, n: 4 * hidden, k: hidden, a: hPrev.pointer, lda: hidden,
    b: whh.pointer, ldb: hidden, beta: 1, c: gates.pointer, ldc: 4 * hidden)
  lstmStepActivate(gates: gates, c: c, tanhC: tanhC, h: h, cPrev: cPrev)
}

/// The step's element-wise part, on gates that already hold hPrev · W_hhᵀ: for a caller that
/// adds that product itself (a decoder splitting it between two threads).
public func lstmStepActivate(gates: Tensor, c: Tensor, tanhC: Tensor, h: Tensor, cPrev: Tensor) {
  let hidden = h.size(h.rank - 1)
  let batch = h.count / hidden
  precondition(
    gates.count == batch * 4 * hidden && c.count == h.count && cPrev.count == h.count && tanhC.count == h.count)
  for b in 0..<batch {
    let row = gates.pointer + b * 4 * hidden
    vectorSigmoid(row, row, count: 2 * hidden)
    vectorTanh(row + 2 * hidden, row + 2 * hidden, count: hidden)
    vectorSigmoid(row + 3 * hidden, row + 3 * hidden, count: hidden)
    let (i, f, g, o) = (row, row + hidden, row + 2 * hidden, row + 3 * hidden)
    let offset = b * hidden
    let (cell, previous) = (c.pointer + offset, cPrev.pointer + offset)
    for k in 0..<hidden { cell[k] = f[k] * previous[k] + i[k] * g[k] }
    vectorTanh(cell, tanhC.pointer + offset, count: hidden)
    let (out, squashed) = (h.pointer + offset, tanhC.pointer + offset)
    for k in 0..<hidden { out[k] = o[k] * squashed[k] }
  }
}

/// Given dh[B, H] and dc[B, H] (the cell gradient from step t + 1, nil at the last step):
/// dgates[B, 4H] = the gradient of the pre-activation gates (written, not accumulated); dcPrev += dc_total ⊙ σ(f);
/// dW_hh += dgatesᵀ · hPrev;
/// dhPrev += dgates · W_hh. dgates then feeds the input projection's backward for all steps at once.
/// With `dwhh` nil the caller adds dW_hh itself, for all steps in one GEMM (LSTMSequence does).
public func lstmStepBackward(
  dgates: Tensor, dcPrev: Tensor, dhPrev: Tensor?, dwhh: Tensor?, dh: Tensor, dc: Tensor?,
  gates: Tensor, tanhC: Tensor, cPrev: Tensor, hPrev: Tensor, whh: Tensor
) {
  let hidden = whh.size(1)
  let batch = dh.count / hidden
  for b in 0..<batch {
    let row = gates.pointer + b * 4 * hidden
    let drow = dgates.pointer + b * 4 * hidden
    let (i, f, g, o) = (row, row + hidden, row + 2 * hidden, row + 3 * hidden)
    let offset = b * hidden
    for k in 0..<hidden {
      let gradH = dh.pointer[offset + k]
      let squashed = tanhC.pointer[offset + k]
      var gradC = gradH * o[k] * (1 - squashed * squashed)
      if let dc { gradC += dc.pointer[offset + k] }
      drow[k] = gradC * g[k] * i[k] * (1 - i[k])
      drow[hidden + k] = gradC * cPrev.pointer[offset + k] * f[k] * (1 - f[k])
      drow[2 * hidden + k] = gradC * i[k] * (1 - g[k] * g[k])
      drow[3 * hidden + k] = gradH * squashed * o[k] * (1 - o[k])
      dcPrev.pointer[offset + k] += gradC * f[k]
    }
  }
  if let dwhh {
    gemm(
      transposeA: true, transposeB: false, m: 4 * hidden, n: hidden, k: batch, a: dgates.pointer, lda: 4 * hidden,
      b: hPrev.pointer, ldb: hidden, beta: 1, c: dwhh.pointer, ldc: hidden)
  }
  if let dhPrev {
    gemm(
      transposeA: false, transposeB: false, m: batch, n: hidden, k: 4 * hidden, a: dgates.pointer, lda: 4 * hidden,
      b: whh.pointer, ldb: hidden, beta: 1, c: dhPrev.pointer, ldc: hidden)
  }
}
