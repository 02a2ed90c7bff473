#if canImport(Glibc)
import Glibc
#endif
import GlimpseImage
import GlimpseModels
import GlimpseTensor

/// One class of an image's classification: its ImageNet number (0–999), name and probability.
public struct ScoredClass: Equatable, Sendable {
  public let index: Int
  public let label: String
  public let p: Float
}

/// ImageNet's top `top` classes for the image at `path`, through the pretrained encoder and its
/// classifier, with the reference's preprocessing (short side to 256 by bicubic, centre crop).
public func classifyImage(
  path: String, encoder: PretrainedEncoder, top: Int = 5, maxPixels: Int = defaultMaxPixels
) throws -> [ScoredClass] {
  let image = try decodeImage(path: path, maxPixels: maxPixels).image
  let size = EfficientNetLite0.imageSize
  let input = Tensor(shape: [1, 3, size, size], values: image.classificationInput(crop: size))
  let network = encoder.encoder
  network.classify(images: input)
  let logits = (0..<EfficientNetLite0.classes).map { Double(network.logits.pointer[$0]) }
  let largest = logits.max()!
  let total = logits.reduce(0) { $0 + exp($1 - largest) }
  let ranked = logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
  return ranked.prefix(top).map { index in
    ScoredClass(index: index, label: encoder.classes[index], p: Float(exp(logits[index] - largest) / total))
  }
}
