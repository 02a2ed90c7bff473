#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// How many cores glimpse shares its work between: the CPUs this process may run on (its
/// affinity mask, which taskset, cgroup cpusets and mpirun's binding of a rank to its cores
/// narrow), read once. It is a property of the machine, not of a model: per-core shares of a
/// batch give the same result whatever the count, except for the order in which the encoder's
/// per-core weight gradients are added.
public enum ExecutionCores {
  public static let count: Int = allowedCPUs() ?? max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))

  /// The CPUs of the affinity mask, from /proc/self/status ("Cpus_allowed_list:\t0-3,8"), since
  /// Glibc's sched_getaffinity is hidden from Swift.
  static func allowedCPUs() -> Int? {
    guard let file = fopen("/proc/self/status", "r") else { return nil }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 4096)
    while fgets(&line, Int32(line.count), file) != nil {
      let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
      guard text.hasPrefix("Cpus_allowed_list:") else { continue }
      return countCPUs(inList: text.dropFirst("Cpus_allowed_list:".count))
    }
    return nil
  }

  /// The number of CPUs in a Linux CPU list ("0-3,8,10-11": 7), or nil if it is not one.
  static func countCPUs(inList list: Substring) -> Int? {
    var total = 0
    for range in list.filter({ !$0.isWhitespace }).split(separator: ",") {
      let bounds = range.split(separator: "-").map { Int($0) }
      guard let first = bounds.first ?? nil, let last = bounds.last ?? nil, bounds.count <= 2, first <= last else {
        return nil
      }
      total += last - first + 1
    }
    return total > 0 ? total : nil
  }
}
