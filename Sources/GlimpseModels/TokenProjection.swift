import GlimpseTensor

/// A decoder fed its own tokens projects each one the same way at every step: x·W[:, :E]ᵀ + b
/// takes one of only V values. This cache computes a token's row the first time a decoding
/// run meets it (the new tokens of a step in one GEMM) and copies it after that, so a batch
/// of 32 captions stops multiplying 32 embeddings by the input weights at each of 16 steps.
/// Rows are kept until `reset`, which the decoders call at the start of every decoding run
/// (weights may have changed since the last one), unless `keepsRowsAcrossRuns` says that they
/// cannot have: a served model then meets each token's projection once, not once per caption.
/// Memory grows with the distinct tokens met, at most [V, N].
final class TokenProjectionCache {
  /// Set when the weights will not change again: `reset` keeps the rows it has. Changing it
  /// either way forgets them.
  var keepsRowsAcrossRuns = false {
    didSet { if keepsRowsAcrossRuns != oldValue { holdsRows = false } }
  }
  private var holdsRows = false
  private var slotOfToken = [Int32]()  // [V]: the row holding the token's projection, or −1
  private var projections = [Float]()  // [cached, N]
  private var width = 0
  private var biasSum = [Float]()  // [N]
  private var newTokens = [Int32]()
  private var gathered = [Float]()  // [new, E]

  /// Forgets every row; `biases` (each [N]) are added to every projection.
  func reset(vocabularySize: Int, biases: [Tensor]) {
    if keepsRowsAcrossRuns && holdsRows && slotOfToken.count == vocabularySize { return }
    holdsRows = true
    if slotOfToken.count != vocabularySize { slotOfToken = [Int32](repeating: -1, count: vocabularySize) }
    for i in slotOfToken.indices { slotOfToken[i] = -1 }
    projections.removeAll(keepingCapacity: true)
    width = biases[0].count
    biasSum = Array(UnsafeBufferPointer(start: biases[0].pointer, count: width))
    for bias in biases.dropFirst() {
      precondition(bias.count == width)
      for k in 0..<width { biasSum[k] += bias.pointer[k] }
    }
  }

  /// out[r, 0..<N] = table[tokens[r]] · W[:, :E]ᵀ + the biases, W given as N rows of stride ldw.
  func project(
    tokens: [Int32], table: Tensor, weight: UnsafePointer<Float>, ldw: Int,
    into out: UnsafeMutablePointer<Float>, ldo: Int
  ) {
    let (e, n) = (table.size(1), width)
    newTokens.removeAll(keepingCapacity: true)
    for token in tokens {
      precondition(token >= 0 && Int(token) < slotOfToken.count, "token id \(token) outside the vocabulary")
      if slotOfToken[Int(token)] < 0 {
        slotOfToken[Int(token)] = Int32(projections.count / n + newTokens.count)
        newTokens.append(token)
      }
    }
    if !newTokens.isEmpty { computeRows(table: table, weight: weight, ldw: ldw, embedding: e) }
    projections.withUnsafeBufferPointer { cached in
      for (r, token) in tokens.enumerated() {
        (out + r * ldo).update(from: cached.baseAddress! + Int(slotOfToken[Int(token)]) * n, count: n)
      }
    }
  }

  /// Appends the new tokens' rows to `projections`: the biases first, then the product added
  /// onto them, as the per-step GEMM did.
  private func computeRows(table: Tensor, weight: UnsafePointer<Float>, ldw: Int, embedding e: Int) {
    let (m, n, first) = (newTokens.count, width, projections.count)
    gathered.removeAll(keepingCapacity: true)
    for token in newTokens {
      gathered.append(contentsOf: UnsafeBufferPointer(start: table.pointer + Int(token) * e, count: e))
    }
    for _ in 0..<m { projections.append(contentsOf: biasSum) }
    gathered.withUnsafeBufferPointer { a in
      projections.withUnsafeMutableBufferPointer { c in
        gemm(
          transposeA: false, transposeB: true, m: m, n: n, k: e, a: a.baseAddress!, lda: e,
          b: weight, ldb: ldw, beta: 1, c: c.baseAddress! + first, ldc: n)
      }
    }
  }
}
