import GlimpseTensor

/// The choices measured on one CPU (`EncoderCalibration`, `FewRowBlocks`), with the timings they came from.
public struct MeasuredTuning: Equatable, Sendable {
  /// The smallest batch whose encoder runs its 3×3 layers as Winograd; one of `candidates`.
  public var winogradMinimumBatch: Int
  /// Per batch measured, the encoder's forward time in ms by im2col and by Winograd.
  public var timings: [EncoderTiming]
  /// Whether fixed weights run cnn-small's forward pass through oneDNN, for one image and for a
  /// batch; false where oneDNN does not load.
  public var oneDNNForOneImage: Bool, oneDNNForBatches: Bool
  /// Per batch measured, the forward time in ms on our kernels and through oneDNN; empty where
  /// oneDNN does not load.
  public var oneDNNTimings: [KernelTiming]
  /// Whether weights in training run cnn-small forward and backward through oneDNN; false where
  /// oneDNN does not load.
  public var oneDNNForTraining: Bool
  /// The forward and backward pass's time in ms on our kernels and through oneDNN, at the batch
  /// measured; empty where oneDNN does not load.
  public var oneDNNTrainingTimings: [KernelTiming]
  /// The layers whose training convolutions run direct rather than as oneDNN chooses (0 for
  /// conv1), and per 3×3 layer the share's time each way; empty where oneDNN does not load.
  public var oneDNNDirectLayers: [Int]
  public var oneDNNLayerTimings: [LayerTiming]
  /// Whether few-row products X·W (W as stored) run in wide blocks (`FewRowBlocks`); false
  /// where OpenBLAS multiplies no product directly.
  public var fewRowWideBlocks: Bool
  /// One product of `FewRowBlocks.measuredShape` in narrow and in wide blocks; nil where
  /// OpenBLAS multiplies no product directly.
  public var fewRowTiming: BlockTiming?

  /// The values `winogradMinimumBatch` may take: one image never runs Winograd (the rows of its
  /// layers are split between the cores instead), and a batch of 32 or more always does.
  public static let candidates = [2, 4, 8, 16, 32]

  public init(
    winogradMinimumBatch: Int, timings: [EncoderTiming], oneDNNForOneImage: Bool = false,
    oneDNNForBatches: Bool = false, oneDNNTimings: [KernelTiming] = [], oneDNNForTraining: Bool = false,
    oneDNNTrainingTimings: [KernelTiming] = [], oneDNNDirectLayers: [Int] = [], oneDNNLayerTimings: [LayerTiming] = [],
    fewRowWideBlocks: Bool = false, fewRowTiming: BlockTiming? = nil
  ) {
    (self.winogradMinimumBatch, self.timings) = (winogradMinimumBatch, timings)
    (self.oneDNNForOneImage, self.oneDNNForBatches, self.oneDNNTimings) =
      (oneDNNForOneImage, oneDNNForBatches, oneDNNTimings)
    (self.oneDNNForTraining, self.oneDNNTrainingTimings) = (oneDNNForTraining, oneDNNTrainingTimings)
    (self.oneDNNDirectLayers, self.oneDNNLayerTimings) = (oneDNNDirectLayers, oneDNNLayerTimings)
    (self.fewRowWideBlocks, self.fewRowTiming) = (fewRowWideBlocks, fewRowTiming)
  }
}

public struct EncoderTiming: Equatable, Sendable {
  public var batch: Int
  public var im2colMilliseconds: Double, winogradMilliseconds: Double

  public init(batch: Int, im2colMilliseconds: Double, winogradMilliseconds: Double) {
    (self.batch, self.im2colMilliseconds, self.winogradMilliseconds) = (batch, im2colMilliseconds, winogradMilliseconds)
  }
}

public struct KernelTiming: Equatable, Sendable {
  public var batch: Int
  public var ownMilliseconds: Double, oneDNNMilliseconds: Double

  public init(batch: Int, ownMilliseconds: Double, oneDNNMilliseconds: Double) {
    (self.batch, self.ownMilliseconds, self.oneDNNMilliseconds) = (batch, ownMilliseconds, oneDNNMilliseconds)
  }
}

/// One core's training share (forward and backward) through oneDNN, in ms, with every layer's
/// convolutions as oneDNN chooses and with `layer`'s direct.
public struct LayerTiming: Equatable, Sendable {
  public var layer: Int
  public var chosenMilliseconds: Double, directMilliseconds: Double

  public init(layer: Int, chosenMilliseconds: Double, directMilliseconds: Double) {
    (self.layer, self.chosenMilliseconds, self.directMilliseconds) = (layer, chosenMilliseconds, directMilliseconds)
  }
}
