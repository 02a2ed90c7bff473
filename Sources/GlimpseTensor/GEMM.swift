import CBLAS

/// Why the BLAS library could not be used.
public struct BLASError: Error, CustomStringConvertible, Sendable {
  public var reason: String
  public var description: String { reason }
}

/// Loads OpenBLAS if it is not loaded yet. Entry points that compute call this first, so a
/// missing library is a clear error rather than a crash in the middle of the work.
public func loadBLAS() throws(BLASError) {
  var message = [CChar](repeating: 0, count: Int(GLIMPSE_BLAS_MESSAGE_LENGTH))
  if glimpse_blas_load(&message) != 0 {
    throw BLASError(reason: String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
  }
}

/// Whether OpenBLAS loaded, for the GEMM path (which cannot throw) to check once.
let blasReady: Bool = {
  do {
    try loadBLAS()
    return true
  } catch {
    return false
  }
}()

/// C[M, N] = alpha · op(A) · op(B) + beta · C, all row-major; op(A) is [M, K] and op(B) is
/// [K, N], each read transposed when asked. Leading dimensions are the row strides of A, B
/// and C as stored. Callers make sure `loadBLAS()` succeeded first.
///
/// A product with one row or one column of C goes to sgemv: OpenBLAS's sgemm packs the whole
/// of the other matrix on every call, which makes a one-row product (a decoder step for one
/// image) several times slower than the matrix-vector product it is.
@inline(__always)
public func gemm(
  transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
  a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float,
  c: UnsafeMutablePointer<Float>, ldc: Int
) {
  if m == 0 || n == 0 { return }
  precondition(blasReady, "OpenBLAS is not loaded: call loadBLAS() and report its error first")
  if m == 1 && k > 0 {
    // c[N] = op(B)ᵀ · a: with op(B) = Bᵀ, B is [N, K]; otherwise B is [K, N]. a's K values
    // are a row, or with transposeA a column of stride lda.
    glimpse_sgemv(
      CblasRowMajor, transposeB ? CblasNoTrans : CblasTrans, Int32(transposeB ? n : k), Int32(transposeB ? k : n),
      alpha, b, Int32(ldb), a, Int32(transposeA ? lda : 1), beta, c, 1)
    return
  }
  if n == 1 && k > 0 {
    // c[M] (stride ldc) = op(A) · b: op(A) = Aᵀ means A is [K, M]; b's K values are a column
    // of stride ldb, or with transposeB a row.
    glimpse_sgemv(
      CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, Int32(transposeA ? k : m), Int32(transposeA ? m : k),
      alpha, a, Int32(lda), b, Int32(transposeB ? 1 : ldb), beta, c, Int32(ldc))
    return
  }
  if !transposeA,
    let blocks = smallProductBlocks(
      m: m, n: n, k: k, wide: !transposeB && FewRowBlocks.wideForPlainWeights, threads: glimpse_blas_threads())
  {
    productInBlocks(
      blocks, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c,
      ldc: ldc)
    return
  }
  glimpse_sgemm(
    CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// The same product as `gemm`, in plain loops with double accumulation: the reference the
/// tests hold the BLAS path to.
public func naiveGemm(
  transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
  a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float,
  c: UnsafeMutablePointer<Float>, ldc: Int
) {
  for i in 0..<m {
    for j in 0..<n {
      var sum = 0.0
      for p in 0..<k {
        let x = transposeA ? a[p * lda + i] : a[i * lda + p]
        let y = transposeB ? b[j * ldb + p] : b[p * ldb + j]
        sum += Double(x) * Double(y)
      }
      let previous = beta == 0 ? 0 : beta * c[i * ldc + j]
      c[i * ldc + j] = alpha * Float(sum) + previous
    }
  }
}

/// The kernels the loaded OpenBLAS runs ("SkylakeX", "Haswell", …), for benchmark reports.
public var blasCoreName: String {
  var name = [CChar](repeating: 0, count: 64)
  glimpse_blas_core(&name)
  return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// OpenBLAS's build description: its version, build options and kernels.
public var blasConfig: String {
  var text = [CChar](repeating: 0, count: 256)
  glimpse_blas_config(&text)
  let config = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  return config.split(separator: " ").joined(separator: " ")
}

/// OpenBLAS's thread count.
public var blasThreads: Int {
  get { Int(glimpse_blas_threads()) }
  set { glimpse_blas_set_threads(Int32(newValue)) }
}
