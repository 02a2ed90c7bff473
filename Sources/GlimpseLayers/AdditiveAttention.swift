import GlimpseTensor

/// Buffers one additive-attention step needs besides its saved activations, allocated once.
public struct AdditiveAttentionWorkspace {
  public let queryProj: Tensor  // [B, A]
  public let dweights: Tensor  // [B, L]
  public let dqueryProj: Tensor  // [B, A]

  public init(batch: Int, locations: Int, attention: Int) {
    queryProj = Tensor(zeros: [batch, attention])
    dweights = Tensor(zeros: [batch, locations])
    dqueryProj = Tensor(zeros: [batch, attention])
  }

  /// The same workspace writing the step's score and query gradients into `dweights` and
  /// `dqueryProj` (views of a caller's [S, B, L] and [S, B, A] buffers, kept for the pass
  /// over all steps that adds the weight gradients).
  public init(sharing other: AdditiveAttentionWorkspace, dweights: Tensor, dqueryProj: Tensor) {
    precondition(dweights.count == other.dweights.count && dqueryProj.count == other.dqueryProj.count)
    queryProj = other.queryProj
    (self.dweights, self.dqueryProj) = (dweights, dqueryProj)
  }
}

/// Additive attention over L locations, the core of both Show-Attend-Tell and the SAN hop:
///   queryProj[B, A] = query[B, Q] · W_qᵀ
///   pre[B, L, A]    = tanh(keys[B, L, A] + queryProj)   (keys = values · W_kᵀ + b, once per sequence)
///   weights[B, L]   = softmax over L of pre · w          (w: [1, A])
///   context[B, D]   = Σ_L weights · values[B, L, D]
/// `pre` and `weights` are kept for the backward pass; inference passes no `pre`.
public func additiveAttentionForward(
  context: Tensor, weights: Tensor, pre: Tensor?, keys: Tensor, values: Tensor, query: Tensor,
  wQuery: Tensor, wScore: Tensor, workspace: AdditiveAttentionWorkspace, halfQuery: HalfMatrix? = nil
) {
  let (batch, locations, attention) = (keys.size(0), keys.size(1), keys.size(2))
  let dim = values.count / (batch * locations)
  let queryProj = workspace.queryProj.pointer
  precondition(pre == nil || pre!.count == keys.count)
  linearForward(out: workspace.queryProj, inp: query, weight: wQuery, bias: nil, half: halfQuery)
  let (keyRows, scoreRows, w, preRows) = (keys.pointer, weights.pointer, wScore.pointer, pre?.pointer)
  for b in 0..<batch {
    let offset = b * locations * attention
    tanhScores(
      keys: keyRows + offset, query: queryProj + b * attention, w: w, rows: locations, width: attention,
      pre: preRows.map { $0 + offset }, scores: scoreRows + b * locations)
  }
  softmaxRows(weights.pointer, rows: batch, columns: locations)
  for b in 0..<batch {
    gemm(
      transposeA: false, transposeB: false, m: 1, n: dim, k: locations, a: weights.pointer + b * locations,
      lda: locations,
      b: values.pointer + b * locations * dim, ldb: dim, beta: 0, c: context.pointer + b * dim, ldc: dim)
  }
}

/// Given dcontext[B, D] and, optionally, extra gradient on the weights dweightsExtra[B, L]
/// (the doubly stochastic penalty's): dvalues += weights ⊗ dcontext; dkeys += dpre;
/// dwScore += Σ dscore · pre; dW_q += dqueryProjᵀ · query; dquery += dqueryProj · W_q.
/// The workspace's dweights and dqueryProj hold dscore and dqueryProj afterwards. With dvalues,
/// dwQuery and dwScore nil, the caller adds those for all steps at once.
public func additiveAttentionBackward(
  dkeys: Tensor, dvalues: Tensor?, dquery: Tensor?, dwQuery: Tensor?, dwScore: Tensor?,
  dcontext: Tensor, dweightsExtra: Tensor?, weights: Tensor, pre: Tensor, values: Tensor, query: Tensor,
  wQuery: Tensor, wScore: Tensor, workspace: AdditiveAttentionWorkspace
) {
  let (batch, locations, attention) = (pre.size(0), pre.size(1), pre.size(2))
  let dim = values.count / (batch * locations)
  let queryDim = wQuery.size(1)
  let dweights = workspace.dweights.pointer
  for b in 0..<batch {
    // dweights[b, L] = values[b] · dcontext[b]
    gemm(
      transposeA: false, transposeB: true, m: locations, n: 1, k: dim, a: values.pointer + b * locations * dim,
      lda: dim,
      b: dcontext.pointer + b * dim, ldb: dim, beta: 0, c: dweights + b * locations, ldc: 1)
    if let dvalues {
      gemm(
        transposeA: false, transposeB: false, m: locations, n: dim, k: 1, a: weights.pointer + b * locations, lda: 1,
        b: dcontext.pointer + b * dim, ldb: dim, beta: 1, c: dvalues.pointer + b * locations * dim, ldc: dim)
    }
  }
  if let dweightsExtra {
    for i in 0..<(batch * locations) { dweights[i] += dweightsExtra.pointer[i] }
  }
  // Through the softmax: dscore = weights ⊙ (dweights − Σ weights · dweights), in place.
  for b in 0..<batch {
    let (w, d) = (weights.pointer + b * locations, dweights + b * locations)
    var dot: Float = 0
    for l in 0..<locations { dot += w[l] * d[l] }
    for l in 0..<locations { d[l] = w[l] * (d[l] - dot) }
  }
  if let dwScore {
    gemm(
      transposeA: true, transposeB: false, m: 1, n: attention, k: batch * locations, a: dweights, lda: 1,
      b: pre.pointer, ldb: attention, beta: 1, c: dwScore.pointer, ldc: attention)
  }
  let dqueryProj = workspace.dqueryProj.pointer
  dqueryProj.update(repeating: 0, count: batch * attention)
  let (preRows, dkeyRows, w) = (pre.pointer, dkeys.pointer, wScore.pointer)
  for b in 0..<batch {
    let offset = b * locations * attention
    tanhScoresBackward(
      dscores: dweights + b * locations, pre: preRows + offset, w: w, rows: locations, width: attention,
      dkeys: dkeyRows + offset, dquery: dqueryProj + b * attention)
  }
  if let dwQuery {
    gemm(
      transposeA: true, transposeB: false, m: attention, n: queryDim, k: batch, a: dqueryProj, lda: attention,
      b: query.pointer, ldb: queryDim, beta: 1, c: dwQuery.pointer, ldc: queryDim)
  }
  if let dquery {
    gemm(
      transposeA: false, transposeB: false, m: batch, n: queryDim, k: attention, a: dqueryProj, lda: attention,
      b: wQuery.pointer, ldb: queryDim, beta: 1, c: dquery.pointer, ldc: queryDim)
  }
}
