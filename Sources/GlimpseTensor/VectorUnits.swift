import CBLAS

public struct VectorUnitError: Error, CustomStringConvertible, Sendable {
  public var description: String {
    "this build of glimpse uses AVX2 and FMA (x86-64-v3), which this CPU lacks; "
      + "rebuild it with `GLIMPSE_PORTABLE=1 swift build -c release`"
  }
}

/// Throws unless the CPU runs the instructions the numeric modules were compiled for. The
/// command line checks this before anything else, so an older CPU gets a message instead of
/// an illegal-instruction crash.
public func checkVectorUnits() throws(VectorUnitError) {
  if glimpse_cpu_supports_build() == 0 { throw VectorUnitError() }
}
