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
  /// With a frozen encoder, each image's grid from a feature cache: no image is decoded.
  public let grids: CachedGrids?
  /// The images left out with `skipBad` (an in-memory cache only): index and message.
  public let failedImages: [(index: Int, message: String)]
  public let captions: [[Int32]]  // each maxTokens tokens
  public let imageOfCaption: [Int]  // which image each caption describes
  public var imageCount: Int { images.count }

  /// With `skipBad`, the captions of images that cannot be decoded are left out (and the
  /// images listed in `images.failed`).
  public init(
    dataset: CaptionDataset, vocabulary: Vocabulary, sizes: ModelSizes, source: String? = nil,
    skipBad: Bool = false, streaming: Bool = false, grids: CachedGrids? = nil
  ) throws {
    let maxTokens = sizes.maxTokens
    let entries = dataset.images.map { (source.map { $0 + ": " } ?? "") + "image id \($0.id)" }
    self.grids = grids
    if let grids {
      images = CachedImageSet(count: grids.entryOfImage.count, imageSize: sizes.imageSize)
      failedImages = []
    } else if streaming {
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

/// The grids of a dataset's images in a feature cache: image i is entry `entryOfImage[i]`.
public struct CachedGrids: Sendable {
  public let cache: FeatureCache
  public let entryOfImage: [Int]

  /// The grids of `paths` in `cache`, each found by its key as the file is now: an image that
  /// changed since the cache was written is an error (update the cache first).
  public init(cache: FeatureCache, paths: [String]) throws {
    let entries = Dictionary(cache.keys.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    entryOfImage = try paths.map { path in
      guard let entry = entries[try FeatureKey.of(path: path)] else {
        throw FileError(cache.path, "has no grid for \(path) as it is now (changed or new): run glimpse features")
      }
      return entry
    }
    self.cache = cache
  }

  /// The grids of `images` into grid [n, L, D] and their means into mean [n, D].
  public func copyGrids(_ images: [Int], grid: Tensor, mean: Tensor) {
    cache.copyGrids(images.map { entryOfImage[$0] }, grid: grid, mean: mean)
  }
}

/// The grid [n, L, D] and mean [n, D] of batches read from a feature cache, made again only when
/// the batch size changes.
struct CachedGridBuffers {
  private var grid = Tensor(zeros: [0]), mean = Tensor(zeros: [0])

  mutating func read(_ grids: CachedGrids, images: [Int]) -> (grid: Tensor, mean: Tensor) {
    let shape = grids.cache.grid
    if grid.count != images.count * shape.locations * shape.features {
      grid = Tensor(zeros: [images.count, shape.locations, shape.features])
      mean = Tensor(zeros: [images.count, shape.features])
    }
    grids.copyGrids(images, grid: grid, mean: mean)
    return (grid, mean)
  }
}

/// The images of a dataset whose grids come from a feature cache: there is nothing to decode.
struct CachedImageSet: ImageSet {
  let count: Int
  let imageSize: Int
  func copyImages(_ indices: [Int], to out: Tensor) throws {
    throw ImageCacheError(description: "the images of this dataset are read as cached grids, not decoded")
  }
  func prefetch(_ indices: [Int]) {}
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
