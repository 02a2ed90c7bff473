import GlimpseTensor

/// The sizes the spec fixes.
public enum GlimpseSmall {
  public static let embedding = 256
  public static let hidden = 512
  public static let attention = 256
  public static let maxTokens = 16
}

/// A caption decoder trained with teacher forcing: given the encoder's grid and mean and the
/// input tokens (`<start>` w1 … wn, [B, S]), the logits for the next tokens [B, S, V].
public protocol CaptionDecoder: AnyObject {
  var parameters: [Parameter] { get }
  var vocabularySize: Int { get }
  func initialize(random: inout SeededGenerator)
  /// Returns logits [B, S, V], a view of the decoder's own buffer.
  func forward(grid: Tensor, mean: Tensor, inputs: [Int32], batch: Int, steps: Int) -> Tensor
  /// Any loss the decoder adds itself for the real (non-`<pad>`) targets [B, S]; 0 for most.
  func auxiliaryLoss(targets: [Int32]) -> Float
  /// Accumulates parameter gradients and dgrid [B, L, D], dmean [B, D] from dlogits [B, S, V]
  /// (plus the auxiliary loss's gradient, if `auxiliaryLoss` was called).
  func backward(dlogits: Tensor, dgrid: Tensor, dmean: Tensor)
}

extension CaptionDecoder {
  public func auxiliaryLoss(targets: [Int32]) -> Float { 0 }
}
