import GlimpseCore
import GlimpseTensor

/// EfficientNet-Lite0 as the captioners' and VQA heads' image encoder: pretrained, frozen, its
/// weights loaded with the model (`parametersChanged` folds them again). Images are
/// [B, 3, 224, 224] in [0, 1]; the grid is 7×7 locations of 1,280 features.
extension EfficientNetLite0: ImageEncoder {
  public var imageSize: Int { Self.imageSize }
  public var isFrozen: Bool { true }

  /// Pretrained weights come from an encoder folder, never from random numbers.
  public func initialize(random: inout SeededGenerator) {}

  public func parametersChanged() { prepare() }

  public func beginForward(images: Tensor) {
    if folded.isEmpty { prepare() }
    prepareExecution(batch: images.size(0))
    execution.images = images
  }

  public func forwardShare(_ worker: Int, images range: Range<Int>) {
    for i in range { forwardImage(i, images: execution.images, worker: worker, parts: 1) }
  }

  public func backward(dgrid: Tensor?, dmean: Tensor?) {}
  public func beginBackward() {}
  public func backwardShare(_ worker: Int, images range: Range<Int>, dgrid: Tensor?, dmean: Tensor?) {}
  public func finishBackward(workers: Int) {}
}
