import CKernels

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Vectorised exp, tanh and sigmoid over buffers, eight lanes at a time with a scalar tail.
/// exp: Cephes' expf (range reduction by ln 2, degree-6 polynomial), relative error ~1e-7.
/// tanh: Cephes' odd polynomial for |x| < 0.625, 1 − 2/(e^{2|x|} + 1) beyond.

typealias Lanes = SIMD8<Float>

/// 1.5·2²³: adding it rounds a float below 2²² to the nearest integer and leaves that
/// integer in the low mantissa bits (no generic SIMD conversion, which does not vectorise).
let roundingMagic: Float = 12_582_912

@inline(__always)
func expLanes(_ input: Lanes) -> Lanes {
  // Clamped by masked replaces: the standard library's pointwiseMin/Max are not inlined here.
  var x = input
  x.replace(with: -87.3, where: x .< -87.3)
  x.replace(with: 88.3, where: x .> 88.3)
  let shifted = x * 1.442_695_04 + roundingMagic
  let k = shifted - roundingMagic
  let r = x - k * 0.693_359_375 + k * 2.121_944_4e-4
  var p = Lanes(repeating: 1.987_569_15e-4)
  p = p * r + 1.398_199_95e-3
  p = p * r + 8.333_451_9e-3
  p = p * r + 4.166_579_59e-2
  p = p * r + 1.666_666_55e-1
  p = p * r + 5.000_000_12e-1
  let er = p * r * r + r + 1
  // 2^k: k sits in the low bits of `shifted`; move it, biased, into the exponent field.
  let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
  let scale = unsafeBitCast((integer &+ 127) &<< 23, to: Lanes.self)
  return er * scale
}

@inline(__always)
func tanhLanes(_ x: Lanes) -> Lanes {
  let bits = unsafeBitCast(x, to: SIMD8<UInt32>.self)
  let sign = bits & 0x8000_0000
  let magnitude = unsafeBitCast(bits & 0x7FFF_FFFF, to: Lanes.self)
  let z = x * x
  var small = Lanes(repeating: -5.704_988_727_45e-3)
  small = small * z + 2.063_908_879_54e-2
  small = small * z - 5.373_971_555_31e-2
  small = small * z + 1.333_144_220_36e-1
  small = small * z - 3.333_328_194_22e-1
  small = small * z * x + x
  let e = expLanes(magnitude * 2)
  let large = unsafeBitCast(unsafeBitCast(1 - 2 / (e + 1), to: SIMD8<UInt32>.self) | sign, to: Lanes.self)
  small.replace(with: large, where: magnitude .>= 0.625)
  return small
}

@inline(__always)
func sigmoidLanes(_ x: Lanes) -> Lanes { 1 / (1 + expLanes(-x)) }

@inline(__always)
func mapLanes(
  _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, _ count: Int,
  _ body: (Lanes) -> Lanes
) {
  var i = 0
  while i + 8 <= count {
    let raw = UnsafeRawPointer(input + i)
    let value = raw.loadUnaligned(as: Lanes.self)
    UnsafeMutableRawPointer(output + i).storeBytes(of: body(value), as: Lanes.self)
    i += 8
  }
  if i < count {
    var tail = Lanes(repeating: 0)
    for j in 0..<(count - i) { tail[j] = input[i + j] }
    let result = body(tail)
    for j in 0..<(count - i) { output[i + j] = result[j] }
  }
}

/// output[i] = exp(input[i]); input and output may be the same memory.
public func vectorExp(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, count: Int) {
  mapLanes(input, output, count, expLanes)
}

/// output[i] = tanh(input[i]); input and output may be the same memory.
public func vectorTanh(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, count: Int) {
  mapLanes(input, output, count, tanhLanes)
}

/// output[i] = 1 / (1 + exp(−input[i])); input and output may be the same memory.
public func vectorSigmoid(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, count: Int) {
  mapLanes(input, output, count, sigmoidLanes)
}

/// Scalar forms of the same functions, for code that works one value at a time.
@inline(__always) public func fastExp(_ x: Float) -> Float { expLanes(Lanes(repeating: x))[0] }
@inline(__always) public func fastTanh(_ x: Float) -> Float { tanhLanes(Lanes(repeating: x))[0] }
@inline(__always) public func fastSigmoid(_ x: Float) -> Float { sigmoidLanes(Lanes(repeating: x))[0] }

/// For each row r of keys [rows, N] (stride N): p = tanh(keys_r + query), kept in `pre` when
/// given, and scores[r] = p · w. The score of additive attention in one pass over the keys,
/// in place of a sum, a tanh and a matrix–vector product each reading and writing [rows, N].
/// Sixteen lanes at a time where the CPU has AVX-512 (`glimpse_tanh_scores`, the same bits),
/// else `tanhScoresEightLanes`.
public func tanhScores(
  keys: UnsafePointer<Float>, query: UnsafePointer<Float>, w: UnsafePointer<Float>, rows: Int, width n: Int,
  pre: UnsafeMutablePointer<Float>?, scores: UnsafeMutablePointer<Float>
) {
  if glimpse_tanh_scores(keys, query, w, Int32(rows), Int32(n), pre, scores) != 0 { return }
  tanhScoresEightLanes(keys: keys, query: query, w: w, rows: rows, width: n, pre: pre, scores: scores)
}

/// `tanhScores` eight lanes at a time, the lanes summed in order.
public func tanhScoresEightLanes(
  keys: UnsafePointer<Float>, query: UnsafePointer<Float>, w: UnsafePointer<Float>, rows: Int, width n: Int,
  pre: UnsafeMutablePointer<Float>?, scores: UnsafeMutablePointer<Float>
) {
  let whole = n / 8 * 8
  for r in 0..<rows {
    let key = keys + r * n
    var sum = Lanes(repeating: 0)
    var a = 0
    while a < whole {
      let x =
        UnsafeRawPointer(key + a).loadUnaligned(as: Lanes.self)
        + UnsafeRawPointer(query + a).loadUnaligned(as: Lanes.self)
      let p = tanhLanes(x)
      if let pre { UnsafeMutableRawPointer(pre + r * n + a).storeBytes(of: p, as: Lanes.self) }
      sum += p * UnsafeRawPointer(w + a).loadUnaligned(as: Lanes.self)
      a += 8
    }
    var score = sum[0]
    for lane in 1..<8 { score += sum[lane] }
    while a < n {
      let p = fastTanh(key[a] + query[a])
      pre?[r * n + a] = p
      score += p * w[a]
      a += 1
    }
    scores[r] = score
  }
}

/// The same with a scalar loop and libm's tanh in double precision, to test the vectorised one against.
public func tanhScoresPlain(
  keys: UnsafePointer<Float>, query: UnsafePointer<Float>, w: UnsafePointer<Float>, rows: Int, width n: Int,
  pre: UnsafeMutablePointer<Float>?, scores: UnsafeMutablePointer<Float>
) {
  for r in 0..<rows {
    var score: Float = 0
    for a in 0..<n {
      let p = Float(tanh(Double(keys[r * n + a] + query[a])))
      pre?[r * n + a] = p
      score += p * w[a]
    }
    scores[r] = score
  }
}

/// Backward of `tanhScores` for one query's rows, given dscores[rows] and the saved pre:
/// with dpre = dscore · w ⊙ (1 − pre²), dkeys += dpre and dquery[N] += Σ_rows dpre.
public func tanhScoresBackward(
  dscores: UnsafePointer<Float>, pre: UnsafePointer<Float>, w: UnsafePointer<Float>, rows: Int, width n: Int,
  dkeys: UnsafeMutablePointer<Float>, dquery: UnsafeMutablePointer<Float>
) {
  let whole = n / 8 * 8
  for r in 0..<rows {
    let (p, dk) = (pre + r * n, dkeys + r * n)
    let score = Lanes(repeating: dscores[r])
    var a = 0
    while a < whole {
      let value = UnsafeRawPointer(p + a).loadUnaligned(as: Lanes.self)
      let gradient = score * UnsafeRawPointer(w + a).loadUnaligned(as: Lanes.self) * (1 - value * value)
      let key = UnsafeRawPointer(dk + a).loadUnaligned(as: Lanes.self) + gradient
      UnsafeMutableRawPointer(dk + a).storeBytes(of: key, as: Lanes.self)
      let query = UnsafeRawPointer(dquery + a).loadUnaligned(as: Lanes.self) + gradient
      UnsafeMutableRawPointer(dquery + a).storeBytes(of: query, as: Lanes.self)
      a += 8
    }
    while a < n {
      let gradient = dscores[r] * w[a] * (1 - p[a] * p[a])
      dk[a] += gradient
      dquery[a] += gradient
      a += 1
    }
  }
}

/// The same, one element at a time.
public func tanhScoresBackwardPlain(
  dscores: UnsafePointer<Float>, pre: UnsafePointer<Float>, w: UnsafePointer<Float>, rows: Int, width n: Int,
  dkeys: UnsafeMutablePointer<Float>, dquery: UnsafeMutablePointer<Float>
) {
  for r in 0..<rows {
    for a in 0..<n {
      let g = dscores[r] * w[a] * (1 - pre[r * n + a] * pre[r * n + a])
      dkeys[r * n + a] += g
      dquery[a] += g
    }
  }
}
