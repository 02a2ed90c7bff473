import GlimpseIO

/// One benchmark figure: the median of timed repeats after a warm-up, with the spread.
public struct Measurement: Sendable, Equatable {
  public var name: String
  public var unit: String
  public var median: Double
  public var min: Double
  public var max: Double

  public init(name: String, unit: String, samples: [Double]) {
    precondition(!samples.isEmpty)
    let sorted = samples.sorted()
    let middle = sorted.count / 2
    self.name = name
    self.unit = unit
    median = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    min = sorted.first!
    max = sorted.last!
  }
}

/// Runs `body` `warmup` times untimed, then `repeats` times, returning each run's seconds.
public func timeRepeats(warmup: Int, repeats: Int, _ body: () throws -> Void) rethrows -> [Double] {
  for _ in 0..<warmup { try body() }
  var samples = [Double]()
  for _ in 0..<repeats {
    let start = monotonicSeconds()
    try body()
    samples.append(monotonicSeconds() - start)
  }
  return samples
}
