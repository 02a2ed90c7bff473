import Dispatch
import GlimpseData
import GlimpseIO
import GlimpseImage
import GlimpseModels
import GlimpseTensor

/// Images held in memory for training and evaluation: each decoded and resized once to the
/// model's input (both cores decoding) and kept as 8-bit levels, a quarter of the floats' size
/// (20,000 images take 246 MB). The first image that fails to decode is the error, naming the
/// entry that listed it; with `skipBad`, failures are kept in `failed` instead.
public struct ImageCache: Sendable {
  let pixels: ImageLevels              // [N, 3, 64, 64], level k standing for k / 255
  public var count: Int { pixels.levels.count / ImageCache.imageValues }
  /// The images that could not be decoded (with `skipBad`): index and message.
  public private(set) var failed: [(index: Int, message: String)] = []
  static let imageValues = 3 * CNNEncoder.imageSize * CNNEncoder.imageSize

  /// `entries[i]` says where image i was listed, for error messages (e.g. "captions.json: image id 7").
  public init(paths: [String], entries: [String]? = nil, skipBad: Bool = false) throws {
    let size = CNNEncoder.imageSize, count = paths.count
    let perImage = ImageCache.imageValues
    let levels = ImageLevels(count: count * perImage)
    let failures = FailureList(count: count)
    DispatchQueue.concurrentPerform(iterations: 2) { worker in
      for index in stride(from: worker, to: count, by: 2) {
        do {
          let values = try decodeImage(path: paths[index]).image.modelInput(size: size)
          let out = levels.levels.baseAddress! + index * perImage
          for k in 0..<perImage { out[k] = UInt8((min(max(values[k], 0), 1) * 255).rounded()) }
        } catch {
          failures.record(index, error)
        }
      }
    }
    pixels = levels
    for (index, error) in failures.all {
      let message = (entries.map { $0[index] + ": " } ?? "") + "\(error)"
      guard skipBad else { throw ImageCacheError(description: message) }
      failed.append((index, message))
    }
  }

  /// Writes image `index` into `out` [3, 64, 64] as floats in [0, 1].
  public func copyImage(_ index: Int, to out: Tensor) {
    let perImage = ImageCache.imageValues
    let (target, source) = (out.pointer, pixels.levels.baseAddress! + index * perImage)
    for k in 0..<perImage { target[k] = Float(source[k]) / 255 }
  }
}

/// A caption dataset held in memory for training: the images in an `ImageCache`, every caption
/// tokenised into `<start>` words `<end>` padded with `<pad>` to the spec's 16 tokens. Captions
/// longer than that are cut (keeping `<end>`).
public struct CaptionBatches: Sendable {
  public let images: ImageCache
  public let captions: [[Int32]]       // each 16 tokens
  public let imageOfCaption: [Int]     // which image each caption describes
  public var imageCount: Int { images.count }

  /// With `skipBad`, the captions of images that cannot be decoded are left out (and the
  /// images listed in `images.failed`).
  public init(dataset: CaptionDataset, vocabulary: Vocabulary, maxTokens: Int = GlimpseSmall.maxTokens, source: String? = nil,
              skipBad: Bool = false) throws {
    let entries = dataset.images.map { (source.map { $0 + ": " } ?? "") + "image id \($0.id)" }
    images = try ImageCache(paths: dataset.images.map(\.path), entries: entries, skipBad: skipBad)
    let bad = Set(images.failed.map(\.index))
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

  public func copyImage(_ index: Int, to out: Tensor) { images.copyImage(index, to: out) }
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
