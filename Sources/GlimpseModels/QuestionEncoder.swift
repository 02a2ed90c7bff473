import GlimpseCore
import GlimpseLayers
import GlimpseTensor

/// The spec's question encoder: embedding 256 and an LSTM 512 (state starting at zero) over
/// the question's tokens; q [B, H] is the hidden state after each question's last real token
/// (questions are padded with `<pad>` = 0 at the end).
final class QuestionEncoder {
  let sequence: LSTMSequence
  var lengths: [Int] = []
  var q = Tensor(zeros: [0])
  let hiddenProduct = GateProduct()
  var parameters: [Parameter] { sequence.parameters }

  init(vocabularySize: Int, sizes: ModelSizes, make: ParameterMaker = ParameterMaker()) {
    sequence = LSTMSequence(
      prefix: "question", vocabularySize: vocabularySize, embedding: sizes.embedding, hidden: sizes.hidden,
      inputSize: sizes.embedding, make: make)
  }

  func initialize(random: inout SeededGenerator) { sequence.initialize(random: &random) }

  /// questions [B, S] → q [B, H].
  func forward(questions: [Int32], batch: Int, steps: Int) -> Tensor {
    let h = sequence.hidden
    // Callers reject empty questions with a clear error before they reach the model.
    lengths = (0..<batch).map { b in
      var length = 0
      for t in 0..<steps where questions[b * steps + t] != SpecialToken.pad { length = t + 1 }
      precondition(length > 0, "question \(b) has no tokens")
      return length
    }
    let longest = lengths.max() ?? 0
    // A few questions run as a few-row decoding step does: the products in chunks on both cores,
    // OpenBLAS on one thread (`LSTMDecoderCore.rowsSplitAcrossCores`).
    let split = batch <= LSTMDecoderCore.rowsSplitAcrossCores
    withOneBLASThread(when: split) {
      sequence.begin(inputs: questions, batch: batch, steps: steps, onBothCores: split ? hiddenProduct : nil)
      sequence.hs.slice(0).zero()
      sequence.cs.slice(0).zero()
      for t in 0..<longest {
        if split { sequence.stepOnBothCores(t, hiddenProduct) } else { sequence.step(t) }
      }
    }
    if q.count != batch * h { q = Tensor(zeros: [batch, h]) }
    for b in 0..<batch { q.slice(b).assign(sequence.hs.slice(lengths[b]).slice(b)) }
    return q
  }

  /// Accumulates the parameters' gradients from dq [B, H].
  func backward(dq: Tensor) {
    sequence.beginBackward()
    for b in 0..<lengths.count { sequence.dhs.slice(lengths[b]).slice(b).assign(dq.slice(b)) }
    for t in stride(from: (lengths.max() ?? 0) - 1, through: 0, by: -1) { sequence.stepBackward(t) }
    sequence.endBackward()
  }
}
