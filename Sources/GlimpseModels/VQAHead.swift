import GlimpseCore
import GlimpseLayers
import GlimpseTensor

/// A VQA head over the encoder's grid and mean and a question [B, S]: answer logits [B, A].
public protocol VQAHead: AnyObject {
  var parameters: [Parameter] { get }
  var sizes: ModelSizes { get }
  var answerCount: Int { get }
  func initialize(random: inout SeededGenerator)
  /// Returns logits [B, A], a view of the model's own buffer.
  func forward(grid: Tensor, mean: Tensor, questions: [Int32], batch: Int, steps: Int) -> Tensor
  /// Accumulates parameter gradients and dgrid [B, L, D], dmean [B, D] from dlogits [B, A].
  func backward(dlogits: Tensor, dgrid: Tensor, dmean: Tensor)
}

/// The spec's `vqa-concat` ("LSTM Q + I"): f = tanh(W_v·v) ⊙ tanh(W_q·q), then Linear 512→512,
/// ReLU, Linear 512→answers.
public final class VQAConcat: VQAHead {
  let question: QuestionEncoder
  let wv, wq, fc1, fc1Bias, fc2, fc2Bias: Parameter
  public let answerCount: Int
  public var parameters: [Parameter] { question.parameters + [wv, wq, fc1, fc1Bias, fc2, fc2Bias] }
  var batch = 0
  var tv = Tensor(zeros: [0]), tq = Tensor(zeros: [0]), fused = Tensor(zeros: [0]), hidden = Tensor(zeros: [0]),
    logits = Tensor(zeros: [0])
  var dtv = Tensor(zeros: [0]), dtq = Tensor(zeros: [0]), dfused = Tensor(zeros: [0]), dhidden = Tensor(zeros: [0])
  var dpre = Tensor(zeros: [0]), dq = Tensor(zeros: [0])
  var savedMean = Tensor(zeros: [0])

  public let sizes: ModelSizes

  public init(questionVocabularySize: Int, answerCount: Int, sizes: ModelSizes = .glimpseSmall) {
    let (h, d) = (sizes.hidden, sizes.grid.features)
    self.sizes = sizes
    question = QuestionEncoder(vocabularySize: questionVocabularySize, sizes: sizes)
    self.answerCount = answerCount
    wv = Parameter("wv.weight", [h, d]); wq = Parameter("wq.weight", [h, h])
    fc1 = Parameter("fc1.weight", [h, h]); fc1Bias = Parameter("fc1.bias", [h])
    fc2 = Parameter("fc2.weight", [answerCount, h]); fc2Bias = Parameter("fc2.bias", [answerCount])
  }

  public func initialize(random: inout SeededGenerator) {
    question.initialize(random: &random)
    for p in [wv, wq, fc1, fc2] { initUniformFanIn(p.value, random: &random) }
    fc1Bias.value.zero(); fc2Bias.value.zero()
  }

  func prepare(batch b: Int) {
    guard b != batch else { return }
    batch = b
    let h = sizes.hidden
    (tv, tq, fused, hidden) = (
      Tensor(zeros: [b, h]), Tensor(zeros: [b, h]), Tensor(zeros: [b, h]), Tensor(zeros: [b, h])
    )
    (dtv, dtq, dfused, dhidden) = (
      Tensor(zeros: [b, h]), Tensor(zeros: [b, h]), Tensor(zeros: [b, h]), Tensor(zeros: [b, h])
    )
    (dpre, dq) = (Tensor(zeros: [b, h]), Tensor(zeros: [b, h]))
    logits = Tensor(zeros: [b, answerCount])
  }

  public func forward(grid: Tensor, mean: Tensor, questions: [Int32], batch b: Int, steps: Int) -> Tensor {
    // A few questions run with OpenBLAS on one thread, as a few-row decoding step does.
    withOneBLASThread(when: b <= LSTMDecoderCore.rowsSplitAcrossCores) {
      forwardBody(grid: grid, mean: mean, questions: questions, batch: b, steps: steps)
    }
  }

  private func forwardBody(grid: Tensor, mean: Tensor, questions: [Int32], batch b: Int, steps: Int) -> Tensor {
    prepare(batch: b)
    savedMean = mean
    let q = question.forward(questions: questions, batch: b, steps: steps)
    let image = { [self] in
      linearForward(out: tv, inp: mean, weight: wv.value, bias: nil)
      tanhForward(out: tv, inp: tv)
    }
    let text = { [self] in
      linearForward(out: tq, inp: q, weight: wq.value, bias: nil)
      tanhForward(out: tq, inp: tq)
    }
    if b <= LSTMDecoderCore.rowsSplitAcrossCores {
      SpinningWorker.shared.run { $0 == 0 ? image() : text() }  // `forward` set OpenBLAS to one thread
    } else {
      image()
      text()
    }
    for i in 0..<fused.count { fused.pointer[i] = tv.pointer[i] * tq.pointer[i] }
    linearForward(out: hidden, inp: fused, weight: fc1.value, bias: fc1Bias.value)
    reluForward(out: hidden, inp: hidden)
    linearForward(out: logits, inp: hidden, weight: fc2.value, bias: fc2Bias.value)
    return logits
  }

  public func backward(dlogits: Tensor, dgrid: Tensor, dmean: Tensor) {
    for t in [dtv, dtq, dfused, dhidden, dq] { t.zero() }
    linearBackward(
      dinp: dhidden, dweight: fc2.gradient, dbias: fc2Bias.gradient, dout: dlogits, inp: hidden, weight: fc2.value)
    let (g, y) = (dhidden.pointer, hidden.pointer)
    for i in 0..<dhidden.count where y[i] <= 0 { g[i] = 0 }
    linearBackward(
      dinp: dfused, dweight: fc1.gradient, dbias: fc1Bias.gradient, dout: dhidden, inp: fused, weight: fc1.value)
    for i in 0..<dfused.count {
      dtv.pointer[i] = dfused.pointer[i] * tq.pointer[i]
      dtq.pointer[i] = dfused.pointer[i] * tv.pointer[i]
    }
    dpre.zero()
    tanhBackward(dinp: dpre, dout: dtv, out: tv)
    linearBackward(dinp: dmean, dweight: wv.gradient, dbias: nil, dout: dpre, inp: savedMean, weight: wv.value)
    dpre.zero()
    tanhBackward(dinp: dpre, dout: dtq, out: tq)
    linearBackward(dinp: dq, dweight: wq.gradient, dbias: nil, dout: dpre, inp: question.q, weight: wq.value)
    question.backward(dq: dq)
  }
}

/// The spec's `vqa-san`: u₀ = tanh(W_q·q); two stacked-attention hops over the grid
/// (h_i = tanh(W_I·a_i + W_U·u + b), p = softmax(w_p·h), u ← u + Σ p_i a_i); logits = W_ans·u₂ + b.
public final class VQASAN: VQAHead {
  public let sizes: ModelSizes
  public var hops: Int { sizes.hops }
  let question: QuestionEncoder
  let wq, ans, ansBias: Parameter
  let wi, wiBias, wu, wp: [Parameter]
  public let answerCount: Int
  public var parameters: [Parameter] {
    var list = question.parameters + [wq]
    for k in 0..<hops { list += [wi[k], wiBias[k], wu[k], wp[k]] }
    return list + [ans, ansBias]
  }
  var batch = 0
  var us: [Tensor] = [], dus: [Tensor] = []  // u₀ … u₂, [B, D]
  var keys: [Tensor] = [], dkeys: [Tensor] = []  // per hop [B, L, A]
  var p: [Tensor] = [], pre: [Tensor] = []  // per hop [B, L], [B, L, A]
  var context = Tensor(zeros: [0]), logits = Tensor(zeros: [0]), dpre = Tensor(zeros: [0]), dq = Tensor(zeros: [0])
  var workspace = AdditiveAttentionWorkspace(batch: 0, locations: 0, attention: 0)
  var savedGrid = Tensor(zeros: [0])

  public init(questionVocabularySize: Int, answerCount: Int, sizes: ModelSizes = .glimpseSmall) {
    let (h, d, a) = (sizes.hidden, sizes.grid.features, sizes.attention)
    self.sizes = sizes
    question = QuestionEncoder(vocabularySize: questionVocabularySize, sizes: sizes)
    self.answerCount = answerCount
    wq = Parameter("wq.weight", [d, h])
    wi = (0..<sizes.hops).map { Parameter("hops.\($0).wi.weight", [a, d]) }
    wiBias = (0..<sizes.hops).map { Parameter("hops.\($0).wi.bias", [a]) }
    wu = (0..<sizes.hops).map { Parameter("hops.\($0).wu.weight", [a, d]) }
    wp = (0..<sizes.hops).map { Parameter("hops.\($0).wp.weight", [1, a]) }
    ans = Parameter("ans.weight", [answerCount, d]); ansBias = Parameter("ans.bias", [answerCount])
  }

  public func initialize(random: inout SeededGenerator) {
    question.initialize(random: &random)
    for p in [wq, ans] + wi + wu + wp { initUniformFanIn(p.value, random: &random) }
    for p in wiBias + [ansBias] { p.value.zero() }
  }

  func prepare(batch b: Int) {
    guard b != batch else { return }
    batch = b
    let (d, l, a) = (sizes.grid.features, sizes.grid.locations, sizes.attention)
    us = (0...hops).map { _ in Tensor(zeros: [b, d]) }
    dus = (0...hops).map { _ in Tensor(zeros: [b, d]) }
    keys = (0..<hops).map { _ in Tensor(zeros: [b, l, a]) }
    dkeys = (0..<hops).map { _ in Tensor(zeros: [b, l, a]) }
    p = (0..<hops).map { _ in Tensor(zeros: [b, l]) }
    pre = (0..<hops).map { _ in Tensor(zeros: [b, l, a]) }
    context = Tensor(zeros: [b, d]); dpre = Tensor(zeros: [b, d]); dq = Tensor(zeros: [b, sizes.hidden])
    logits = Tensor(zeros: [b, answerCount])
    workspace = AdditiveAttentionWorkspace(batch: b, locations: l, attention: a)
  }

  public func forward(grid: Tensor, mean: Tensor, questions: [Int32], batch b: Int, steps: Int) -> Tensor {
    // A few questions run with OpenBLAS on one thread, as a few-row decoding step does.
    withOneBLASThread(when: b <= LSTMDecoderCore.rowsSplitAcrossCores) {
      forwardBody(grid: grid, mean: mean, questions: questions, batch: b, steps: steps)
    }
  }

  private func forwardBody(grid: Tensor, mean: Tensor, questions: [Int32], batch b: Int, steps: Int) -> Tensor {
    prepare(batch: b)
    savedGrid = grid
    let q = question.forward(questions: questions, batch: b, steps: steps)
    linearForward(out: us[0], inp: q, weight: wq.value, bias: nil)
    tanhForward(out: us[0], inp: us[0])
    if b <= LSTMDecoderCore.rowsSplitAcrossCores {
      hopKeysOnBothCores(grid: grid)  // `forward` set OpenBLAS to one thread
    } else {
      for k in 0..<hops { linearForward(out: keys[k], inp: grid, weight: wi[k].value, bias: wiBias[k].value) }
    }
    for k in 0..<hops {
      stackedAttentionHopForward(
        uNext: us[k + 1], p: p[k], pre: pre[k], context: context, keys: keys[k], grid: grid,
        u: us[k], wU: wu[k].value, wP: wp[k].value, workspace: workspace)
    }
    linearForward(out: logits, inp: us[hops], weight: ans.value, bias: ansBias.value)
    return logits
  }

  /// Each hop's keys [B, L, A] = grid·W_Iᵀ + b, which the question does not change, in halves of
  /// the grid's rows on both cores.
  private func hopKeysOnBothCores(grid: Tensor) {
    let (rows, d) = (grid.count / grid.size(grid.rank - 1), grid.size(grid.rank - 1))
    let locations = grid.reshaped([rows, d])
    SpinningWorker.shared.run(chunks: 2 * hops) { [self] chunk in
      let (k, half) = (chunk / 2, chunk % 2)
      let part = contiguousShare(rows, part: half, of: 2)
      let hopKeys = keys[k].reshaped([rows, keys[k].count / rows])
      linearForward(out: hopKeys.slice(part), inp: locations.slice(part), weight: wi[k].value, bias: wiBias[k].value)
    }
  }

  public func backward(dlogits: Tensor, dgrid: Tensor, dmean: Tensor) {
    backward(dlogits: dlogits, dgrid: dgrid, dmean: dmean, hopWeightGradients: nil)
  }

  /// The same, with extra gradient on each hop's weights [B, L] (attention supervision's).
  public func backward(dlogits: Tensor, dgrid: Tensor, dmean: Tensor, hopWeightGradients: [Tensor]?) {
    for t in dus + dkeys + [dq] { t.zero() }
    linearBackward(
      dinp: dus[hops], dweight: ans.gradient, dbias: ansBias.gradient, dout: dlogits, inp: us[hops], weight: ans.value)
    for k in stride(from: hops - 1, through: 0, by: -1) {
      stackedAttentionHopBackward(
        dkeys: dkeys[k], dgrid: dgrid, du: dus[k], dwU: wu[k].gradient, dwP: wp[k].gradient,
        duNext: dus[k + 1], p: p[k], pre: pre[k], grid: savedGrid, u: us[k],
        wU: wu[k].value, wP: wp[k].value, workspace: workspace, dpExtra: hopWeightGradients?[k])
      linearBackward(
        dinp: dgrid, dweight: wi[k].gradient, dbias: wiBias[k].gradient, dout: dkeys[k], inp: savedGrid,
        weight: wi[k].value)
    }
    dpre.zero()
    tanhBackward(dinp: dpre, dout: dus[0], out: us[0])
    linearBackward(dinp: dq, dweight: wq.gradient, dbias: nil, dout: dpre, inp: question.q, weight: wq.value)
    question.backward(dq: dq)
  }

  /// Each hop's attention over the grid from the last forward pass, [B, L].
  public var hopWeights: [Tensor] { p }
}
