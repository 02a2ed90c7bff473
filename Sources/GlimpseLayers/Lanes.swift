/// Unaligned loads and stores of eight floats (`Lanes`) and of sixteen (`LanePairs`, whose
/// evenHalf and oddHalf split interleaved columns), for the vectorised loops of this module.
typealias Lanes = SIMD8<Float>
typealias LanePairs = SIMD16<Float>

@inline(__always) func loadLanes(_ p: UnsafePointer<Float>) -> Lanes {
  UnsafeRawPointer(p).loadUnaligned(as: Lanes.self)
}
@inline(__always) func storeLanes(_ value: Lanes, _ p: UnsafeMutablePointer<Float>) {
  UnsafeMutableRawPointer(p).storeBytes(of: value, as: Lanes.self)
}
@inline(__always) func loadPairs(_ p: UnsafePointer<Float>) -> LanePairs {
  UnsafeRawPointer(p).loadUnaligned(as: LanePairs.self)
}
@inline(__always) func storePairs(_ value: LanePairs, _ p: UnsafeMutablePointer<Float>) {
  UnsafeMutableRawPointer(p).storeBytes(of: value, as: LanePairs.self)
}
