import ArgumentParser
import Glibc
import GlimpseIO
import GlimpseTraining
import Synchronization

/// Set by the first Ctrl-C; the training loop checks it between steps.
let interruptRequested = Atomic<Bool>(false)

/// Runs a training loop with progress on stderr (one line updated in place on a terminal) and
/// Ctrl-C handling: the first writes the training state and stops (exit 130), a second one
/// kills the process at once.
func runTraining(_ loop: TrainingLoop, options: TrainingOptions, quiet: Bool = false) throws {
  signal(SIGINT) { _ in
    interruptRequested.store(true, ordering: .relaxed)
    signal(SIGINT, SIG_DFL)
  }
  let inPlace = isatty(2) != 0 && !options.plainProgress
  var stream = StandardError()
  var pending = false
  func line(_ text: String) {
    guard !quiet else { return }
    if pending { print("", to: &stream) }
    print(text, to: &stream)
    pending = false
  }
  let outcome = try loop.run(
    events: { event in
      switch event {
      case .started(let examples, let stepsPerEpoch, let resumedAt):
        line(
          "training on \(examples) examples, \(stepsPerEpoch) steps per epoch"
            + (resumedAt.map { ", resuming after step \($0)" } ?? ""))
      case .step(let report):
        let parts = report.loss.parts.map { "\($0.name) \(decimal($0.value, 3))" }.joined(separator: " ")
        let text =
          """
          epoch \(report.epoch)/\(report.epochs)  step \(report.stepInEpoch)/\(report.stepsPerEpoch)  loss \
          \(decimal(report.loss.total, 3))
          """
          + (parts.isEmpty ? "" : " (\(parts))")
          + "  \(decimal(Float(report.examplesPerSecond), 1)) examples/s  ETA \(duration(report.secondsLeft))"
        if inPlace {
          print("\r\u{1B}[K" + text, terminator: "", to: &stream)
          pending = true
        } else {
          line(text)
        }
      case .validated(let epoch, let validation, let best):
        line("epoch \(epoch) validation: \(validation.summary)" + (best ? "  (best so far, saved)" : ""))
      case .checkpoint:
        break
      }
    }, shouldStop: { interruptRequested.load(ordering: .relaxed) })
  switch outcome {
  case .finished:
    line("done: model in \(options.out) (metrics.json, loss.png beside it)")
  case .interrupted(let step):
    line(
      """
      interrupted after step \(step); state written to \(options.out)/\(TrainingLoop.stateFile); continue with \
      --resume
      """
    )
    throw ExitCode(130)
  }
}

/// With --skip-bad: one warning with the count, then each entry left out.
func reportSkipped(_ skipped: [String], data: String) {
  guard !skipped.isEmpty else { return }
  printWarning("\(data): left out \(skipped.count) bad \(skipped.count == 1 ? "entry" : "entries") (--skip-bad):")
  for message in skipped { printWarning("  " + message) }
}

func decimal(_ value: Float, _ places: Int) -> String { fixedPoint(Double(value), places) }

func duration(_ seconds: Double) -> String {
  guard seconds.isFinite, seconds >= 0 else { return "?" }
  let total = Int(seconds.rounded())
  if total >= 3600 { return "\(total / 3600)h\(String((total % 3600) / 60).zeroPadded(2))m" }
  if total >= 60 { return "\(total / 60)m\(String(total % 60).zeroPadded(2))s" }
  return "\(total)s"
}
