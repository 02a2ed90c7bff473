import GlimpseCore
import GlimpseIO

/// What a benchmark ran on, reported with its figures: figures mean little without the CPU,
/// and the project's CPUs differ between machines (README, Performance).
public struct MachineDescription: Sendable, Equatable {
  /// /proc/cpuinfo's model name.
  public var cpu: String
  /// Its vendor, family and model ("GenuineIntel family 6 model 207"): virtual machines often
  /// report a generic model name, and these tell CPU generations apart.
  public var identity: String
  /// The vector extensions the kernels care about, of those the CPU has, in a fixed order.
  public var vectorExtensions: [String]
  /// The caches of CPU 0, smallest level first: "L1d 48K", "L2 2048K", ….
  public var caches: [String]
  /// OpenBLAS's build description (its version and kernels) and the kernels it runs.
  public var blasConfig: String
  public var blasCore: String
  /// The cores glimpse shares its work between, and OpenBLAS's threads.
  public var cores: Int
  public var blasThreads: Int

  /// The extensions reported, in this order, when the CPU has them.
  static let knownExtensions = [
    "sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni", "avx512_bf16",
    "avx512_fp16", "amx_tile", "amx_bf16",
  ]

  /// This machine, read from /proc/cpuinfo, /sys and the loaded OpenBLAS.
  public static func current() -> MachineDescription {
    let cpuinfo = (try? readFileBytes("/proc/cpuinfo", maxBytes: 1 << 24)).map { String(decoding: $0, as: UTF8.self) }
    var caches = [String]()
    for index in 0..<8 {
      let folder = "/sys/devices/system/cpu/cpu0/cache/index\(index)/"
      let fields = ["level", "type", "size"].map { name in
        (try? readFileBytes(folder + name, maxBytes: 1 << 16)).map { String(decoding: $0, as: UTF8.self) }
      }
      guard let level = fields[0], let type = fields[1], let size = fields[2] else { break }
      caches.append(cacheName(level: level, type: type, size: size))
    }
    return MachineDescription(
      cpuinfo: cpuinfo ?? "", caches: caches, blasConfig: GlimpseTensor.blasConfig,
      blasCore: blasCoreName, cores: ExecutionCores.count, blasThreads: GlimpseTensor.blasThreads)
  }

  /// A description from /proc/cpuinfo's text (its first processor's model name and flags).
  init(cpuinfo: String, caches: [String], blasConfig: String, blasCore: String, cores: Int, blasThreads: Int) {
    func field(_ name: String) -> String? {
      for line in cpuinfo.split(separator: "\n") {
        let parts = line.split(separator: ":", maxSplits: 1)
        if parts.count == 2, words(parts[0]) == name { return words(parts[1]) }
      }
      return nil
    }
    cpu = field("model name") ?? "unknown CPU"
    identity =
      "\(field("vendor_id") ?? "unknown vendor") family \(field("cpu family") ?? "?") model \(field("model") ?? "?")"
    let flags = Set((field("flags") ?? "").split(separator: " ").map(String.init))
    vectorExtensions = Self.knownExtensions.filter { flags.contains($0) }
    (self.caches, self.blasConfig, self.blasCore) = (caches, blasConfig, blasCore)
    (self.cores, self.blasThreads) = (cores, blasThreads)
  }

  /// "L1d 48K" from /sys's level "1", type "Data" and size "48K".
  static func cacheName(level: String, type: String, size: String) -> String {
    let kind = ["Data": "d", "Instruction": "i"][words(type)] ?? ""
    return "L\(words(level))\(kind) \(words(size))"
  }

  public var json: JSONValue {
    .object([
      ("cpu", .string(cpu)), ("cpu_identity", .string(identity)),
      ("vector_extensions", .array(vectorExtensions.map(JSONValue.string))),
      ("caches", .array(caches.map(JSONValue.string))), ("openblas", .string(blasConfig)),
      ("openblas_core", .string(blasCore)), ("cores", .number(Double(cores))),
      ("openblas_threads", .number(Double(blasThreads))),
    ])
  }

  /// What a measured tuning choice holds for: the same CPU model, extensions, OpenBLAS kernels
  /// and core count measure alike; anything else is measured again.
  public var tuningKey: String {
    "\(cpu) (\(identity)); \(vectorExtensions.joined(separator: " ")); OpenBLAS \(blasCore); \(cores) cores"
  }

  /// Three lines for a table's head.
  public var summary: String {
    """
    CPU: \(cpu) (\(identity)); \(vectorExtensions.joined(separator: " ")); caches \(caches.joined(separator: ", "))
    OpenBLAS: \(blasConfig.isEmpty ? "unknown version" : blasConfig), running \(blasCore) kernels
    threads: \(cores) cores for glimpse, \(blasThreads) for OpenBLAS
    """
  }
}

/// The words of `text` joined by single spaces: /proc and /sys pad their fields with tabs,
/// spaces and newlines.
private func words(_ text: some StringProtocol) -> String {
  text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
}
