import Dispatch
import GlimpseData
import GlimpseIO
import GlimpseImage
import GlimpseModels
import GlimpseTensor

/// A caption dataset held in memory for training: every image decoded and resized once to the
/// model's input ([N, 3, 64, 64], both cores decoding), every caption tokenised into `<start>`
/// words `<end>` padded with `<pad>` to the spec's 16 tokens. Captions longer than that are cut
/// (keeping `<end>`).
public struct CaptionBatches {
  public let images: Tensor            // [N, 3, 64, 64] in [0, 1]
  public let captions: [[Int32]]       // each 16 tokens
  public let imageOfCaption: [Int]     // which image each caption describes

  public init(dataset: CaptionDataset, vocabulary: Vocabulary, maxTokens: Int = GlimpseSmall.maxTokens) throws {
    let size = CNNEncoder.imageSize
    let count = dataset.images.count
    let images = Tensor(zeros: [count, 3, size, size])
    let failures = FailureList(count: count)
    DispatchQueue.concurrentPerform(iterations: 2) { worker in
      for index in stride(from: worker, to: count, by: 2) {
        do {
          let pixels = try decodeImage(path: dataset.images[index].path).image.modelInput(size: size)
          images.slice(index).pointer.update(from: pixels, count: pixels.count)
        } catch {
          failures.record(index, error)
        }
      }
    }
    if let failure = failures.first { throw failure }
    var captions = [[Int32]](), imageOfCaption = [Int]()
    for (index, image) in dataset.images.enumerated() {
      for caption in image.captions {
        var ids = vocabulary.encode(tokenize(caption))
        if ids.count > maxTokens { ids = Array(ids.prefix(maxTokens - 1)) + [SpecialToken.end] }
        captions.append(ids + [Int32](repeating: SpecialToken.pad, count: maxTokens - ids.count))
        imageOfCaption.append(index)
      }
    }
    self.images = images
    self.captions = captions
    self.imageOfCaption = imageOfCaption
  }
}

/// Errors from the decoding workers, kept per image so the first one reported is always the same.
final class FailureList: @unchecked Sendable {
  private var errors: [Error?]
  private let lock = DispatchQueue(label: "glimpse.failures")

  init(count: Int) { errors = [Error?](repeating: nil, count: count) }
  func record(_ index: Int, _ error: Error) { lock.sync { errors[index] = error } }
  var first: Error? { lock.sync { errors.compactMap { $0 }.first } }
}
