import CDNNL
import GlimpseLayers
import GlimpseTensor

#if canImport(Glibc)
import Glibc
#endif

/// cnn-small's forward pass through oneDNN, for fixed weights (`CNNEncoder.weightsFixed`) where
/// it ran faster than our kernels on this CPU (`EncoderCalibration`): one network per batch
/// size, each convolution fused with its bias and ReLU, in the blocked layouts oneDNN picks for
/// the CPU, the first three followed by oneDNN's max-pool, the last writing the grid. Only the
/// forward pass: training keeps our own kernels, whose activations the backward pass reads.
extension CNNEncoder {
  /// oneDNN where it loads, unless `GLIMPSE_SMALL_KERNELS=own`.
  public static let oneDNNPreferred: Bool = {
    if let chosen = getenv("GLIMPSE_SMALL_KERNELS"), String(cString: chosen) == "own" { return false }
    return oneDNNLoadProblem == nil
  }()

  /// Images per oneDNN run: a service meeting every batch size then keeps at most 8 networks (and
  /// their activations). Batch-32 captioning ran as fast in runs of 4, 8, 16 or 32 (Intel Xeon).
  static let oneDNNChunk = 8

  /// The layers as the shim describes them; the weights are read while a network is made, the
  /// biases on every run. In training the layers at `direct` run direct convolutions.
  func oneDNNChain(direct: Set<Int> = []) -> [glimpse_dnnl_conv] {
    layers.enumerated().map { index, layer in
      glimpse_dnnl_conv(
        in_channels: Int32(layer.inChannels), out_channels: Int32(layer.outChannels), kernel: Int32(layer.kernel),
        stride: 1, groups: 1, pad_before: Int32(layer.kernel / 2), pad_after: Int32(layer.kernel / 2),
        input: Int32(index - 1), residual: -1, relu6: 0, relu: 1, pool: layer.pooled ? 1 : 0,
        weights: UnsafePointer(layer.weight.value.pointer), bias: UnsafePointer(layer.bias.value.pointer),
        direct: direct.contains(index) ? 1 : 0)
    }
  }

  /// Whether a forward pass of `images` (fixed weights) runs through oneDNN: as set, or as
  /// measured on this CPU for one image or for a batch.
  func runsThroughOneDNN(images: Tensor) -> Bool {
    if let oneDNNForward { return oneDNNForward }
    let tuning = CalibratedTuning.current.tuning
    return images.count == 3 * imageSize * imageSize ? tuning.oneDNNForOneImage : tuning.oneDNNForBatches
  }

  /// images [B, 3, S, S] → `grid` and `mean` through oneDNN; false, with the reason in
  /// `oneDNNFailure`, if it could not run (the caller then runs our own kernels, from then on).
  func forwardWithOneDNN(images: Tensor) -> Bool {
    normalise(images: images)
    let (imageCount, gridCount) = (3 * imageSize * imageSize, gridShape.locations * gridShape.features)
    do {
      for start in stride(from: 0, to: batch, by: Self.oneDNNChunk) {
        let n = min(Self.oneDNNChunk, batch - start)
        try oneDNN.run(
          input: input.pointer + start * imageCount, images: n, channels: 3, side: imageSize,
          grid: grid.pointer + start * gridCount
        ) { oneDNNChain() }
      }
    } catch {
      oneDNNFailure = "\(error)"
      return false
    }
    gridMean(
      grid.pointer, into: mean.pointer, rows: batch, locations: gridShape.locations, features: gridShape.features)
    return true
  }
}
