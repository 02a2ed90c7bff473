import GlimpseTensor

/// One hop of stacked attention (SAN):
///   p, context = additive attention over the grid a[B, L, D] with query u[B, D]
///                (keys = a · W_Iᵀ + b for this hop; W_U the query weight; w_p the score)
///   uNext[B, D] = u + context
/// `p` and `pre` are this hop's saved activations; `context` is a [B, D] workspace.
public func stackedAttentionHopForward(
  uNext: Tensor, p: Tensor, pre: Tensor, context: Tensor, keys: Tensor, grid: Tensor, u: Tensor,
  wU: Tensor, wP: Tensor, workspace: AdditiveAttentionWorkspace
) {
  additiveAttentionForward(
    context: context, weights: p, pre: pre, keys: keys, values: grid, query: u,
    wQuery: wU, wScore: wP, workspace: workspace)
  let (out, previous, ctx) = (uNext.pointer, u.pointer, context.pointer)
  for i in 0..<uNext.count { out[i] = previous[i] + ctx[i] }
}

/// Given duNext[B, D] and, optionally, extra gradient on this hop's weights dpExtra[B, L] (attention
/// supervision's): du += duNext + the attention's query gradient; dkeys, dgrid, dW_U and dw_p
/// accumulate.
public func stackedAttentionHopBackward(
  dkeys: Tensor, dgrid: Tensor?, du: Tensor, dwU: Tensor, dwP: Tensor, duNext: Tensor,
  p: Tensor, pre: Tensor, grid: Tensor, u: Tensor, wU: Tensor, wP: Tensor,
  workspace: AdditiveAttentionWorkspace, dpExtra: Tensor? = nil
) {
  for i in 0..<du.count { du.pointer[i] += duNext.pointer[i] }
  additiveAttentionBackward(
    dkeys: dkeys, dvalues: dgrid, dquery: du, dwQuery: dwU, dwScore: dwP,
    dcontext: duNext, dweightsExtra: dpExtra, weights: p, pre: pre, values: grid,
    query: u, wQuery: wU, wScore: wP, workspace: workspace)
}
