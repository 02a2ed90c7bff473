import GlimpseCore
import GlimpseTensor

/// What the decoders, VQA heads and trainers see of an image encoder: its parameters, the
/// images it takes and the grid it gives, forward and backward, and the per-core shares of a
/// batch for a caller that runs each core's images through the whole model at once.
public protocol ImageEncoder: AnyObject {
  var parameters: [Parameter] { get }
  /// Images are [B, 3, imageSize, imageSize] in [0, 1].
  var imageSize: Int { get }
  var gridShape: GridShape { get }
  /// The last forward pass's grid [B, L, D] and its mean over the locations [B, D].
  var grid: Tensor { get }
  var mean: Tensor { get }
  /// Multiply-adds of one image's forward pass.
  var forwardMultiplyAdds: Int { get }
  func initialize(random: inout SeededGenerator)

  func forward(images: Tensor)
  /// Accumulates the parameters' gradients from dgrid [B, L, D] and/or dmean [B, D].
  func backward(dgrid: Tensor?, dmean: Tensor?)

  /// How many per-core shares a batch may be run in (`forwardShare`, `backwardShare`).
  var workers: Int { get }
  /// What every share of a forward pass reads; a caller running the shares itself calls it first.
  func beginForward(images: Tensor)
  func forwardShare(_ worker: Int, images range: Range<Int>)
  func beginBackward()
  func backwardShare(_ worker: Int, images range: Range<Int>, dgrid: Tensor?, dmean: Tensor?)
  /// Adds the first `workers` shares' weight gradients to the parameters' gradients, in order.
  func finishBackward(workers: Int)

  /// A frozen encoder (pretrained) is not trained: its parameters are saved and loaded with the
  /// model but left out of the optimiser, and its backward pass does nothing.
  var isFrozen: Bool { get }
  /// Called after the parameters were loaded or replaced, for an encoder that derives execution
  /// weights from them (batch norm folded into convolutions).
  func parametersChanged()
  /// Whether the weights stay as they are from one forward pass to the next (a loaded model's,
  /// not one in training), so that an encoder may keep copies of them in other layouts.
  var weightsFixed: Bool { get set }
}

extension ImageEncoder {
  public var isFrozen: Bool { false }
  public func parametersChanged() {}
  public var weightsFixed: Bool {
    get { false }
    set {}
  }
  /// What the optimiser trains: nothing of a frozen encoder.
  public var trainableParameters: [Parameter] { isFrozen ? [] : parameters }
}

/// The encoder `sizes` names, with new (zero) weights.
public func makeImageEncoder(sizes: ModelSizes) -> ImageEncoder {
  sizes.isPhotoEncoder ? EfficientNetLite0() : CNNEncoder(sizes: sizes)
}
