import GlimpseTensor

/// Show, Attend and Tell's soft attention with the β gate, one decoder step:
///   context, α = additive attention over the grid a[B, L, D] with query hPrev[B, H]
///                (keys = a · W_encᵀ + b_a once per sequence; W_dec the query weight; w_a the score)
///   β[B, D] = σ(hPrev · W_βᵀ + b_β);  z[B, D] = β ⊙ context
/// `alpha`, `pre`, `context` and `beta` are this step's saved activations.
public func softAttentionForward(
  z: Tensor, alpha: Tensor, pre: Tensor, context: Tensor, beta: Tensor,
  keys: Tensor, grid: Tensor, hPrev: Tensor, wDec: Tensor, wA: Tensor, wBeta: Tensor, bBeta: Tensor,
  workspace: AdditiveAttentionWorkspace
) {
  additiveAttentionForward(context: context, weights: alpha, pre: pre, keys: keys, values: grid, query: hPrev,
                           wQuery: wDec, wScore: wA, workspace: workspace)
  linearForward(out: beta, inp: hPrev, weight: wBeta, bias: bBeta)
  sigmoidForward(out: beta, inp: beta)
  let (out, gate, ctx) = (z.pointer, beta.pointer, context.pointer)
  for i in 0..<z.count { out[i] = gate[i] * ctx[i] }
}

/// Given dz[B, D] and the penalty's dalpha[B, L] (or nil): gradients for the keys, the grid,
/// hPrev and every weight, accumulated. `dcontext` and `dbetaPre` are [B, D] workspaces.
public func softAttentionBackward(
  dkeys: Tensor, dgrid: Tensor?, dhPrev: Tensor?, dwDec: Tensor, dwA: Tensor, dwBeta: Tensor, dbBeta: Tensor,
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
  additiveAttentionBackward(dkeys: dkeys, dvalues: dgrid, dquery: dhPrev, dwQuery: dwDec, dwScore: dwA,
                            dcontext: dcontext, dweightsExtra: dalpha, weights: alpha, pre: pre, values: grid,
                            query: hPrev, wQuery: wDec, wScore: wA, workspace: workspace)
}
