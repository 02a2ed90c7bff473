import GlimpseCore
import GlimpseIO
import GlimpseTensor

/// The encoder's choices that depend on how fast the CPU runs each way, measured once per CPU
/// and cached (`CalibratedTuning`), as nothing says every CPU orders them as the ones seen so far:
/// - from which batch the 3×3 layers run as Winograd F(2×2, 3×3): Winograd does 2.25× fewer
///   multiplications but adds transforms and 16 small GEMMs per layer, so where it starts to
///   pay depends on how fast the CPU's GEMMs run against its memory (on the EPYC (Zen 4) and the
///   Xeon both paths cross between batches 4 and 8);
/// - whether fixed weights run the forward pass through oneDNN (CNNEncoderDNNL.swift), for one
///   image and for a batch: its direct convolutions in blocked layouts against our Winograd, or
///   our one image split by rows between the cores;
/// - whether weights in training run the forward and backward passes through oneDNN
///   (CNNEncoderTrainingDNNL.swift): its convolutions, pools and ReLUs against our Winograd;
/// - which layers' training convolutions run direct rather than as oneDNN chooses: its choice is
///   made from the CPU and the shapes, not from timings, and on the Xeon it took Winograd for
///   conv1's three input channels, which ran slower than direct.
public enum EncoderCalibration {
  /// The batches timed for Winograd; `MeasuredTuning.candidates` adds 32, taken when Winograd
  /// wins at none.
  static let winogradBatches = [2, 4, 8, 16]
  /// The batches timed for oneDNN: one image, and one of its runs (`CNNEncoder.oneDNNChunk`).
  static let oneDNNBatches = [1, CNNEncoder.oneDNNChunk]
  /// The share timed for training, forward and backward: one core's of the default batch on two.
  static let trainingBatch = 16

  /// Times glimpse-small's encoder forward pass both ways at each batch: first im2col against
  /// Winograd, then our kernels (with the Winograd batch just found) against oneDNN where it
  /// loads, and the ways of training. About 2.2 s.
  public static func measure(repeats: Int = 5) -> MeasuredTuning {
    let winograd = fastest(batches: winogradBatches, repeats: repeats) { encoder, path in
      if path == 1 { encoder.winogradMinimumBatch = 1 }
    }
    let timings = winograd.map {
      EncoderTiming(batch: $0.batch, im2colMilliseconds: $0.times[0], winogradMilliseconds: $0.times[1])
    }
    let minimum = minimumBatch(timings)
    var tuning = MeasuredTuning(winogradMinimumBatch: minimum, timings: timings)
    guard CNNEncoder.oneDNNPreferred else { return tuning }
    let oneDNN = fastest(batches: oneDNNBatches, repeats: repeats) { encoder, path in
      encoder.winogradMinimumBatch = minimum
      encoder.oneDNNForward = path == 1
      encoder.weightsFixed = true
    }
    tuning.oneDNNTimings = oneDNN.map {
      KernelTiming(batch: $0.batch, ownMilliseconds: $0.times[0], oneDNNMilliseconds: $0.times[1])
    }
    tuning.oneDNNForOneImage = prefersOneDNN(tuning.oneDNNTimings[0])
    tuning.oneDNNForBatches = prefersOneDNN(tuning.oneDNNTimings[1])
    measureTraining(&tuning, repeats: max(1, repeats / 2))
    return tuning
  }

  /// Training's choices, on one core's share: first our kernels, oneDNN as it chooses, and oneDNN
  /// with each 3×3 layer's convolutions direct in turn; then, if some layers run faster direct,
  /// ours against oneDNN with all of those direct.
  static func measureTraining(_ tuning: inout MeasuredTuning, repeats: Int) {
    let minimum = tuning.winogradMinimumBatch
    let candidates = CNNEncoder.kernels.indices.filter { CNNEncoder.kernels[$0] == 3 }
    let times = fastest(
      batches: [trainingBatch], repeats: repeats, training: true, paths: 2 + candidates.count
    ) { encoder, path in
      encoder.winogradMinimumBatch = minimum
      encoder.oneDNNTraining = path > 0
      encoder.oneDNNDirectLayers = path > 1 ? [candidates[path - 2]] : []
    }[0].times
    tuning.oneDNNLayerTimings = candidates.enumerated().map {
      LayerTiming(layer: $1, chosenMilliseconds: times[1], directMilliseconds: times[2 + $0])
    }
    tuning.oneDNNDirectLayers = directLayers(tuning.oneDNNLayerTimings)
    var against = (own: times[0], oneDNN: times[1])
    if !tuning.oneDNNDirectLayers.isEmpty {
      let direct = Set(tuning.oneDNNDirectLayers)
      let both = fastest(batches: [trainingBatch], repeats: repeats, training: true) { encoder, path in
        encoder.winogradMinimumBatch = minimum
        encoder.oneDNNTraining = path > 0
        encoder.oneDNNDirectLayers = direct
      }[0].times
      against = (both[0], both[1])
    }
    tuning.oneDNNTrainingTimings = [
      KernelTiming(batch: trainingBatch, ownMilliseconds: against.own, oneDNNMilliseconds: against.oneDNN)
    ]
    tuning.oneDNNForTraining = prefersOneDNN(tuning.oneDNNTrainingTimings[0])
  }

  /// The layers whose share ran faster with their convolutions direct than as oneDNN chose, by
  /// more than `tie`: near a tie oneDNN's choice, so that two machines with the same CPU rarely
  /// choose differently.
  public static func directLayers(_ timings: [LayerTiming], tie: Double = 0.03) -> [Int] {
    timings.filter { $0.directMilliseconds < $0.chosenMilliseconds * (1 - tie) }.map(\.layer).sorted()
  }

  /// Per batch the fastest forward pass (and backward pass, if `training`) in ms of `paths`
  /// encoders, each first set to im2col and our kernels, then by `configure(encoder, path)`: `repeats`
  /// rounds after one untimed round, each round every batch and encoder in turn, so that a slow
  /// spell of the machine falls on one round of all rather than on one batch or encoder. To the
  /// microsecond, as the cache keeps them.
  static func fastest(
    batches: [Int], repeats: Int, training: Bool = false, paths: Int = 2, configure: (CNNEncoder, Int) -> Void
  ) -> [(batch: Int, times: [Double])] {
    let runs = batches.map { batch -> (images: Tensor, dgrid: Tensor, encoders: [CNNEncoder]) in
      let images = Tensor(zeros: [batch, 3, 64, 64])
      for i in 0..<images.count { images.pointer[i] = Float(i % 251) / 251 }
      let dgrid = Tensor(zeros: [batch, 64, 512])
      for i in 0..<dgrid.count { dgrid.pointer[i] = Float(i % 127) / 127 - 0.5 }
      let encoders = (0..<paths).map { path -> CNNEncoder in
        let encoder = CNNEncoder()
        var random = SeededGenerator(seed: 1)
        encoder.initialize(random: &random)
        encoder.winogradMinimumBatch = Int.max
        encoder.oneDNNForward = false
        encoder.oneDNNTraining = false
        configure(encoder, path)
        return encoder
      }
      return (images, dgrid, encoders)
    }
    var best = [[Double]](repeating: [Double](repeating: .infinity, count: paths), count: batches.count)
    for round in 0...repeats {
      for (index, run) in runs.enumerated() {
        for (path, encoder) in run.encoders.enumerated() {
          let start = monotonicSeconds()
          if training {
            oneShare(encoder, images: run.images, dgrid: run.dgrid)
          } else {
            encoder.forward(images: run.images)
          }
          if round > 0 { best[index][path] = min(best[index][path], (monotonicSeconds() - start) * 1000) }
        }
      }
    }
    return batches.indices.map { index in (batches[index], best[index].map { ($0 * 1000).rounded() / 1000 }) }
  }

  /// Training's forward and backward passes of `images` as one core's share, on this thread: as
  /// each core runs its share, and the same on every core count, so that one process and the
  /// one-core ranks of a job on the same CPU choose alike.
  static func oneShare(_ encoder: CNNEncoder, images: Tensor, dgrid: Tensor) {
    let all = 0..<images.size(0)
    encoder.beginForward(images: images)
    encoder.beginBackward()
    encoder.forwardShare(0, images: all)
    encoder.backwardShare(0, images: all, dgrid: dgrid, dmean: nil)
    encoder.finishBackward(workers: 1)
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

  /// Whether oneDNN was faster than our kernels by more than `tie`: near a tie our kernels, so
  /// that two machines with the same CPU rarely choose differently.
  public static func prefersOneDNN(_ timing: KernelTiming, tie: Double = 0.03) -> Bool {
    timing.oneDNNMilliseconds < timing.ownMilliseconds * (1 - tie)
  }
}
