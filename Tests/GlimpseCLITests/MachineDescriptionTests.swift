import XCTest

@testable import GlimpseTensor

/// The machine description reads /proc/cpuinfo's first processor, whatever the vendor.
final class MachineDescriptionTests: XCTestCase {
  func testDescriptionsOfTwoCPUs() {
    let xeon = """
      processor\t: 0
      vendor_id\t: GenuineIntel
      cpu family\t: 6
      model\t\t: 207
      model name\t: Intel(R) Xeon(R) Processor
      flags\t\t: fpu sse4_2 avx f16c fma avx2 avx512f avx512dq avx512bw avx512vl avx512_vnni avx512_bf16 amx_tile

      processor\t: 1
      model name\t: another
      """
    let epyc = """
      processor\t: 0
      vendor_id\t: AuthenticAMD
      model name\t: AMD EPYC 9R14 96-Core Processor
      flags\t\t: fpu sse4_2 avx avx2 fma f16c avx512f avx512bw avx512vl avx512_vnni avx512_bf16
      """
    let intel = MachineDescription(
      cpuinfo: xeon, caches: ["L1d 48K"], blasConfig: "OpenBLAS 0.3.21", blasCore: "SkylakeX", cores: 2, blasThreads: 2)
    XCTAssertEqual(intel.cpu, "Intel(R) Xeon(R) Processor")
    XCTAssertEqual(intel.identity, "GenuineIntel family 6 model 207")
    XCTAssertEqual(
      intel.vectorExtensions,
      [
        "sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni",
        "avx512_bf16", "amx_tile",
      ])
    let amd = MachineDescription(
      cpuinfo: epyc, caches: [], blasConfig: "", blasCore: "Zen", cores: 2, blasThreads: 1)
    XCTAssertEqual(amd.cpu, "AMD EPYC 9R14 96-Core Processor")
    XCTAssertFalse(amd.vectorExtensions.contains("amx_tile"))
    XCTAssertTrue(
      amd.summary.hasPrefix("CPU: AMD EPYC 9R14 96-Core Processor (AuthenticAMD family ? model ?); sse4_2 avx avx2"),
      amd.summary)
    XCTAssertTrue(amd.summary.contains("OpenBLAS: unknown version, running Zen kernels"), amd.summary)
    XCTAssertNotEqual(intel.tuningKey, amd.tuningKey)
    XCTAssertEqual(
      intel.tuningKey,
      "Intel(R) Xeon(R) Processor (GenuineIntel family 6 model 207); sse4_2 avx avx2 fma f16c avx512f avx512bw "
        + "avx512vl avx512dq avx512_vnni avx512_bf16 amx_tile; OpenBLAS SkylakeX; 2 cores")
    XCTAssertEqual(
      MachineDescription(cpuinfo: "", caches: [], blasConfig: "", blasCore: "", cores: 1, blasThreads: 1).cpu,
      "unknown CPU")
  }

  func testCacheNamesFromSys() {
    XCTAssertEqual(MachineDescription.cacheName(level: "1\n", type: "Data\n", size: "48K\n"), "L1d 48K")
    XCTAssertEqual(MachineDescription.cacheName(level: "1\n", type: "Instruction\n", size: "32K\n"), "L1i 32K")
    XCTAssertEqual(MachineDescription.cacheName(level: "3\n", type: "Unified\n", size: "266240K\n"), "L3 266240K")
  }
}
