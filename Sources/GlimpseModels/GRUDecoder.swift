import GlimpseCore
import GlimpseLayers
import GlimpseTensor

/// The `gru` decoder: h₀ = tanh(W_h0·v + b_h0) from the image vector, as `lstm`; a GRU with
/// nn.GRU's equations and layout (GRUStep.swift) reads the word embeddings; logits =
/// W_out·h_t + b_out.
public final class GRUDecoder: CaptionDecoder {
  public let vocabularySize: Int
  public let sizes: ModelSizes
  public let parameters: [Parameter]
  let embed, weightIH, weightHH, biasIH, biasHH, initH, initHBias, out, outBias: Parameter
  var batch = 0, steps = 0
  var ids: [Int32] = []
  var embedded = Tensor(zeros: [0]), dembedded = Tensor(zeros: [0])  // [S, B, E]
  var gates = Tensor(zeros: [0]), hGates = Tensor(zeros: [0])  // [S, B, 3H]: input side (activated), hidden side
  var dgates = Tensor(zeros: [0]), dhGates = Tensor(zeros: [0])
  var hs = Tensor(zeros: [0]), dhs = Tensor(zeros: [0])  // [S+1, B, H]; index 0 is h₀
  var logitsTM = Tensor(zeros: [0]), logits = Tensor(zeros: [0]), dlogitsTM = Tensor(zeros: [0])
  var dinitPre = Tensor(zeros: [0])  // [B, H]
  var savedMean = Tensor(zeros: [0])  // the encoder's mean the forward pass read (a view)
  let decoding = DecodingState()
  let tokenProjection = TokenProjectionCache()
  var decodingHGates = Tensor(zeros: [0])  // [N, 3H]
  let hiddenProduct = GateProduct()

  public convenience init(vocabularySize v: Int, sizes: ModelSizes = .glimpseSmall) {
    self.init(vocabularySize: v, sizes: sizes, make: ParameterMaker())
  }

  init(vocabularySize v: Int, sizes: ModelSizes, make: ParameterMaker) {
    let (e, h, d) = (sizes.embedding, sizes.hidden, sizes.grid.features)
    (vocabularySize, self.sizes) = (v, sizes)
    embed = make("decoder.embed.weight", [v, e])
    weightIH = make("decoder.gru.weight_ih", [3 * h, e])
    weightHH = make("decoder.gru.weight_hh", [3 * h, h])
    biasIH = make("decoder.gru.bias_ih", [3 * h])
    biasHH = make("decoder.gru.bias_hh", [3 * h])
    initH = make("decoder.init_h.weight", [h, d])
    initHBias = make("decoder.init_h.bias", [h])
    out = make("decoder.out.weight", [v, h])
    outBias = make("decoder.out.bias", [v])
    parameters = [embed, weightIH, weightHH, biasIH, biasHH, initH, initHBias, out, outBias]
  }

  public var weightsFixed: Bool {
    get { tokenProjection.keepsRowsAcrossRuns }
    set { tokenProjection.keepsRowsAcrossRuns = newValue }
  }

  public func replica(ownGradients: Bool) -> CaptionDecoder {
    GRUDecoder(
      vocabularySize: vocabularySize, sizes: sizes,
      make: ParameterMaker(sharing: parameters, ownGradients: ownGradients))
  }

  public func initialize(random: inout SeededGenerator) {
    for p in [embed, weightIH, weightHH, initH, out] { initUniformFanIn(p.value, random: &random) }
    for p in [biasIH, biasHH, initHBias, outBias] { p.value.zero() }
  }

  func prepare(batch b: Int, steps s: Int) {
    guard b != batch || s != steps else { return }
    (batch, steps) = (b, s)
    let (e, h, v) = (sizes.embedding, sizes.hidden, vocabularySize)
    embedded = Tensor(zeros: [s, b, e]); dembedded = Tensor(zeros: [s, b, e])
    gates = Tensor(zeros: [s, b, 3 * h]); hGates = Tensor(zeros: [s, b, 3 * h])
    dgates = Tensor(zeros: [s, b, 3 * h]); dhGates = Tensor(zeros: [s, b, 3 * h])
    hs = Tensor(zeros: [s + 1, b, h]); dhs = Tensor(zeros: [s + 1, b, h])
    logitsTM = Tensor(zeros: [s, b, v]); dlogitsTM = Tensor(zeros: [s, b, v]); logits = Tensor(zeros: [b, s, v])
    dinitPre = Tensor(zeros: [b, h])
  }

  public func forward(grid: Tensor, mean: Tensor, inputs: [Int32], batch b: Int, steps s: Int) -> Tensor {
    prepare(batch: b, steps: s)
    savedMean = mean
    ids = timeMajor(inputs, batch: b, steps: s)
    embeddingForward(out: embedded, ids: ids, table: embed.value)
    linearForward(out: gates, inp: embedded, weight: weightIH.value, bias: biasIH.value)  // all steps at once
    linearForward(out: hs.slice(0), inp: mean, weight: initH.value, bias: initHBias.value)
    tanhForward(out: hs.slice(0), inp: hs.slice(0))
    for t in 0..<s {
      gruStepForward(
        gates: gates.slice(t), hGates: hGates.slice(t), h: hs.slice(t + 1), hPrev: hs.slice(t),
        whh: weightHH.value, bhh: biasHH.value)
    }
    let hidden = hs.slice(1..<(s + 1))
    linearForward(out: logitsTM, inp: hidden, weight: out.value, bias: outBias.value)
    transposeBatchTime(logitsTM.pointer, logits.pointer, outer: s, inner: b, width: vocabularySize)
    return logits
  }

  public func backward(dlogits: Tensor, dgrid: Tensor, dmean: Tensor) {
    let (s, b, h3) = (steps, batch, 3 * sizes.hidden)
    dhs.zero()
    transposeBatchTime(dlogits.pointer, dlogitsTM.pointer, outer: b, inner: s, width: vocabularySize)
    linearBackward(
      dinp: dhs.slice(1..<(s + 1)), dweight: out.gradient, dbias: outBias.gradient, dout: dlogitsTM,
      inp: hs.slice(1..<(s + 1)), weight: out.value)
    for t in stride(from: s - 1, through: 0, by: -1) {
      gruStepBackward(
        dgates: dgates.slice(t), dhGates: dhGates.slice(t), dhPrev: dhs.slice(t), dh: dhs.slice(t + 1),
        gates: gates.slice(t), hGates: hGates.slice(t), hPrev: hs.slice(t), whh: weightHH.value)
    }
    // The weights over all steps at once: dW_hh += dhGatesᵀ · hs[0..<S], dW_ih and dx from dgates.
    let rows = s * b
    gemm(
      transposeA: true, transposeB: false, m: h3, n: sizes.hidden, k: rows, a: dhGates.pointer, lda: h3,
      b: hs.pointer, ldb: sizes.hidden, beta: 1, c: weightHH.gradient.pointer, ldc: sizes.hidden)
    addRowSums(dhGates.pointer, rows: rows, columns: h3, into: biasHH.gradient.pointer)
    dembedded.zero()
    linearBackward(
      dinp: dembedded, dweight: weightIH.gradient, dbias: biasIH.gradient, dout: dgates, inp: embedded,
      weight: weightIH.value)
    embeddingBackward(dtable: embed.gradient, dout: dembedded, ids: ids)
    dinitPre.zero()
    tanhBackward(dinp: dinitPre, dout: dhs.slice(0), out: hs.slice(0))
    linearBackward(
      dinp: dmean, dweight: initH.gradient, dbias: initHBias.gradient, dout: dinitPre, inp: savedMean,
      weight: initH.value)
  }

  public func beginDecoding(grid: Tensor, mean: Tensor) {
    withOneBLASThread(when: mean.size(0) <= LSTMDecoderCore.rowsSplitAcrossCores) { begin(mean: mean) }
  }

  private func begin(mean: Tensor) {
    let n = mean.size(0)
    decoding.prepare(rows: n, vocabularySize: vocabularySize, hidden: sizes.hidden, gates: 3)
    if decodingHGates.count != n * 3 * sizes.hidden { decodingHGates = Tensor(zeros: [n, 3 * sizes.hidden]) }
    tokenProjection.reset(vocabularySize: vocabularySize, biases: [biasIH.value])
    linearForward(out: decoding.h, inp: mean, weight: initH.value, bias: initHBias.value)
    tanhForward(out: decoding.h, inp: decoding.h)
  }

  /// A step for a few rows runs h·W_hhᵀ in chunks on both cores with OpenBLAS on one thread
  /// (`LSTMDecoderCore.rowsSplitAcrossCores`): OpenBLAS's two threads, idling beside oneDNN's
  /// after a one-image encoder, stalled steps by a scheduler tick in some processes.
  public func decodeStep(tokens: [Int32]) -> Tensor {
    precondition(tokens.count == decoding.rows)
    let split = decoding.rows <= LSTMDecoderCore.rowsSplitAcrossCores
    return withOneBLASThread(when: split) {
      tokenProjection.project(
        tokens: tokens, table: embed.value, weight: weightIH.value.pointer, ldw: sizes.embedding,
        into: decoding.gates.pointer, ldo: 3 * sizes.hidden)
      if split {
        hiddenProductOnBothCores()
        gruStepActivate(gates: decoding.gates, hGates: decodingHGates, h: decoding.nextH, hPrev: decoding.h)
      } else {
        gruStepForward(
          gates: decoding.gates, hGates: decodingHGates, h: decoding.nextH, hPrev: decoding.h,
          whh: weightHH.value, bhh: biasHH.value)
      }
      return finishStep()
    }
  }

  /// hGates [N, 3H] = b_hh + h·W_hhᵀ, the product in chunks on both cores.
  private func hiddenProductOnBothCores() {
    let (rows, width) = (decoding.rows, 3 * sizes.hidden)
    for row in 0..<rows { (decodingHGates.pointer + row * width).update(from: biasHH.value.pointer, count: width) }
    hiddenProduct.addOnBothCores(
      x: decoding.h.pointer, rows: rows, depth: sizes.hidden, weight: weightHH.value.pointer, ldw: sizes.hidden,
      into: decodingHGates.pointer, width: width)
  }

  private func finishStep() -> Tensor {
    decoding.advance()
    linearForward(out: decoding.logits, inp: decoding.h, weight: out.value, bias: outBias.value)
    return decoding.logits
  }

  public func reorderRows(_ sources: [Int]) {
    DecodingState.reorder([decoding.h], sources, scratch: decoding.scratch)
  }
}
