import GlimpseTensor
import XCTest

/// Each run-time decision for the CPUs glimpse has met and two it may: the Intel Xeon (AVX-512),
/// the AMD EPYC Zen 4 (AVX-512 too), a Zen 3 or Haswell-era CPU (AVX2, no AVX-512) and one
/// older than x86-64-v3 (a portable build's).
final class RunTimeTuningTests: XCTestCase {
  let xeon: Set<String> = ["sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512dq", "avx512bw", "avx512vl"]
  let zen4: Set<String> = ["sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512dq", "avx512bw", "avx512vl"]
  let zen3: Set<String> = ["sse4_2", "avx", "avx2", "fma", "f16c"]
  let older: Set<String> = ["sse4_2", "avx"]

  func testOpenBLASKernelsFollowTheFeatures() {
    XCTAssertEqual(RunTimeTuning.openBLASCoreType(flags: xeon), "SkylakeX")
    XCTAssertEqual(RunTimeTuning.openBLASCoreType(flags: zen4), "SkylakeX")
    XCTAssertEqual(RunTimeTuning.openBLASCoreType(flags: zen3), "Haswell")
    XCTAssertNil(RunTimeTuning.openBLASCoreType(flags: older))
    // AVX-512 without one of the four subsets OpenBLAS's SkylakeX kernels use (a Xeon Phi's).
    XCTAssertEqual(RunTimeTuning.openBLASCoreType(flags: xeon.subtracting(["avx512bw"])), "Haswell")
  }

  func testFewRowBlocksOnlyWithDirectSmallKernels() {
    for core in ["SkylakeX", "COOPERLAKE", "sapphirerapids"] {
      XCTAssertTrue(RunTimeTuning.fewRowBlocks(openBLASCore: core))
    }
    for core in ["Haswell", "Zen", "Prescott", ""] {
      XCTAssertFalse(RunTimeTuning.fewRowBlocks(openBLASCore: core), core)
    }
  }

  func testFloat16ProductNeedsF16CAVX2AndFMA() {
    XCTAssertTrue(RunTimeTuning.halfProductVectorised(flags: xeon))
    XCTAssertTrue(RunTimeTuning.halfProductVectorised(flags: zen3))
    XCTAssertFalse(RunTimeTuning.halfProductVectorised(flags: older))
    XCTAssertFalse(RunTimeTuning.halfProductVectorised(flags: zen3.subtracting(["f16c"])))
  }

  /// This machine: the decisions from its /proc/cpuinfo flags are the ones the shims made.
  func testThisMachineAgreesWithTheShims() throws {
    let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
    let line = try XCTUnwrap(cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") })
    let flags = Set(line.split(separator: ":", maxSplits: 1)[1].split(separator: " ").map(String.init))
    XCTAssertEqual(RunTimeTuning.halfProductVectorised(flags: flags), halfProductVectorised)
    try loadBLAS()
    if let core = RunTimeTuning.openBLASCoreType(flags: flags) {
      XCTAssertEqual(blasCoreName.lowercased(), core.lowercased())
    }
  }
}
