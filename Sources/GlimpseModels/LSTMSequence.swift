import GlimpseCore
import GlimpseLayers
import GlimpseTensor

/// An embedding and an LSTM run over a whole token sequence, with backpropagation through
/// time: the part the caption decoders and the question encoder share. The caller sets the
/// initial state hs[0], cs[0] and may add to each step's gates before running it (attention
/// adds z_t's columns). Parameters are named `PREFIX.embed.weight`, `PREFIX.lstm.weight_ih`, ….
final class LSTMSequence {
  let embed, weightIH, weightHH, biasIH, biasHH: Parameter
  private(set) var batch = 0, steps = 0
  var ids: [Int32] = []
  var embedded = Tensor(zeros: [0]), gates = Tensor(zeros: [0])  // [S, B, E], [S, B, 4H]
  // [S+1, B, H]; index 0 is the initial state
  var hs = Tensor(zeros: [0]), cs = Tensor(zeros: [0]), tanhCs = Tensor(zeros: [0])
  var dembedded = Tensor(zeros: [0]), dgates = Tensor(zeros: [0]), dhs = Tensor(zeros: [0]), dcs = Tensor(zeros: [0])

  var parameters: [Parameter] { [embed, weightIH, weightHH, biasIH, biasHH] }
  var inputSize: Int { weightIH.value.size(1) }
  var embedding: Int { embed.value.size(1) }
  var hidden: Int { weightHH.value.size(1) }

  init(
    prefix: String, vocabularySize v: Int, embedding e: Int, hidden h: Int, inputSize: Int,
    make: ParameterMaker = ParameterMaker()
  ) {
    embed = make("\(prefix).embed.weight", [v, e])
    weightIH = make("\(prefix).lstm.weight_ih", [4 * h, inputSize])
    weightHH = make("\(prefix).lstm.weight_hh", [4 * h, h])
    biasIH = make("\(prefix).lstm.bias_ih", [4 * h])
    biasHH = make("\(prefix).lstm.bias_hh", [4 * h])
  }

  func initialize(random: inout SeededGenerator) {
    for p in [embed, weightIH, weightHH] { initUniformFanIn(p.value, random: &random) }
    biasIH.value.zero(); biasHH.value.zero()
    // The forget gate's bias of 1 lives in bias_ih (rows H..<2H), as the spec says.
    let h = hidden
    (biasIH.value.pointer + h).update(repeating: 1, count: h)
  }

  func prepare(batch b: Int, steps s: Int) {
    guard b != batch || s != steps else { return }
    (batch, steps) = (b, s)
    let (e, h) = (embedding, hidden)
    embedded = Tensor(zeros: [s, b, e]); dembedded = Tensor(zeros: [s, b, e])
    gates = Tensor(zeros: [s, b, 4 * h]); dgates = Tensor(zeros: [s, b, 4 * h])
    hs = Tensor(zeros: [s + 1, b, h]); cs = Tensor(zeros: [s + 1, b, h]); tanhCs = Tensor(zeros: [s + 1, b, h])
    dhs = Tensor(zeros: [s + 1, b, h]); dcs = Tensor(zeros: [s + 1, b, h])
  }

  /// Embeds tokens [B, S] and fills `gates` with x_t·W_ihᵀ (the embedding columns of W_ih,
  /// all steps in one GEMM, or with `product` in chunks on both cores) + b_ih + b_hh. hs[0] and
  /// cs[0] are the caller's to set.
  func begin(inputs: [Int32], batch b: Int, steps s: Int, onBothCores product: GateProduct? = nil) {
    prepare(batch: b, steps: s)
    ids = timeMajor(inputs, batch: b, steps: s)
    embeddingForward(out: embedded, ids: ids, table: embed.value)
    let (e, h4) = (embedding, 4 * hidden)
    for row in 0..<(s * b) {
      let target = gates.pointer + row * h4
      for k in 0..<h4 { target[k] = biasIH.value.pointer[k] + biasHH.value.pointer[k] }
    }
    if let product {
      product.addOnBothCores(
        x: embedded.pointer, rows: s * b, depth: e, weight: weightIH.value.pointer, ldw: inputSize,
        into: gates.pointer, width: h4)
      return
    }
    gemm(
      transposeA: false, transposeB: true, m: s * b, n: h4, k: e, a: embedded.pointer, lda: e,
      b: weightIH.value.pointer, ldb: inputSize, beta: 1, c: gates.pointer, ldc: h4)
  }

  /// LSTM step t on `gates[t]` (whose input part is complete), from state t to t + 1.
  func step(_ t: Int) {
    lstmStepForward(
      gates: gates.slice(t), c: cs.slice(t + 1), tanhC: tanhCs.slice(t + 1), h: hs.slice(t + 1),
      cPrev: cs.slice(t), hPrev: hs.slice(t), whh: weightHH.value)
  }

  /// As `step`, with hs[t]·W_hhᵀ in chunks on both cores (`SpinningWorker.shared`): for a few
  /// rows, with OpenBLAS on one thread.
  func stepOnBothCores(_ t: Int, _ product: GateProduct) {
    product.addOnBothCores(
      x: hs.slice(t).pointer, rows: batch, depth: hidden, weight: weightHH.value.pointer, ldw: hidden,
      into: gates.slice(t).pointer, width: 4 * hidden)
    lstmStepActivate(
      gates: gates.slice(t), c: cs.slice(t + 1), tanhC: tanhCs.slice(t + 1), h: hs.slice(t + 1), cPrev: cs.slice(t))
  }

  /// Clears the gradient buffers; the caller then adds its gradients into dhs (and dcs).
  func beginBackward() { for t in [dembedded, dgates, dhs, dcs] { t.zero() } }

  /// Step t backward: dgates[t], and into dhs[t], dcs[t] (dW_hh waits for `endBackward`).
  func stepBackward(_ t: Int) {
    lstmStepBackward(
      dgates: dgates.slice(t), dcPrev: dcs.slice(t), dhPrev: dhs.slice(t), dwhh: nil,
      dh: dhs.slice(t + 1), dc: dcs.slice(t + 1), gates: gates.slice(t), tanhC: tanhCs.slice(t + 1),
      cPrev: cs.slice(t), hPrev: hs.slice(t), whh: weightHH.value)
  }

  /// After every step's backward: W_hh, the embedding columns of W_ih, both biases and the
  /// embedding, each in one GEMM or pass over all steps (a GEMM per step with k = B would read
  /// and write the whole weight gradient S times). dhs[0] and dcs[0] then hold the initial
  /// state's gradient.
  func endBackward() {
    recurrentWeightGradients()
    inputWeightGradients()
    inputGradients()
  }

  /// The first part of `endBackward`: W_hh and both biases.
  func recurrentWeightGradients() {
    let (h, h4) = (hidden, 4 * hidden)
    let rows = steps * batch
    // dW_hh += dgates[S·B, 4H]ᵀ · hs[0..<S] (each step's previous state).
    gemm(
      transposeA: true, transposeB: false, m: h4, n: h, k: rows, a: dgates.pointer, lda: h4,
      b: hs.pointer, ldb: h, beta: 1, c: weightHH.gradient.pointer, ldc: h)
    addRowSums(dgates.pointer, rows: rows, columns: h4, into: biasIH.gradient.pointer)
    addRowSums(dgates.pointer, rows: rows, columns: h4, into: biasHH.gradient.pointer)
  }

  /// The second part: W_ih's embedding columns.
  func inputWeightGradients() {
    gemm(
      transposeA: true, transposeB: false, m: 4 * hidden, n: embedding, k: steps * batch, a: dgates.pointer,
      lda: 4 * hidden, b: embedded.pointer, ldb: embedding, beta: 1, c: weightIH.gradient.pointer, ldc: inputSize)
  }

  /// The third part of `endBackward`: the embedding's gradient, through the embedded inputs.
  func inputGradients() {
    let (e, h4) = (embedding, 4 * hidden)
    gemm(
      transposeA: false, transposeB: false, m: steps * batch, n: e, k: h4, a: dgates.pointer, lda: h4,
      b: weightIH.value.pointer, ldb: inputSize, beta: 1, c: dembedded.pointer, ldc: e)
    embeddingBackward(dtable: embed.gradient, dout: dembedded, ids: ids)
  }
}
