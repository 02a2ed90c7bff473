import GlimpseTensor

/// One step of the vanilla RNN with the image at every step:
/// h[B, H] = tanh(xProj[B, H] + hPrev[B, H] · Whhᵀ + imageProj[B, H]), where
/// xProj = x_t · Wxhᵀ + b (all steps in one GEMM beforehand) and imageProj = v · Wihᵀ (once
/// per sequence). `hPrev` is nil at t = 0 (h₀ = 0).
public func rnnStepForward(h: Tensor, xProj: Tensor, imageProj: Tensor, hPrev: Tensor?, whh: Tensor) {
  let hidden = whh.size(0)
  let batch = h.count / hidden
  let (out, x, image) = (h.pointer, xProj.pointer, imageProj.pointer)
  for i in 0..<h.count { out[i] = x[i] + image[i] }
  if let hPrev {
    gemm(
      transposeA: false, transposeB: true, m: batch, n: hidden, k: hidden, a: hPrev.pointer, lda: hidden,
      b: whh.pointer, ldb: hidden, beta: 1, c: out, ldc: hidden)
  }
  vectorTanh(out, out, count: h.count)
}

/// Given dh[B, H] (from the output layer and from step t + 1): dpre = dh ⊙ (1 − h²);
/// dxProj += dpre; dimageProj += dpre; dWhh += dpreᵀ · hPrev; dhPrev += dpre · Whh.
/// `dpre` is a [B, H] workspace.
public func rnnStepBackward(
  dxProj: Tensor, dimageProj: Tensor, dhPrev: Tensor?, dwhh: Tensor, dh: Tensor,
  h: Tensor, hPrev: Tensor?, whh: Tensor, dpre: Tensor
) {
  let hidden = whh.size(0)
  let batch = h.count / hidden
  let (d, g, y, dx, dimage) = (dpre.pointer, dh.pointer, h.pointer, dxProj.pointer, dimageProj.pointer)
  for i in 0..<h.count {
    d[i] = g[i] * (1 - y[i] * y[i])
    dx[i] += d[i]
    dimage[i] += d[i]
  }
  guard let hPrev else { return }
  gemm(
    transposeA: true, transposeB: false, m: hidden, n: hidden, k: batch, a: d, lda: hidden,
    b: hPrev.pointer, ldb: hidden, beta: 1, c: dwhh.pointer, ldc: hidden)
  if let dhPrev {
    gemm(
      transposeA: false, transposeB: false, m: batch, n: hidden, k: hidden, a: d, lda: hidden,
      b: whh.pointer, ldb: hidden, beta: 1, c: dhPrev.pointer, ldc: hidden)
  }
}
