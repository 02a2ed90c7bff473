import GlimpseCore
import GlimpseLayers
import GlimpseTensor

/// The spec's `attention` decoder (Show, Attend and Tell): at each step soft attention over
/// the grid with the previous hidden state, the β-gated context z_t joins the word embedding
/// as the LSTM input [x_t; z_t]. Training adds the doubly stochastic penalty
/// λ/B · Σ_b Σ_i (1 − Σ_t α_bti)², the sum over t running over steps with a real target.
public final class AttentionDecoder: CaptionDecoder {
  /// λ; the spec's default is 1. With fewer words than the 64 locations the penalty is least
  /// when attention is spread evenly, so a large λ works against attending to one object.
  /// A replica reads its original's, whenever it was set.
  public var penaltyWeight: Float {
    get { original?.penaltyWeight ?? ownPenaltyWeight }
    set {
      precondition(original == nil, "λ is set on the original decoder, not on a replica")
      ownPenaltyWeight = newValue
    }
  }
  private var ownPenaltyWeight: Float = 1
  private let original: AttentionDecoder?
  let core: LSTMDecoderCore
  let attEnc, attEncBias, attDec, attW, betaW, betaBias: Parameter
  public var vocabularySize: Int { core.vocabularySize }
  public var sizes: ModelSizes { core.sizes }
  public let parameters: [Parameter]

  var keys = Tensor(zeros: [0]), dkeys = Tensor(zeros: [0])  // [B, L, A]
  // per step: [S, B, D], [S, B, L], [S, B, L, A]
  var z = Tensor(zeros: [0]), alpha = Tensor(zeros: [0]), pre = Tensor(zeros: [0])
  var context = Tensor(zeros: [0]), beta = Tensor(zeros: [0])  // [S, B, D]
  var dz = Tensor(zeros: [0]), dalpha = Tensor(zeros: [0])
  // Each step's gradients that the weight gradients are made from after the loop:
  // [S, B, D], [S, B, D], [S, B, L], [S, B, A].
  var dcontext = Tensor(zeros: [0]), dbetaPre = Tensor(zeros: [0]), dscore = Tensor(zeros: [0]),
    dqueryProj = Tensor(zeros: [0])
  var workspace = AdditiveAttentionWorkspace(batch: 0, locations: 0, attention: 0)
  var savedGrid = Tensor(zeros: [0])
  var penaltyActive = false
  // Step-by-step decoding: the rows' grid and keys, and one step's attention.
  var decodingGrid = Tensor(zeros: [0]), decodingKeys = Tensor(zeros: [0])
  var decodingZ = Tensor(zeros: [0]), decodingAlpha = Tensor(zeros: [0])
  var decodingContext = Tensor(zeros: [0]), decodingBeta = Tensor(zeros: [0])
  var decodingWorkspace = AdditiveAttentionWorkspace(batch: 0, locations: 0, attention: 0)
  var decodingScratch = Tensor(zeros: [0])  // for reordering the rows' grids

  public convenience init(vocabularySize: Int, sizes: ModelSizes = .glimpseSmall) {
    self.init(vocabularySize: vocabularySize, sizes: sizes, make: ParameterMaker())
  }

  init(vocabularySize: Int, sizes: ModelSizes, make: ParameterMaker, original: AttentionDecoder? = nil) {
    self.original = original
    let (e, h, d, a) = (sizes.embedding, sizes.hidden, sizes.grid.features, sizes.attention)
    core = LSTMDecoderCore(vocabularySize: vocabularySize, sizes: sizes, inputSize: e + d, make: make)
    attEnc = make("decoder.att_enc.weight", [a, d])
    attEncBias = make("decoder.att_enc.bias", [a])
    attDec = make("decoder.att_dec.weight", [a, h])
    attW = make("decoder.att_w.weight", [1, a])
    betaW = make("decoder.beta.weight", [d, h])
    betaBias = make("decoder.beta.bias", [d])
    parameters = core.parameters + [attEnc, attEncBias, attDec, attW, betaW, betaBias]
    core.hiddenProduct.before = { [unowned self] in attend() }  // attends while the worker starts on h·W_hhᵀ
  }

  /// Fixed weights that float16 holds exactly (a model shipped as F16) are also kept as float16
  /// for the few-row steps, which then move half the bytes; a replica never takes those steps.
  public var weightsFixed: Bool {
    get { core.tokenProjection.keepsRowsAcrossRuns }
    set {
      guard newValue != weightsFixed else { return }
      core.tokenProjection.keepsRowsAcrossRuns = newValue
      halfWeights = newValue && original == nil ? HalfStepWeights(core, query: attDec.value, beta: betaW.value) : nil
    }
  }
  /// Float16 copies of what a few-row step streams: W_hh, W_ih's context columns, W_out, W_dec and W_β.
  private(set) var halfWeights: HalfStepWeights?

  public func replica(ownGradients: Bool) -> CaptionDecoder {
    AttentionDecoder(
      vocabularySize: vocabularySize, sizes: sizes,
      make: ParameterMaker(sharing: parameters, ownGradients: ownGradients),
      original: self)
  }

  public func initialize(random: inout SeededGenerator) {
    core.initialize(random: &random)
    for p in [attEnc, attDec, attW, betaW] { initUniformFanIn(p.value, random: &random) }
    attEncBias.value.zero(); betaBias.value.zero()
  }

  func prepare(batch b: Int, steps s: Int) {
    let (l, d, a) = (sizes.grid.locations, sizes.grid.features, sizes.attention)
    guard keys.count != b * l * a || z.size(0) != s else { return }
    keys = Tensor(zeros: [b, l, a]); dkeys = Tensor(zeros: [b, l, a])
    z = Tensor(zeros: [s, b, d]); dz = Tensor(zeros: [b, d])
    alpha = Tensor(zeros: [s, b, l]); dalpha = Tensor(zeros: [s, b, l])
    pre = Tensor(zeros: [s, b, l, a])
    context = Tensor(zeros: [s, b, d]); beta = Tensor(zeros: [s, b, d])
    dcontext = Tensor(zeros: [s, b, d]); dbetaPre = Tensor(zeros: [s, b, d])
    dscore = Tensor(zeros: [s, b, l]); dqueryProj = Tensor(zeros: [s, b, a])
    workspace = AdditiveAttentionWorkspace(batch: b, locations: l, attention: a)
  }

  public func forward(grid: Tensor, mean: Tensor, inputs: [Int32], batch b: Int, steps s: Int) -> Tensor {
    prepare(batch: b, steps: s)
    savedGrid = grid
    penaltyActive = false
    core.begin(mean: mean, inputs: inputs, batch: b, steps: s)
    linearForward(out: keys, inp: grid, weight: attEnc.value, bias: attEncBias.value)  // once per sequence
    let (e, d, h4) = (sizes.embedding, sizes.grid.features, 4 * sizes.hidden)
    for t in 0..<s {
      softAttentionForward(
        z: z.slice(t), alpha: alpha.slice(t), pre: pre.slice(t), context: context.slice(t), beta: beta.slice(t),
        keys: keys, grid: grid, hPrev: core.sequence.hs.slice(t), wDec: attDec.value, wA: attW.value,
        wBeta: betaW.value, bBeta: betaBias.value, workspace: workspace)
      // gates[t] += z_t · W_ih[:, E...]ᵀ, the context columns of the input weight.
      gemm(
        transposeA: false, transposeB: true, m: b, n: h4, k: d, a: z.slice(t).pointer, lda: d,
        b: core.sequence.weightIH.value.pointer + e, ldb: e + d, beta: 1, c: core.sequence.gates.slice(t).pointer,
        ldc: h4)
      core.sequence.step(t)
    }
    return core.finish()
  }

  /// The penalty for the real targets [B, S], averaged over `batch`; also readies its gradient
  /// for `backward`.
  public func auxiliaryLoss(targets: [Int32], batch: Int) -> Float {
    let (b, s, l) = (core.batch, core.steps, sizes.grid.locations)
    var total = 0.0
    dalpha.zero()
    let scale = penaltyWeight / Float(batch)
    for batchIndex in 0..<b {
      for i in 0..<l {
        var attended: Float = 0
        for t in 0..<s where targets[batchIndex * s + t] != SpecialToken.pad {
          attended += alpha.pointer[(t * b + batchIndex) * l + i]
        }
        let gap = 1 - attended
        total += Double(gap * gap)
        for t in 0..<s where targets[batchIndex * s + t] != SpecialToken.pad {
          dalpha.pointer[(t * b + batchIndex) * l + i] = -2 * scale * gap
        }
      }
    }
    penaltyActive = true
    return Float(total) * scale
  }

  /// The core's groups, then the attention's weights: all but the embedding, whose few rows a
  /// batch touches go last.
  public var earlyGradientGroups: [[Parameter]] {
    core.earlyGradientGroups + [[attEnc, attEncBias, attDec, attW, betaW, betaBias]]
  }
  public var gradientGroupFinished: ((Int) -> Void)?

  /// The output layer first; after the steps the initial state, the LSTM's weights (recurrent,
  /// then input) and the attention's, the embedding last: the largest gradients are then final earliest
  /// (`earlyGradientGroups`).
  public func backward(dlogits: Tensor, dgrid: Tensor, dmean: Tensor) {
    core.beginBackward(dlogits: dlogits)
    gradientGroupFinished?(0)
    dkeys.zero()
    let (e, d, h4, b) = (sizes.embedding, sizes.grid.features, 4 * sizes.hidden, core.batch)
    for t in stride(from: core.steps - 1, through: 0, by: -1) {
      core.sequence.stepBackward(t)
      let dgatesT = core.sequence.dgates.slice(t)
      // dz_t = dgates_t · W_ih[:, E...]
      gemm(
        transposeA: false, transposeB: false, m: b, n: d, k: h4, a: dgatesT.pointer, lda: h4,
        b: core.sequence.weightIH.value.pointer + e, ldb: e + d, beta: 0, c: dz.pointer, ldc: d)
      let stepWorkspace = AdditiveAttentionWorkspace(
        sharing: workspace, dweights: dscore.slice(t), dqueryProj: dqueryProj.slice(t))
      softAttentionBackward(
        dkeys: dkeys, dgrid: nil, dhPrev: core.sequence.dhs.slice(t), dwDec: nil, dwA: nil,
        dwBeta: nil, dbBeta: nil, dz: dz,
        dalpha: penaltyActive ? dalpha.slice(t) : nil, alpha: alpha.slice(t), pre: pre.slice(t),
        context: context.slice(t), beta: beta.slice(t), grid: savedGrid, hPrev: core.sequence.hs.slice(t),
        wDec: attDec.value, wA: attW.value, wBeta: betaW.value, workspace: stepWorkspace,
        dcontext: dcontext.slice(t), dbetaPre: dbetaPre.slice(t))
    }
    core.weightGradients(dmean: dmean, finished: gradientGroupFinished) {
      // dW_ih[:, E...] += dgates[S·B, 4H]ᵀ · z[S·B, D], all steps in one GEMM.
      gemm(
        transposeA: true, transposeB: false, m: h4, n: d, k: core.steps * b, a: core.sequence.dgates.pointer,
        lda: h4, b: z.pointer, ldb: d, beta: 1, c: core.sequence.weightIH.gradient.pointer + e, ldc: e + d)
    }
    softAttentionWeightGradients(
      dgrid: dgrid, dwDec: attDec.gradient, dwA: attW.gradient, dwBeta: betaW.gradient,
      dbBeta: betaBias.gradient, dqueryProj: dqueryProj, dscore: dscore, dbetaPre: dbetaPre,
      dcontext: dcontext, alpha: alpha, pre: pre, hPrev: core.sequence.hs, steps: core.steps)
    linearBackward(
      dinp: dgrid, dweight: attEnc.gradient, dbias: attEncBias.gradient, dout: dkeys, inp: savedGrid,
      weight: attEnc.value)
    gradientGroupFinished?(4)
    core.endBackward()
  }

  /// The attention weights of the last forward pass, time-major [S, B, L].
  public var attentionWeights: Tensor { alpha }

  public func beginDecoding(grid: Tensor, mean: Tensor) {
    let (n, l, d, a) = (mean.size(0), sizes.grid.locations, sizes.grid.features, sizes.attention)
    let split = n <= LSTMDecoderCore.rowsSplitAcrossCores
    withOneBLASThread(when: split) { core.beginDecoding(mean: mean) }
    if decodingGrid.count != n * l * d {
      decodingGrid = Tensor(zeros: [n, l, d]); decodingKeys = Tensor(zeros: [n, l, a])
      decodingZ = Tensor(zeros: [n, d]); decodingAlpha = Tensor(zeros: [n, l])
      decodingContext = Tensor(zeros: [n, d]); decodingBeta = Tensor(zeros: [n, d])
      decodingWorkspace = AdditiveAttentionWorkspace(batch: n, locations: l, attention: a)
      decodingScratch = Tensor(zeros: [n, l, d])
    }
    decodingGrid.assign(grid)
    guard split else {
      linearForward(out: decodingKeys, inp: decodingGrid, weight: attEnc.value, bias: attEncBias.value)
      return
    }
    let (keys, locations) = (decodingKeys.reshaped([n * l, a]), decodingGrid.reshaped([n * l, d]))
    withOneBLASThread {
      SpinningWorker.shared.run { part in
        let rows = contiguousShare(n * l, part: part, of: 2)
        linearForward(out: keys.slice(rows), inp: locations.slice(rows), weight: attEnc.value, bias: attEncBias.value)
      }
    }
  }

  public func decodeStep(tokens: [Int32]) -> Tensor {
    let (e, d, h4) = (sizes.embedding, sizes.grid.features, 4 * sizes.hidden)
    if core.decoding.rows <= LSTMDecoderCore.rowsSplitAcrossCores { return decodeStepOnBothCores(tokens: tokens) }
    core.beginStep(tokens: tokens)
    attend()
    gemm(
      transposeA: false, transposeB: true, m: core.decoding.rows, n: h4, k: d, a: decodingZ.pointer, lda: d,
      b: core.sequence.weightIH.value.pointer + e, ldb: e + d, beta: 1, c: core.decoding.gates.pointer, ldc: h4)
    return core.finishStep()
  }

  /// z for the step from h: the attention weights, the context and its gate.
  private func attend() {
    softAttentionForward(
      z: decodingZ, alpha: decodingAlpha, pre: nil, context: decodingContext, beta: decodingBeta,
      keys: decodingKeys, grid: decodingGrid, hPrev: core.decoding.h, wDec: attDec.value, wA: attW.value,
      wBeta: betaW.value, bBeta: betaBias.value, workspace: decodingWorkspace, halfWeights: halfAttention)
  }

  /// The attention's float16 copies, for the few-row steps only.
  private var halfAttention: (query: HalfMatrix, beta: HalfMatrix)? {
    guard core.decoding.rows <= LSTMDecoderCore.rowsSplitAcrossCores, let half = halfWeights else { return nil }
    return (half.query, half.beta)
  }

  /// One step for a few rows on both cores (see `LSTMDecoderCore.rowsSplitAcrossCores`). The
  /// step's products stream 10 MB of weights for a few multiply-adds each, and OpenBLAS's own
  /// two threads would meet once per product and leave the attention to one core. Here the
  /// gates' 2048 columns go in chunks to whichever thread is free: h·W_hhᵀ while this thread
  /// attends, then z·W_zᵀ.
  private func decodeStepOnBothCores(tokens: [Int32]) -> Tensor {
    let (e, d, hidden) = (sizes.embedding, sizes.grid.features, sizes.hidden)
    return withOneBLASThread {
      core.beginStep(tokens: tokens)
      core.addToGatesOnBothCores(
        core.hiddenProduct, core.decoding.h, core.sequence.weightHH.value.pointer, ldw: hidden,
        half: halfWeights?.hidden)
      core.addToGatesOnBothCores(
        core.contextProduct, decodingZ, core.sequence.weightIH.value.pointer + e, ldw: e + d,
        half: halfWeights?.context)
      return core.finishStep(hiddenProductAdded: true, halfOutput: halfWeights?.output)
    }
  }

  public func reorderRows(_ sources: [Int]) {
    DecodingState.reorder(
      [core.decoding.h, core.decoding.c, decodingAlpha, decodingGrid, decodingKeys], sources,
      scratch: decodingScratch)
  }

  /// The attention weights α [N, L] of the last decoding step, over the grid.
  public var stepAttention: Tensor { decodingAlpha }
}

/// The float16 copies of `AttentionDecoder.halfWeights`; nil unless float16 holds every weight.
struct HalfStepWeights {
  let hidden, context, output, query, beta: HalfMatrix

  init?(_ core: LSTMDecoderCore, query queryWeight: Tensor, beta betaWeight: Tensor) {
    let (e, d) = (core.sizes.embedding, core.sizes.grid.features)
    let weightIH = core.sequence.weightIH.value
    guard let hidden = HalfMatrix(core.sequence.weightHH.value),
      let context = HalfMatrix(weightIH.pointer + e, rows: weightIH.size(0), columns: d, stride: e + d),
      let output = HalfMatrix(core.out.value), let query = HalfMatrix(queryWeight), let beta = HalfMatrix(betaWeight)
    else { return nil }
    (self.hidden, self.context, self.output, self.query, self.beta) = (hidden, context, output, query, beta)
  }
}
