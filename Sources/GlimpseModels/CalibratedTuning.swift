import GlimpseIO
import GlimpseTensor
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The measured tuning choices of this process: read from the tuning cache when it has this
/// CPU's entry, else measured (`EncoderCalibration`, `FewRowBlocks`) and saved for the next
/// process; `current` also hands `gemm` its block choice. Whatever
/// goes wrong with the cache (an unreadable or corrupt file, an invalid entry, a folder that
/// cannot be written) costs a measurement, never a crash or a choice measured on another CPU;
/// `glimpse tune` shows what happened.
public enum CalibratedTuning {
  public struct Resolution: Equatable, Sendable {
    public enum Source: Equatable, Sendable {
      case cache  // this CPU's entry, read from the cache
      case measured  // measured now, and saved
      case measuredNotSaved  // measured now; saving failed or there is no cache path (see problems)
    }
    public var tuning: MeasuredTuning
    public var source: Source
    public var key: String
    public var cachePath: String?
    /// What was wrong with the cache, each naming the file.
    public var problems: [String]
  }

  /// Resolves the choices for the CPU `key`: its entry in `cache` unless `refresh`, else
  /// `measure()`, which is then saved there.
  public static func resolve(
    cache: TuningCache?, key: String, refresh: Bool = false, measure: () -> MeasuredTuning
  ) -> Resolution {
    var problems: [String] = []
    if let cache, !refresh {
      do {
        if let tuning = try cache.entry(for: key) {
          return Resolution(tuning: tuning, source: .cache, key: key, cachePath: cache.path, problems: [])
        }
      } catch {
        problems.append("\(error); measured again")
      }
    }
    let tuning = measure()
    guard let cache else {
      problems.append("no tuning cache: neither GLIMPSE_TUNING_CACHE, XDG_CACHE_HOME nor HOME is set")
      return Resolution(tuning: tuning, source: .measuredNotSaved, key: key, cachePath: nil, problems: problems)
    }
    do {
      try cache.store(tuning, for: key)
      return Resolution(tuning: tuning, source: .measured, key: key, cachePath: cache.path, problems: problems)
    } catch {
      problems.append("\(error); the choice measured now is used, and not saved")
      return Resolution(tuning: tuning, source: .measuredNotSaved, key: key, cachePath: cache.path, problems: problems)
    }
  }

  private static let resolved = Mutex<Resolution?>(nil)

  /// This process's choices, resolved at first use for this machine and the default cache path.
  public static var current: Resolution {
    resolved.withLock { state in
      if let state { return state }
      let resolution = resolveForThisMachine(refresh: false)
      state = resolution
      return resolution
    }
  }

  /// Measures again, whatever the cache holds, and saves the result (`glimpse tune --refresh`).
  public static func refresh() -> Resolution {
    resolved.withLock { state in
      let resolution = resolveForThisMachine(refresh: true)
      state = resolution
      return resolution
    }
  }

  private static func resolveForThisMachine(refresh: Bool) -> Resolution {
    var environment: [String: String] = [:]
    for name in ["GLIMPSE_TUNING_CACHE", "XDG_CACHE_HOME", "HOME"] {
      if let value = getenv(name) { environment[name] = String(cString: value) }
    }
    let cache = TuningCache.defaultPath(environment: environment).map(TuningCache.init(path:))
    let resolution = resolve(cache: cache, key: MachineDescription.current().tuningKey, refresh: refresh) {
      var tuning = EncoderCalibration.measure()
      tuning.fewRowTiming = FewRowBlocks.measure()
      tuning.fewRowWideBlocks = tuning.fewRowTiming.map { FewRowBlocks.prefersWide($0) } ?? false
      return tuning
    }
    FewRowBlocks.wideForPlainWeights = resolution.tuning.fewRowWideBlocks
    return resolution
  }
}
