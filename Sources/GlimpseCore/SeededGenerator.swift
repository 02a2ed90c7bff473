/// A small, fast, seedable generator (SplitMix64): the same seed gives the same numbers on
/// every machine, which is what reproducible initialisation and data order need.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
  public private(set) var state: UInt64

  public init(seed: UInt64) { state = seed }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// Uniform in [0, 1) with 24 random bits, the float's full precision.
  public mutating func nextUnit() -> Float { Float(next() >> 40) * 0x1p-24 }

  /// Uniform in [-bound, bound).
  public mutating func nextSymmetric(_ bound: Float) -> Float { (nextUnit() * 2 - 1) * bound }

  /// Standard normal (Box–Muller).
  public mutating func nextNormal() -> Float {
    let u = max(Double(next() >> 11) * 0x1p-53, 0x1p-53)
    let v = Double(next() >> 11) * 0x1p-53
    return Float((-2 * _log(u)).squareRoot() * _cos(2 * Double.pi * v))
  }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#else
import Darwin
@inline(__always) func _log(_ x: Double) -> Double { Darwin.log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Darwin.cos(x) }
#endif
