import GlimpseTensor

/// Show, Attend and Tell's soft attention with the β gate, one decoder step:
///   context, α = additive attention over the grid a[B, L, D] with query hPrev[B, H]
///                (keys = a · W_encᵀ + b_a once per sequence; W_dec the query weight; w_a the score)
///   β[B, D] = σ(hPrev · W_βᵀ + b_β);  z[B, D] = β ⊙ context
/// `alpha`, `pre`, `context` and `beta` are this step's saved activations. With `halfWeights`
/// (float16 copies of W_dec and W_β that hold them exactly) a decoding step reads those instead.
public func softAttentionForward(
  z: Tensor, alpha: Tensor, pre: Tensor?, context: Tensor, beta: Tensor,
  keys: Tensor, grid: Tensor, hPrev: Tensor, wDec: Tensor, wA: Tensor, wBeta: Tensor, bBeta: Tensor,
  workspace: AdditiveAttentionWorkspace, halfWeights: (query: HalfMatrix, beta: HalfMatrix)? = nil
) {
  additiveAttentionForward(
    context: context, weights: alpha, pre: pre, keys: keys, values: grid, query: hPrev,
    wQuery: wDec, wScore: wA, workspace: workspace, halfQuery: halfWeights?.query)
  linearForward(out: beta, inp: hPrev, weight: wBeta, bias: bBeta, half: halfWeights?.beta)
  sigmoidForward(out: beta, inp: beta)
  let (out, gate, ctx) = (z.pointer, beta.pointer, context.pointer)
  for i in 0..<z.count { out[i] = gate[i] * ctx[i] }
}

/// Given dz[B, D] and the penalty's dalpha[B, L] (or nil): gradients for the keys, the grid,
/// hPrev and every weight, accumulated. `dcontext` and `dbetaPre` are [B, D] workspaces.
/// With dgrid and the weight gradients nil (a decoder running many steps), the step leaves
/// dcontext, dbetaPre and the workspace's dweights and dqueryProj for
/// `softAttentionWeightGradients`, which adds them for all steps in a few large GEMMs.
public func softAttentionBackward(
  dkeys: Tensor, dgrid: Tensor?, dhPrev: Tensor?, dwDec: Tensor?, dwA: Tensor?, dwBeta: Tensor?, dbBeta: Tensor?,
  dz: Tensor, dalpha: Tensor?, alpha: Tensor, pre: Tensor, context: Tensor, beta: Tensor,
  grid: Tensor, hPrev: Tensor, wDec: Tensor, wA: Tensor, wBeta: Tensor,
  workspace: AdditiveAttentionWorkspace, dcontext: Tensor, dbetaPre: Tensor
) {
  let (g, gate, ctx, dctx, dpre) = (dz.pointer, beta.pointer, context.pointer, dcontext.pointer, dbetaPre.pointer)
  for i in 0..<dz.count {
    dctx[i] = g[i] * gate[i]
    dpre[i] = g[i] * ctx[i] * gate[i] * (1 - gate[i])
  }
  linearBackward(dinp: dhPrev, dweight: dwBeta, dbias: dbBeta, dout: dbetaPre, inp: hPrev, weight: wBeta)
  additiveAttentionBackward(
    dkeys: dkeys, dvalues: dgrid, dquery: dhPrev, dwQuery: dwDec, dwScore: dwA,
    dcontext: dcontext, dweightsExtra: dalpha, weights: alpha, pre: pre, values: grid,
    query: hPrev, wQuery: wDec, wScore: wA, workspace: workspace)
}

/// The weight and grid gradients of S steps of soft attention whose backward ran without them,
/// from what each step left (all time-major, step t at index t):
///   dW_dec += dqueryProj[S·B, A]ᵀ · hPrev[S·B, H]      dw_a += dscore[S·B·L]ᵀ · pre[S·B·L, A]
///   dW_β += dbetaPre[S·B, D]ᵀ · hPrev;  db_β += Σ dbetaPre
///   dgrid[b] += Σ_t α[t, b]ᵀ ⊗ dcontext[t, b]         (one GEMM per image with k = S)
/// `hPrev` holds each step's query, [S, B, H].
public func softAttentionWeightGradients(
  dgrid: Tensor, dwDec: Tensor, dwA: Tensor, dwBeta: Tensor, dbBeta: Tensor,
  dqueryProj: Tensor, dscore: Tensor, dbetaPre: Tensor, dcontext: Tensor,
  alpha: Tensor, pre: Tensor, hPrev: Tensor, steps: Int
) {
  let (attention, hidden) = (dwDec.size(0), dwDec.size(1))
  let rows = dqueryProj.count / attention
  let (batch, locations, dim) = (rows / steps, dscore.count / rows, dbetaPre.count / rows)
  precondition(dgrid.count == batch * locations * dim && dcontext.count == rows * dim && hPrev.count >= rows * hidden)
  gemm(
    transposeA: true, transposeB: false, m: attention, n: hidden, k: rows, a: dqueryProj.pointer, lda: attention,
    b: hPrev.pointer, ldb: hidden, beta: 1, c: dwDec.pointer, ldc: hidden)
  gemm(
    transposeA: true, transposeB: false, m: 1, n: attention, k: rows * locations, a: dscore.pointer, lda: 1,
    b: pre.pointer, ldb: attention, beta: 1, c: dwA.pointer, ldc: attention)
  gemm(
    transposeA: true, transposeB: false, m: dim, n: hidden, k: rows, a: dbetaPre.pointer, lda: dim,
    b: hPrev.pointer, ldb: hidden, beta: 1, c: dwBeta.pointer, ldc: hidden)
  addRowSums(dbetaPre.pointer, rows: rows, columns: dim, into: dbBeta.pointer)
  for b in 0..<batch {
    gemm(
      transposeA: true, transposeB: false, m: locations, n: dim, k: steps, a: alpha.pointer + b * locations,
      lda: batch * locations,
      b: dcontext.pointer + b * dim, ldb: batch * dim, beta: 1, c: dgrid.pointer + b * locations * dim, ldc: dim)
  }
}
