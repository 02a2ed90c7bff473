import GlimpseCore
import GlimpseLayers
import GlimpseTensor

/// The spec's `rnn` decoder: h_t = tanh(Wxh·x_t + Whh·h_{t−1} + Wih·v + b), h₀ = 0;
/// logits = Why·h_t + by.
public final class RNNDecoder: CaptionDecoder {
  public let vocabularySize: Int
  public let sizes: ModelSizes
  public let parameters: [Parameter]
  let embed, wxh, bxh, whh, wih, out, bout: Parameter
  var batch = 0, steps = 0
  var ids: [Int32] = []
  var embedded = Tensor(zeros: [0]), xProj = Tensor(zeros: [0]), imageProj = Tensor(zeros: [0]),
    hidden = Tensor(zeros: [0])
  var logitsTM = Tensor(zeros: [0]), logits = Tensor(zeros: [0])
  var dembedded = Tensor(zeros: [0]), dxProj = Tensor(zeros: [0]), dimageProj = Tensor(zeros: [0]),
    dhidden = Tensor(zeros: [0])
  var dlogitsTM = Tensor(zeros: [0]), dpre = Tensor(zeros: [0])
  var savedMean = Tensor(zeros: [0])  // the encoder's mean the forward pass read (a view)
  let decoding = DecodingState()
  let tokenProjection = TokenProjectionCache()
  var decodingImage = Tensor(zeros: [0]), decodingX = Tensor(zeros: [0])
  let hiddenProduct = GateProduct()

  public convenience init(vocabularySize v: Int, sizes: ModelSizes = .glimpseSmall) {
    self.init(vocabularySize: v, sizes: sizes, make: ParameterMaker())
  }

  init(vocabularySize v: Int, sizes: ModelSizes, make: ParameterMaker) {
    let (e, h) = (sizes.embedding, sizes.hidden)
    (vocabularySize, self.sizes) = (v, sizes)
    embed = make("decoder.embed.weight", [v, e])
    wxh = make("decoder.wxh.weight", [h, e])
    bxh = make("decoder.wxh.bias", [h])
    whh = make("decoder.whh.weight", [h, h])
    wih = make("decoder.wih.weight", [h, sizes.grid.features])
    out = make("decoder.out.weight", [v, h])
    bout = make("decoder.out.bias", [v])
    parameters = [embed, wxh, bxh, whh, wih, out, bout]
  }

  public var weightsFixed: Bool {
    get { tokenProjection.keepsRowsAcrossRuns }
    set { tokenProjection.keepsRowsAcrossRuns = newValue }
  }

  public func replica(ownGradients: Bool) -> CaptionDecoder {
    RNNDecoder(
      vocabularySize: vocabularySize, sizes: sizes,
      make: ParameterMaker(sharing: parameters, ownGradients: ownGradients))
  }

  public func initialize(random: inout SeededGenerator) {
    for p in [embed, wxh, whh, wih, out] { initUniformFanIn(p.value, random: &random) }
    bxh.value.zero(); bout.value.zero()
  }

  func prepare(batch b: Int, steps s: Int) {
    guard b != batch || s != steps else { return }
    (batch, steps) = (b, s)
    let (e, h, v) = (sizes.embedding, sizes.hidden, vocabularySize)
    embedded = Tensor(zeros: [s, b, e]); dembedded = Tensor(zeros: [s, b, e])
    xProj = Tensor(zeros: [s, b, h]); dxProj = Tensor(zeros: [s, b, h])
    imageProj = Tensor(zeros: [b, h]); dimageProj = Tensor(zeros: [b, h])
    hidden = Tensor(zeros: [s, b, h]); dhidden = Tensor(zeros: [s, b, h])
    logitsTM = Tensor(zeros: [s, b, v]); dlogitsTM = Tensor(zeros: [s, b, v])
    logits = Tensor(zeros: [b, s, v])
    dpre = Tensor(zeros: [b, h])
  }

  public func forward(grid: Tensor, mean: Tensor, inputs: [Int32], batch b: Int, steps s: Int) -> Tensor {
    prepare(batch: b, steps: s)
    savedMean = mean
    ids = timeMajor(inputs, batch: b, steps: s)
    embeddingForward(out: embedded, ids: ids, table: embed.value)
    linearForward(out: xProj, inp: embedded, weight: wxh.value, bias: bxh.value)  // all steps at once
    linearForward(out: imageProj, inp: mean, weight: wih.value, bias: nil)
    for t in 0..<s {
      rnnStepForward(
        h: hidden.slice(t), xProj: xProj.slice(t), imageProj: imageProj,
        hPrev: t == 0 ? nil : hidden.slice(t - 1), whh: whh.value)
    }
    linearForward(out: logitsTM, inp: hidden, weight: out.value, bias: bout.value)
    transposeBatchTime(logitsTM.pointer, logits.pointer, outer: s, inner: b, width: vocabularySize)
    return logits
  }

  public func backward(dlogits: Tensor, dgrid: Tensor, dmean: Tensor) {
    for t in [dembedded, dxProj, dimageProj, dhidden] { t.zero() }
    transposeBatchTime(dlogits.pointer, dlogitsTM.pointer, outer: batch, inner: steps, width: vocabularySize)
    linearBackward(
      dinp: dhidden, dweight: out.gradient, dbias: bout.gradient, dout: dlogitsTM, inp: hidden, weight: out.value)
    for t in stride(from: steps - 1, through: 0, by: -1) {
      rnnStepBackward(
        dxProj: dxProj.slice(t), dimageProj: dimageProj, dhPrev: t == 0 ? nil : dhidden.slice(t - 1),
        dwhh: whh.gradient, dh: dhidden.slice(t), h: hidden.slice(t),
        hPrev: t == 0 ? nil : hidden.slice(t - 1), whh: whh.value, dpre: dpre)
    }
    linearBackward(
      dinp: dembedded, dweight: wxh.gradient, dbias: bxh.gradient, dout: dxProj, inp: embedded, weight: wxh.value)
    embeddingBackward(dtable: embed.gradient, dout: dembedded, ids: ids)
    linearBackward(dinp: dmean, dweight: wih.gradient, dbias: nil, dout: dimageProj, inp: savedMean, weight: wih.value)
  }

  public func beginDecoding(grid: Tensor, mean: Tensor) {
    withOneBLASThread(when: mean.size(0) <= LSTMDecoderCore.rowsSplitAcrossCores) { begin(mean: mean) }
  }

  private func begin(mean: Tensor) {
    let n = mean.size(0)
    decoding.prepare(rows: n, vocabularySize: vocabularySize, hidden: sizes.hidden, gates: 1)
    if decodingImage.count != n * sizes.hidden {
      decodingImage = Tensor(zeros: [n, sizes.hidden])
      decodingX = Tensor(zeros: [n, sizes.hidden])
    }
    linearForward(out: decodingImage, inp: mean, weight: wih.value, bias: nil)
    tokenProjection.reset(vocabularySize: vocabularySize, biases: [bxh.value])
    decoding.h.zero()  // h₀ = 0
  }

  /// A step for a few rows runs h·W_hhᵀ in chunks on both cores with OpenBLAS on one thread
  /// (`LSTMDecoderCore.rowsSplitAcrossCores`): OpenBLAS's two threads, idling beside oneDNN's
  /// after a one-image encoder, stalled steps by a scheduler tick in some processes.
  public func decodeStep(tokens: [Int32]) -> Tensor {
    precondition(tokens.count == decoding.rows)
    let split = decoding.rows <= LSTMDecoderCore.rowsSplitAcrossCores
    return withOneBLASThread(when: split) {
      tokenProjection.project(
        tokens: tokens, table: embed.value, weight: wxh.value.pointer, ldw: sizes.embedding,
        into: decodingX.pointer, ldo: sizes.hidden)
      if split {
        // h' = tanh(x·W_xhᵀ + b + v·W_ihᵀ + h·W_hhᵀ), the last product in chunks on both cores.
        let (next, x, image) = (decoding.nextH.pointer, decodingX.pointer, decodingImage.pointer)
        for i in 0..<decoding.nextH.count { next[i] = x[i] + image[i] }
        hiddenProduct.addOnBothCores(
          x: decoding.h.pointer, rows: decoding.rows, depth: sizes.hidden, weight: whh.value.pointer,
          ldw: sizes.hidden, into: next, width: sizes.hidden)
        vectorTanh(next, next, count: decoding.nextH.count)
      } else {
        rnnStepForward(
          h: decoding.nextH, xProj: decodingX, imageProj: decodingImage, hPrev: decoding.h, whh: whh.value)
      }
      return finishStep()
    }
  }

  private func finishStep() -> Tensor {
    decoding.advance()
    linearForward(out: decoding.logits, inp: decoding.h, weight: out.value, bias: bout.value)
    return decoding.logits
  }

  public func reorderRows(_ sources: [Int]) {
    DecodingState.reorder([decoding.h, decodingImage], sources, scratch: decoding.scratch)
  }
}
