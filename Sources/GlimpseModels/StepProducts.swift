import GlimpseTensor

/// gates [rows, 4H] += x [rows, K] · Wᵀ, W [4H, K] with row stride ldw (or its float16 copy), in
/// chunks of 128 columns: one product of a few-row decoding step, split between the two cores
/// (`LSTMDecoderCore.addToGatesOnBothCores`). Kept by the decoder from step to step, so that
/// handing it to the worker allocates nothing.
final class GateProduct: ChunkedWork {
  static let chunk = 128
  var x = UnsafePointer<Float>(bitPattern: 8)!, weight = UnsafePointer<Float>(bitPattern: 8)!
  var gates = UnsafeMutablePointer<Float>(bitPattern: 8)!
  var (rows, depth, ldw, width) = (0, 0, 0, 0)
  var half: HalfMatrix?
  /// Runs on the calling thread first (the attention decoder's attention, for the hidden product).
  var before: (() -> Void)?

  var chunks: Int { (width + Self.chunk - 1) / Self.chunk }

  /// out [rows, width] += x [rows, depth] · Wᵀ, W [width, depth] with row stride ldw (or its
  /// float16 copy `half`), in chunks taken in turn by this thread (after `before`) and
  /// `SpinningWorker.shared`; OpenBLAS on one thread, as the caller set it.
  func addOnBothCores(
    x: UnsafePointer<Float>, rows: Int, depth: Int, weight: UnsafePointer<Float>, ldw: Int,
    into out: UnsafeMutablePointer<Float>, width: Int, half: HalfMatrix? = nil
  ) {
    (self.x, self.weight, self.gates, self.half) = (x, weight, out, half)
    (self.rows, self.depth, self.ldw, self.width) = (rows, depth, ldw, width)
    SpinningWorker.shared.run(chunks: chunks, self)
  }

  func first() { before?() }

  func chunk(_ c: Int) {
    let columns = (c * Self.chunk)..<min((c + 1) * Self.chunk, width)
    if let half {
      halfProduct(x: x, ldx: depth, m: rows, weight: half, columns: columns, beta: 1, out: gates, ldo: width)
      return
    }
    gemm(
      transposeA: false, transposeB: true, m: rows, n: columns.count, k: depth, a: x, lda: depth,
      b: weight + columns.lowerBound * ldw, ldb: ldw, beta: 1, c: gates + columns.lowerBound, ldc: width)
  }
}

/// logits [rows, V] = h [rows, H] · W_outᵀ + b, in chunks of 512 words, from W_out or its float16
/// copy: the output layer of a few-row decoding step, split between the two cores.
final class OutputProduct: ChunkedWork {
  static let chunk = 512
  var h = UnsafePointer<Float>(bitPattern: 8)!, weight = UnsafePointer<Float>(bitPattern: 8)!
  var bias = UnsafePointer<Float>(bitPattern: 8)!, logits = UnsafeMutablePointer<Float>(bitPattern: 8)!
  var (rows, hidden, words) = (0, 0, 0)
  var half: HalfMatrix?

  var chunks: Int { (words + Self.chunk - 1) / Self.chunk }

  func first() {}

  func chunk(_ c: Int) {
    let columns = (c * Self.chunk)..<min((c + 1) * Self.chunk, words)
    if let half {
      halfProduct(x: h, ldx: hidden, m: rows, weight: half, columns: columns, beta: 0, out: logits, ldo: words)
    } else {
      gemm(
        transposeA: false, transposeB: true, m: rows, n: columns.count, k: hidden, a: h, lda: hidden,
        b: weight + columns.lowerBound * hidden, ldb: hidden, beta: 0, c: logits + columns.lowerBound, ldc: words)
    }
    for row in 0..<rows {
      for j in columns { logits[row * words + j] += bias[j] }
    }
  }
}
