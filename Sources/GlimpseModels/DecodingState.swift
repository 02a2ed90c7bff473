import GlimpseTensor

/// Recurrent state for step-by-step decoding of N rows: the current h (and c), a second buffer
/// for the next step, and the gates. Buffers are made once per row count.
final class DecodingState {
  private(set) var rows = 0
  var h = Tensor(zeros: [0]), c = Tensor(zeros: [0])
  var nextH = Tensor(zeros: [0]), nextC = Tensor(zeros: [0])
  var gates = Tensor(zeros: [0]), tanhC = Tensor(zeros: [0])
  var logits = Tensor(zeros: [0])
  var scratch = Tensor(zeros: [0])

  /// Buffers for n rows of a state of `hidden` values with `gates` gate blocks of that width.
  func prepare(rows n: Int, vocabularySize v: Int, hidden: Int, gates gateCount: Int) {
    guard n != rows || logits.count != n * v || h.count != n * hidden || gates.count != n * gateCount * hidden else {
      return
    }
    rows = n
    (h, c, nextH, nextC) = (
      Tensor(zeros: [n, hidden]), Tensor(zeros: [n, hidden]), Tensor(zeros: [n, hidden]), Tensor(zeros: [n, hidden])
    )
    gates = Tensor(zeros: [n, gateCount * hidden]); tanhC = Tensor(zeros: [n, hidden])
    logits = Tensor(zeros: [n, v])
    scratch = Tensor(zeros: [n, hidden])
  }

  /// Makes the next-step buffers current.
  func advance() {
    swap(&h, &nextH)
    swap(&c, &nextC)
  }

  /// Row i of each listed tensor takes row sources[i]'s values.
  static func reorder(_ tensors: [Tensor], _ sources: [Int], scratch: Tensor) {
    for tensor in tensors {
      let width = tensor.count / sources.count
      let copy = scratch.count >= tensor.count ? scratch : Tensor(zeros: [tensor.count])
      copy.pointer.update(from: tensor.pointer, count: tensor.count)
      for (row, source) in sources.enumerated() {
        (tensor.pointer + row * width).update(from: copy.pointer + source * width, count: width)
      }
    }
  }
}
