import GlimpseImage
import GlimpseLayers
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
  softmaxRows(network.logits.pointer, rows: 1, columns: EfficientNetLite0.classes)
  let p = Array(UnsafeBufferPointer(start: network.logits.pointer, count: EfficientNetLite0.classes))
  let ranked = p.indices.sorted { p[$0] > p[$1] || (p[$0] == p[$1] && $0 < $1) }
  return ranked.prefix(top).map { ScoredClass(index: $0, label: encoder.classes[$0], p: p[$0]) }
}
