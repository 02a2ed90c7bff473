import GlimpseIO
import GlimpseTensor

/// From which batch the encoder's 3×3 layers run as Winograd F(2×2, 3×3) on this CPU. Winograd
/// does 2.25× fewer multiplications but adds transforms and 16 small GEMMs per layer, so where
/// it starts to pay depends on how fast the CPU's GEMMs run against its memory: on the EPYC
/// (Zen 4) and the Xeon measured so far both paths cross between batches 4 and 8, but nothing
/// says every CPU does, so the crossing is measured once per CPU and cached (`CalibratedTuning`).
public enum WinogradCalibration {
  /// The batches timed; `MeasuredTuning.candidates` adds 32, taken when Winograd wins at none.
  static let batches = [2, 4, 8, 16]

  /// Times glimpse-small's encoder forward pass at each of `batches` by both paths: `repeats`
  /// rounds after one untimed round, each round every batch and path in turn, keeping each one's
  /// fastest, so that a slow spell of the machine falls on one round of all rather than on one
  /// batch or path. About 0.5 s.
  public static func measure(repeats: Int = 5) -> MeasuredTuning {
    let runs = batches.map { batch -> (images: Tensor, encoders: [CNNEncoder]) in
      let images = Tensor(zeros: [batch, 3, 64, 64])
      for i in 0..<images.count { images.pointer[i] = Float(i % 251) / 251 }
      let encoders = [Int.max, 1].map { minimum -> CNNEncoder in
        let encoder = CNNEncoder()
        encoder.winogradMinimumBatch = minimum
        return encoder
      }
      return (images, encoders)
    }
    var fastest = [[Double]](repeating: [.infinity, .infinity], count: batches.count)
    for round in 0...repeats {
      for (index, run) in runs.enumerated() {
        for (path, encoder) in run.encoders.enumerated() {
          let start = monotonicSeconds()
          encoder.forward(images: run.images)
          if round > 0 { fastest[index][path] = min(fastest[index][path], (monotonicSeconds() - start) * 1000) }
        }
      }
    }
    // To the microsecond, as the cache keeps them.
    let timings = batches.indices.map { index in
      let (im2col, winograd) = (
        (fastest[index][0] * 1000).rounded() / 1000, (fastest[index][1] * 1000).rounded() / 1000
      )
      return EncoderTiming(batch: batches[index], im2colMilliseconds: im2col, winogradMilliseconds: winograd)
    }
    return MeasuredTuning(winogradMinimumBatch: minimumBatch(timings), timings: timings)
  }

  /// The smallest candidate batch from which Winograd was at least as fast at every batch timed:
  /// a single win between losses is taken for noise. Within `tie` of im2col counts as a tie,
  /// which Winograd takes, so that two machines with the same CPU, near the crossing, rarely
  /// choose differently.
  public static func minimumBatch(_ timings: [EncoderTiming], tie: Double = 0.03) -> Int {
    let sorted = timings.sorted { $0.batch < $1.batch }
    for candidate in MeasuredTuning.candidates.dropLast() {
      let from = sorted.filter { $0.batch >= candidate }
      if !from.isEmpty && from.allSatisfy({ $0.winogradMilliseconds <= $0.im2colMilliseconds * (1 + tie) }) {
        return candidate
      }
    }
    return MeasuredTuning.candidates.last!
  }
}
