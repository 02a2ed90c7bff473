import GlimpseCore
import GlimpseData
import GlimpseIO
import GlimpseImage
import GlimpseModels
import GlimpseTensor

/// A caption dataset ready for training: the images in an `ImageCache` (or, with `streaming`, an
/// `ImageStream` that decodes each batch as it comes, the next one in the background), every caption
/// tokenised into `<start>` words `<end>` padded with `<pad>` to the model's `maxTokens`. Captions
/// longer than that are cut (keeping `<end>`).
public struct CaptionBatches: Sendable {
  public let images: ImageSet
  /// The images left out with `skipBad` (an in-memory cache only): index and message.
  public let failedImages: [(index: Int, message: String)]
  public let captions: [[Int32]]  // each maxTokens tokens
  public let imageOfCaption: [Int]  // which image each caption describes
  public var imageCount: Int { images.count }

  /// With `skipBad`, the captions of images that cannot be decoded are left out (and the
  /// images listed in `images.failed`).
  public init(
    dataset: CaptionDataset, vocabulary: Vocabulary, sizes: ModelSizes, source: String? = nil,
    skipBad: Bool = false, streaming: Bool = false
  ) throws {
    let maxTokens = sizes.maxTokens
    let entries = dataset.images.map { (source.map { $0 + ": " } ?? "") + "image id \($0.id)" }
    if streaming {
      images = ImageStream(paths: dataset.images.map(\.path), imageSize: sizes.imageSize, entries: entries)
      failedImages = []
    } else {
      let cache = try ImageCache(
        paths: dataset.images.map(\.path), imageSize: sizes.imageSize, entries: entries,
        skipBad: skipBad)
      (images, failedImages) = (cache, cache.failed)
    }
    let bad = Set(failedImages.map(\.index))
    var captions = [[Int32]](), imageOfCaption = [Int]()
    for (index, image) in dataset.images.enumerated() where !bad.contains(index) {
      for caption in image.captions {
        var ids = vocabulary.encode(tokenize(caption))
        if ids.count > maxTokens { ids = Array(ids.prefix(maxTokens - 1)) + [SpecialToken.end] }
        captions.append(ids + [Int32](repeating: SpecialToken.pad, count: maxTokens - ids.count))
        imageOfCaption.append(index)
      }
    }
    self.captions = captions
    self.imageOfCaption = imageOfCaption
  }
}

/// 8-bit image levels, written by both decoding workers (each to its own images).
final class ImageLevels: @unchecked Sendable {
  let levels: UnsafeMutableBufferPointer<UInt8>
  init(count: Int) { levels = .allocate(capacity: count); levels.initialize(repeating: 0) }
  deinit { levels.deallocate() }
}

public struct ImageCacheError: Error, CustomStringConvertible, Sendable {
  public var description: String
}
