import GlimpseCore
import GlimpseLayers
import GlimpseTensor

/// What the `lstm` and `attention` decoders share: the embedding and LSTM (an LSTMSequence
/// named `decoder`), the initial state h₀ = tanh(W_h0·v + b_h0), c₀ = tanh(W_c0·v + b_c0), and
/// the output layer. `inputSize` is 256 for `lstm`, 256 + 512 for `attention`.
final class LSTMDecoderCore {
  let vocabularySize: Int
  let sizes: ModelSizes
  let sequence: LSTMSequence
  let initH, initHBias, initC, initCBias, out, outBias: Parameter
  var logitsTM = Tensor(zeros: [0]), logits = Tensor(zeros: [0]), dlogitsTM = Tensor(zeros: [0]),
    dinitPre = Tensor(zeros: [0])
  var savedMean = Tensor(zeros: [0])
  let decoding = DecodingState()
  let tokenProjection = TokenProjectionCache()
  /// A few-row step's products, split between the cores: kept, so that a step allocates nothing.
  let hiddenProduct = GateProduct(), contextProduct = GateProduct(), outputProduct = OutputProduct()

  var parameters: [Parameter] { sequence.parameters + [initH, initHBias, initC, initCBias, out, outBias] }
  var batch: Int { sequence.batch }
  var steps: Int { sequence.steps }

  init(vocabularySize v: Int, sizes: ModelSizes, inputSize: Int, make: ParameterMaker) {
    let (h, d) = (sizes.hidden, sizes.grid.features)
    (vocabularySize, self.sizes) = (v, sizes)
    sequence = LSTMSequence(
      prefix: "decoder", vocabularySize: v, embedding: sizes.embedding, hidden: h, inputSize: inputSize,
      make: make)
    initH = make("decoder.init_h.weight", [h, d])
    initHBias = make("decoder.init_h.bias", [h])
    initC = make("decoder.init_c.weight", [h, d])
    initCBias = make("decoder.init_c.bias", [h])
    out = make("decoder.out.weight", [v, h])
    outBias = make("decoder.out.bias", [v])
  }

  func initialize(random: inout SeededGenerator) {
    sequence.initialize(random: &random)
    for p in [initH, initC, out] { initUniformFanIn(p.value, random: &random) }
    for p in [initHBias, initCBias, outBias] { p.value.zero() }
  }

  /// Embeds the inputs, fills the gates' input part, and sets h₀, c₀ from the image vector.
  func begin(mean: Tensor, inputs: [Int32], batch b: Int, steps s: Int) {
    let resized = b != batch || s != steps
    sequence.begin(inputs: inputs, batch: b, steps: s)
    if resized || logits.count == 0 {
      let v = vocabularySize
      logitsTM = Tensor(zeros: [s, b, v]); dlogitsTM = Tensor(zeros: [s, b, v]); logits = Tensor(zeros: [b, s, v])
      dinitPre = Tensor(zeros: [b, sizes.hidden])
    }
    savedMean = mean
    for (state, weight, bias) in [(sequence.hs, initH, initHBias), (sequence.cs, initC, initCBias)] {
      linearForward(out: state.slice(0), inp: mean, weight: weight.value, bias: bias.value)
      tanhForward(out: state.slice(0), inp: state.slice(0))
    }
  }

  /// The output layer over all steps at once; returns logits [B, S, V].
  func finish() -> Tensor {
    let hidden = sequence.hs.slice(1..<(steps + 1))
    linearForward(out: logitsTM, inp: hidden, weight: out.value, bias: outBias.value)
    transposeBatchTime(logitsTM.pointer, logits.pointer, outer: steps, inner: batch, width: vocabularySize)
    return logits
  }

  /// Backward through the output layer into dhs[1...].
  func beginBackward(dlogits: Tensor) {
    sequence.beginBackward()
    transposeBatchTime(dlogits.pointer, dlogitsTM.pointer, outer: batch, inner: steps, width: vocabularySize)
    let hidden = sequence.hs.slice(1..<(steps + 1))
    linearBackward(
      dinp: sequence.dhs.slice(1..<(steps + 1)), dweight: out.gradient, dbias: outBias.gradient,
      dout: dlogitsTM, inp: hidden, weight: out.value)
  }

  /// What `backward` finishes before its end, in this order (`CaptionDecoder.earlyGradientGroups`):
  /// the output layer, the initial state, the LSTM's recurrent weights and biases, its input weights.
  var earlyGradientGroups: [[Parameter]] {
    let lstm = sequence
    return [
      [out, outBias], [initH, initHBias, initC, initCBias], [lstm.weightHH, lstm.biasIH, lstm.biasHH],
      [lstm.weightIH],
    ]
  }

  /// After every step's backward: the initial state's gradients (dmean from them), then the LSTM's
  /// recurrent weights, then its input weights, `inputWeights` adding any part of them the caller
  /// computes; `finished` hears of groups 1 to 3 of `earlyGradientGroups` as each becomes final.
  /// The embedding's gradient is `endBackward`'s.
  func weightGradients(dmean: Tensor, finished: ((Int) -> Void)?, inputWeights: () -> Void = {}) {
    for (state, weight, bias, gradient) in [
      (sequence.hs, initH, initHBias, sequence.dhs), (sequence.cs, initC, initCBias, sequence.dcs),
    ] {
      dinitPre.zero()
      tanhBackward(dinp: dinitPre, dout: gradient.slice(0), out: state.slice(0))
      linearBackward(
        dinp: dmean, dweight: weight.gradient, dbias: bias.gradient, dout: dinitPre, inp: savedMean,
        weight: weight.value)
    }
    finished?(1)
    sequence.recurrentWeightGradients()
    finished?(2)
    inputWeights()
    sequence.inputWeightGradients()
    finished?(3)
  }

  func endBackward() { sequence.inputGradients() }

  /// Inference: h₀, c₀ from the image vectors mean [N, D].
  func beginDecoding(mean: Tensor) {
    decoding.prepare(rows: mean.size(0), vocabularySize: vocabularySize, hidden: sizes.hidden, gates: 4)
    tokenProjection.reset(vocabularySize: vocabularySize, biases: [sequence.biasIH.value, sequence.biasHH.value])
    for (state, weight, bias) in [(decoding.h, initH, initHBias), (decoding.c, initC, initCBias)] {
      linearForward(out: state, inp: mean, weight: weight.value, bias: bias.value)
      tanhForward(out: state, inp: state)
    }
  }

  /// Sets the gates to x·W_ih[:, :E]ᵀ + b_ih + b_hh for the tokens' embeddings x.
  func beginStep(tokens: [Int32]) {
    precondition(tokens.count == decoding.rows)
    tokenProjection.project(
      tokens: tokens, table: sequence.embed.value, weight: sequence.weightIH.value.pointer,
      ldw: sequence.inputSize, into: decoding.gates.pointer, ldo: 4 * sizes.hidden)
  }

  /// Up to this many rows (one image, a beam of 3), every decoder (and the VQA heads, for a few
  /// questions) splits a step's products by columns between this thread and
  /// `SpinningWorker.shared`, with OpenBLAS on one thread: OpenBLAS's idle thread, yielding
  /// beside oneDNN's spinning one after a one-image encoder, stalled steps by a scheduler tick
  /// in some processes. `decodeInParallel` gives each core a share of at least 4 rows, so its
  /// shares never contend for the worker.
  static let rowsSplitAcrossCores = ExecutionCores.count > 1 ? 3 : 0

  /// Adds x·Wᵀ to the gates, x [rows, K] and W [4H, K] with row stride ldw, in chunks of 128
  /// columns that this thread and `SpinningWorker.shared` take in turn, this thread after
  /// running the product's `before`. One thread alone cannot draw a 4 MB weight from the caches
  /// as fast as two; OpenBLAS's own threads would meet at every product.
  /// With `half`, W's float16 copy is read instead.
  func addToGatesOnBothCores(
    _ product: GateProduct, _ x: Tensor, _ weight: UnsafePointer<Float>, ldw: Int, half: HalfMatrix? = nil
  ) {
    let rows = decoding.rows
    product.addOnBothCores(
      x: x.pointer, rows: rows, depth: x.count / rows, weight: weight, ldw: ldw, into: decoding.gates.pointer,
      width: 4 * sizes.hidden, half: half)
  }

  /// The LSTM step on the completed gates, then the output layer: logits [N, V].
  /// With `hiddenProductAdded`, the gates already hold h·W_hhᵀ; with `halfOutput`, a few rows'
  /// logits read the output layer's float16 copy.
  func finishStep(hiddenProductAdded: Bool = false, halfOutput: HalfMatrix? = nil) -> Tensor {
    if hiddenProductAdded {
      lstmStepActivate(
        gates: decoding.gates, c: decoding.nextC, tanhC: decoding.tanhC, h: decoding.nextH, cPrev: decoding.c)
    } else {
      lstmStepForward(
        gates: decoding.gates, c: decoding.nextC, tanhC: decoding.tanhC, h: decoding.nextH,
        cPrev: decoding.c, hPrev: decoding.h, whh: sequence.weightHH.value)
    }
    decoding.advance()
    if decoding.rows <= Self.rowsSplitAcrossCores && out.value.count >= Self.outputSplitMinimum {
      outputOnBothCores(half: halfOutput)
    } else {
      linearForward(out: decoding.logits, inp: decoding.h, weight: out.value, bias: outBias.value)
    }
    return decoding.logits
  }

  /// From this many weights of the output layer (V·H), a step for a few rows computes the logits
  /// on both cores: at V = 10,000 the layer is 20 MB, more than one core draws from the caches in
  /// the time of a step.
  static let outputSplitMinimum = 1 << 20

  /// logits [N, V] = h·W_outᵀ + b in chunks of 512 words that this thread and
  /// `SpinningWorker.shared` take in turn (OpenBLAS on one thread, as the caller set it), from
  /// W_out or its float16 copy `half`.
  private func outputOnBothCores(half: HalfMatrix?) {
    let product = outputProduct
    (product.h, product.weight) = (UnsafePointer(decoding.h.pointer), UnsafePointer(out.value.pointer))
    (product.bias, product.logits) = (UnsafePointer(outBias.value.pointer), decoding.logits.pointer)
    (product.rows, product.hidden, product.words, product.half) = (decoding.rows, sizes.hidden, out.value.size(0), half)
    SpinningWorker.shared.run(chunks: product.chunks, product)
  }
}
