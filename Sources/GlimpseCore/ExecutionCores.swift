#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// How many cores glimpse shares its work between: the machine's online CPUs, read once. It is
/// a property of the machine, not of a model: per-core shares of a batch give the same result
/// whatever the count, except for the order in which the encoder's per-core weight gradients
/// are added.
public enum ExecutionCores {
  public static let count: Int = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
}
