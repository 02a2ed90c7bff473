import CBLAS
import CKernels

/// The tuning choices that follow from the CPU at run time (the README's table under Performance,
/// "Why the execution is as it is"), as functions of a CPU's description, so that tests can ask
/// them for CPUs other than the one they run on. The C shims make the same calls with what the
/// CPU reports (cpuid) and with the kernels OpenBLAS says it runs.
public enum RunTimeTuning {
  /// The OpenBLAS kernels glimpse asks for on a CPU with these /proc/cpuinfo flags, or nil to
  /// leave the choice to OpenBLAS.
  public static func openBLASCoreType(flags: Set<String>) -> String? {
    let has = { Int32(flags.contains($0) ? 1 : 0) }
    guard
      let name = glimpse_blas_coretype_for(
        has("avx512f"), has("avx512bw"), has("avx512vl"), has("avx512dq"), has("avx2"), has("fma"))
    else { return nil }
    return String(cString: name)
  }

  /// Whether few-row products go to OpenBLAS in blocks its kernels named `core` multiply directly.
  public static func fewRowBlocks(openBLASCore core: String) -> Bool {
    glimpse_blas_core_multiplies_small_directly(core) != 0
  }

  /// Whether the attention's scores run sixteen lanes at a time on a CPU with these flags.
  public static func tanhScoresWide(flags: Set<String>) -> Bool {
    glimpse_tanh_scores_wide_for(flags.contains("avx512f") ? 1 : 0) != 0
  }

  /// Whether the float16 product runs its vectorised loops on a CPU with these flags.
  public static func halfProductVectorised(flags: Set<String>) -> Bool {
    glimpse_half_product_vectorised_for(
      flags.contains("avx2") ? 1 : 0, flags.contains("fma") ? 1 : 0, flags.contains("f16c") ? 1 : 0) != 0
  }
}
