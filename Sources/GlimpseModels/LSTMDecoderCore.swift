import GlimpseLayers
import GlimpseTensor

/// What the `lstm` and `attention` decoders share: the embedding, the initial state
/// h₀ = tanh(W_h0·v + b_h0), c₀ = tanh(W_c0·v + b_c0), the LSTM weights (gates i, f, g, o),
/// and the output layer. `inputSize` is 256 for `lstm`, 256 + 512 for `attention`.
final class LSTMDecoderCore {
  let vocabularySize: Int
  let embed, initH, initHBias, initC, initCBias, weightIH, weightHH, biasIH, biasHH, out, outBias: Parameter
  var batch = 0, steps = 0
  var ids: [Int32] = []
  var embedded = Tensor(zeros: [0]), gates = Tensor(zeros: [0])          // [S, B, E], [S, B, 4H]
  var hs = Tensor(zeros: [0]), cs = Tensor(zeros: [0]), tanhCs = Tensor(zeros: [0])  // [S+1, B, H]; index 0 is the initial state
  var logitsTM = Tensor(zeros: [0]), logits = Tensor(zeros: [0])
  var dembedded = Tensor(zeros: [0]), dgates = Tensor(zeros: [0]), dhs = Tensor(zeros: [0]), dcs = Tensor(zeros: [0])
  var dlogitsTM = Tensor(zeros: [0]), dinitPre = Tensor(zeros: [0])
  var savedMean = Tensor(zeros: [0])

  var parameters: [Parameter] { [embed, initH, initHBias, initC, initCBias, weightIH, weightHH, biasIH, biasHH, out, outBias] }

  init(vocabularySize v: Int, inputSize: Int) {
    let (e, h, d) = (GlimpseSmall.embedding, GlimpseSmall.hidden, CNNEncoder.features)
    vocabularySize = v
    embed = Parameter("decoder.embed.weight", [v, e])
    initH = Parameter("decoder.init_h.weight", [h, d])
    initHBias = Parameter("decoder.init_h.bias", [h])
    initC = Parameter("decoder.init_c.weight", [h, d])
    initCBias = Parameter("decoder.init_c.bias", [h])
    weightIH = Parameter("decoder.lstm.weight_ih", [4 * h, inputSize])
    weightHH = Parameter("decoder.lstm.weight_hh", [4 * h, h])
    biasIH = Parameter("decoder.lstm.bias_ih", [4 * h])
    biasHH = Parameter("decoder.lstm.bias_hh", [4 * h])
    out = Parameter("decoder.out.weight", [v, h])
    outBias = Parameter("decoder.out.bias", [v])
  }

  func initialize(random: inout SeededGenerator) {
    for p in [embed, initH, initC, weightIH, weightHH, out] { initUniformFanIn(p.value, random: &random) }
    for p in [initHBias, initCBias, biasIH, biasHH, outBias] { p.value.zero() }
    // The forget gate's bias of 1 lives in bias_ih (rows H..<2H), as the spec says.
    let h = GlimpseSmall.hidden
    (biasIH.value.pointer + h).update(repeating: 1, count: h)
  }

  func prepare(batch b: Int, steps s: Int) {
    guard b != batch || s != steps else { return }
    (batch, steps) = (b, s)
    let (e, h, v) = (GlimpseSmall.embedding, GlimpseSmall.hidden, vocabularySize)
    embedded = Tensor(zeros: [s, b, e]); dembedded = Tensor(zeros: [s, b, e])
    gates = Tensor(zeros: [s, b, 4 * h]); dgates = Tensor(zeros: [s, b, 4 * h])
    hs = Tensor(zeros: [s + 1, b, h]); cs = Tensor(zeros: [s + 1, b, h]); tanhCs = Tensor(zeros: [s + 1, b, h])
    dhs = Tensor(zeros: [s + 1, b, h]); dcs = Tensor(zeros: [s + 1, b, h])
    logitsTM = Tensor(zeros: [s, b, v]); dlogitsTM = Tensor(zeros: [s, b, v]); logits = Tensor(zeros: [b, s, v])
    dinitPre = Tensor(zeros: [b, h])
  }

  /// Embeds the inputs, computes h₀ and c₀, and fills `gates` with x_t·W_ihᵀ (the embedding
  /// columns of W_ih, all steps in one GEMM) + b_ih + b_hh.
  func begin(mean: Tensor, inputs: [Int32], batch b: Int, steps s: Int) {
    prepare(batch: b, steps: s)
    savedMean = mean
    ids = timeMajor(inputs, batch: b, steps: s)
    embeddingForward(out: embedded, ids: ids, table: embed.value)
    linearForward(out: hs.slice(0), inp: mean, weight: initH.value, bias: initHBias.value)
    tanhForward(out: hs.slice(0), inp: hs.slice(0))
    linearForward(out: cs.slice(0), inp: mean, weight: initC.value, bias: initCBias.value)
    tanhForward(out: cs.slice(0), inp: cs.slice(0))
    let (e, h4, inputSize) = (GlimpseSmall.embedding, 4 * GlimpseSmall.hidden, weightIH.value.shape[1])
    for row in 0..<(s * b) {
      let target = gates.pointer + row * h4
      for k in 0..<h4 { target[k] = biasIH.value.pointer[k] + biasHH.value.pointer[k] }
    }
    gemm(transposeA: false, transposeB: true, m: s * b, n: h4, k: e, a: embedded.pointer, lda: e,
         b: weightIH.value.pointer, ldb: inputSize, beta: 1, c: gates.pointer, ldc: h4)
  }

  /// Runs LSTM step t on `gates[t]` (whose input part is complete), from state t to t + 1.
  func step(_ t: Int) {
    lstmStepForward(gates: gates.slice(t), c: cs.slice(t + 1), tanhC: tanhCs.slice(t + 1), h: hs.slice(t + 1),
                    cPrev: cs.slice(t), hPrev: hs.slice(t), whh: weightHH.value)
  }

  /// The output layer over all steps at once; returns logits [B, S, V].
  func finish() -> Tensor {
    linearForward(out: logitsTM, inp: hs.slice(1..<(steps + 1)), weight: out.value, bias: outBias.value)
    transposeBatchTime(logitsTM.pointer, logits.pointer, outer: steps, inner: batch, width: vocabularySize)
    return logits
  }

  /// Backward through the output layer into dhs[1...]; clears the other gradient buffers.
  func beginBackward(dlogits: Tensor) {
    for t in [dembedded, dgates, dhs, dcs] { t.zero() }
    transposeBatchTime(dlogits.pointer, dlogitsTM.pointer, outer: batch, inner: steps, width: vocabularySize)
    linearBackward(dinp: dhs.slice(1..<(steps + 1)), dweight: out.gradient, dbias: outBias.gradient, dout: dlogitsTM,
                   inp: hs.slice(1..<(steps + 1)), weight: out.value)
  }

  /// LSTM step t backward: dgates[t], and into dhs[t], dcs[t], dW_hh.
  func stepBackward(_ t: Int) {
    lstmStepBackward(dgates: dgates.slice(t), dcPrev: dcs.slice(t), dhPrev: dhs.slice(t), dwhh: weightHH.gradient,
                     dh: dhs.slice(t + 1), dc: dcs.slice(t + 1), gates: gates.slice(t), tanhC: tanhCs.slice(t + 1),
                     cPrev: cs.slice(t), hPrev: hs.slice(t), whh: weightHH.value)
  }

  /// After every step's backward: the embedding columns of W_ih, both biases, the embedding,
  /// and the initial state into dmean.
  func endBackward(dmean: Tensor) {
    let (e, h4, inputSize) = (GlimpseSmall.embedding, 4 * GlimpseSmall.hidden, weightIH.value.shape[1])
    let rows = steps * batch
    gemm(transposeA: true, transposeB: false, m: h4, n: e, k: rows, a: dgates.pointer, lda: h4,
         b: embedded.pointer, ldb: e, beta: 1, c: weightIH.gradient.pointer, ldc: inputSize)
    gemm(transposeA: false, transposeB: false, m: rows, n: e, k: h4, a: dgates.pointer, lda: h4,
         b: weightIH.value.pointer, ldb: inputSize, beta: 1, c: dembedded.pointer, ldc: e)
    addRows(dgates, rows: rows, into: biasIH.gradient)
    addRows(dgates, rows: rows, into: biasHH.gradient)
    embeddingBackward(dtable: embed.gradient, dout: dembedded, ids: ids)
    for (state, weight, bias, gradient) in [(hs, initH, initHBias, dhs), (cs, initC, initCBias, dcs)] {
      dinitPre.zero()
      tanhBackward(dinp: dinitPre, dout: gradient.slice(0), out: state.slice(0))
      linearBackward(dinp: dmean, dweight: weight.gradient, dbias: bias.gradient, dout: dinitPre, inp: savedMean, weight: weight.value)
    }
  }
}

/// into[C] += Σ_r matrix[r, C].
func addRows(_ matrix: Tensor, rows: Int, into: Tensor) {
  let columns = into.count
  for r in 0..<rows {
    let row = matrix.pointer + r * columns
    for c in 0..<columns { into.pointer[c] += row[c] }
  }
}
