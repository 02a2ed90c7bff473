import GlimpseCore
import GlimpseTensor

/// A caption decoder trained with teacher forcing: given the encoder's grid and mean and the
/// input tokens (`<start>` w1 … wn, [B, S]), the logits for the next tokens [B, S, V].
public protocol CaptionDecoder: AnyObject {
  var parameters: [Parameter] { get }
  var vocabularySize: Int { get }
  var sizes: ModelSizes { get }
  func initialize(random: inout SeededGenerator)
  /// Returns logits [B, S, V], a view of the decoder's own buffer.
  func forward(grid: Tensor, mean: Tensor, inputs: [Int32], batch: Int, steps: Int) -> Tensor
  /// Any loss the decoder adds itself for the real (non-`<pad>`) targets [B, S], averaged over
  /// `batch` (the whole batch's size when these rows are one share of it); 0 for most.
  func auxiliaryLoss(targets: [Int32], batch: Int) -> Float
  /// Accumulates parameter gradients and dgrid [B, L, D], dmean [B, D] from dlogits [B, S, V]
  /// (plus the auxiliary loss's gradient, if `auxiliaryLoss` was called).
  func backward(dlogits: Tensor, dgrid: Tensor, dmean: Tensor)

  /// Inference, one step at a time: starts N sequences (images, or beams of one image) from
  /// grid [N, L, D] and mean [N, D].
  func beginDecoding(grid: Tensor, mean: Tensor)
  /// Feeds each row its last token [N] and returns the next token's logits [N, V] (a view of
  /// the decoder's buffer, valid until the next step).
  func decodeStep(tokens: [Int32]) -> Tensor
  /// For beam search: row i continues from the state row `sources[i]` had.
  func reorderRows(_ sources: [Int])
  /// A decoder reading this one's weights (the same tensors) with buffers of its own, so that
  /// another thread can decode other rows at the same time; with `ownGradients` also gradient
  /// tensors of its own, so that it can train on other rows at the same time.
  func replica(ownGradients: Bool) -> CaptionDecoder
  /// Set when the weights will not change again while this decoder decodes (a loaded model
  /// being served): what a decoding run computes from the weights alone (each token's input
  /// projection) is then kept for the next runs. Training leaves it false. Per decoder: set it
  /// on each replica too.
  var weightsFixed: Bool { get set }
  /// Groups of `parameters` whose gradients `backward` makes final before it returns, in the
  /// order it does so: a training job over several machines sends each over the network while
  /// the rest is computed. Empty for most decoders.
  var earlyGradientGroups: [[Parameter]] { get }
  /// Called by `backward`, on its thread, with k as soon as group k of `earlyGradientGroups` is
  /// final. Per decoder: set it on each replica too.
  var gradientGroupFinished: ((Int) -> Void)? { get set }
}

extension CaptionDecoder {
  public func auxiliaryLoss(targets: [Int32], batch: Int) -> Float { 0 }
  public var earlyGradientGroups: [[Parameter]] { [] }
  /// Never called for a decoder without early groups.
  public var gradientGroupFinished: ((Int) -> Void)? {
    get { nil }
    set {}
  }
  /// The most words a decoded caption has by default: the training captions' tokens less
  /// `<start>` and `<end>`.
  public var maxWords: Int { sizes.maxTokens - 2 }
}
