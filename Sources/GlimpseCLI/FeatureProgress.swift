import Glibc
import GlimpseIO
import GlimpseTraining

/// Progress of bringing a feature cache up to date, on stderr: images encoded, rate and ETA,
/// one line updated in place on a terminal, a line every 10% otherwise.
final class FeatureProgress {
  private var start = 0.0
  private var lastTenth = -1
  private let inPlace = isatty(2) != 0
  /// Silent (a rank other than 0 of a job).
  private let quiet: Bool

  init(quiet: Bool = false) { self.quiet = quiet }

  func report(cache: String, done: Int, total: Int) {
    guard !quiet else { return }
    var stream = StandardError()
    if done == 0 {
      start = monotonicSeconds()
      lastTenth = -1
      if total > 0 { print("\(cache): encoding \(total) images", to: &stream) }
      return
    }
    let elapsed = monotonicSeconds() - start
    let rate = Double(done) / max(elapsed, 1e-9)
    let text =
      "  \(done)/\(total) images  \(fixedPoint(rate, 1)) images/s  ETA \(duration(Double(total - done) / rate))"
    if inPlace {
      print("\r\u{1B}[K" + text, terminator: done == total ? "\n" : "", to: &stream)
    } else if done * 10 / total != lastTenth || done == total {
      lastTenth = done * 10 / total
      print(text, to: &stream)
    }
  }
}

/// One line per feature cache: how many grids were computed and how many kept.
func reportFeatures(_ features: [(path: String, report: FeatureExtractionReport)]) {
  var stream = StandardError()
  for (path, report) in features {
    if let replaced = report.replaced { printWarning("\(path): \(replaced)") }
    print("\(path): \(report.encoded) images encoded, \(report.reused) grids kept", to: &stream)
  }
}
