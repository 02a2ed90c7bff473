import GlimpseData
import GlimpseEvaluation
import GlimpseIO
import GlimpseModels
import GlimpseTensor

/// Captions every image of `batches` with greedy decoding, 32 images at a time (shared out
/// among the cores), or beam search one image at a time when `beams` > 1.
public func captionAll(
  _ batches: CaptionBatches, encoder: ImageEncoder, decoder: CaptionDecoder, vocabulary: Vocabulary,
  beams: Int = 1, images range: Range<Int>? = nil, progress: (Int) -> Void = { _ in }
) throws -> [String] {
  let size = encoder.imageSize
  let range = range ?? 0..<batches.imageCount
  let count = range.upperBound
  let chunk = beams == 1 ? 32 : 1
  let images = Tensor(zeros: [batches.grids == nil ? chunk : 0, 3, size, size])
  var cached = CachedGridBuffers()
  var captions = [String]()
  captions.reserveCapacity(count)
  let decoders = decodersPerCore(decoder)
  for start in stride(from: range.lowerBound, to: count, by: chunk) {
    let n = min(chunk, count - start)
    let (grid, mean): (Tensor, Tensor)
    if let grids = batches.grids {
      (grid, mean) = cached.read(grids, images: Array(start..<start + n))
    } else {
      try batches.images.copyImages(Array(start..<start + n), to: images)
      encoder.forward(images: n == chunk ? images : images.slice(0..<n))
      (grid, mean) = (encoder.grid, encoder.mean)
    }
    let decoded =
      beams == 1
      ? greedyDecode(decoders, grid: grid, mean: mean)
      : [beamSearch(decoder, grid: grid, mean: mean, beams: beams)]
    for caption in decoded { captions.append(vocabulary.decode(caption.tokens).joined(separator: " ")) }
    progress(captions.count)
  }
  return captions
}

/// A captioner's scores on a dataset: the COCO caption metrics against the references and,
/// when the images are generated scenes, the semantic measures against the scenes.
public struct CaptionEvaluation: Sendable {
  public var images: Int
  public var scores: CaptionScores
  public var semantics: SemanticScores?
  public var captions: [String]

  public init(captions: [String], dataset: CaptionDataset, scenes: [Int: Scene]?) {
    images = captions.count
    self.captions = captions
    scores = scoreCaptions(
      candidates: captions.map(tokenize), references: dataset.images.map { $0.captions.map(tokenize) })
    semantics = scenes.map { scenes in scoreSemantics(captions: captions, scenes: dataset.images.map { scenes[$0.id]! })
    }
  }

  /// The metrics as one JSON object, keys as `glimpse eval caption --json` prints them.
  public var json: JSONValue {
    var fields: [(String, JSONValue)] = (0..<4).map { ("bleu\($0 + 1)", .number(scores.bleu[$0])) }
    fields += [("rouge_l", .number(scores.rougeL)), ("cider_d", .number(scores.ciderD))]
    if let semantics {
      fields += [
        ("semantic_accuracy", .number(semantics.semanticAccuracy)),
        ("grammaticality", .number(semantics.grammaticality)),
        ("attribute_precision", .number(semantics.attributePrecision)),
        ("attribute_recall", .number(semantics.attributeRecall)),
        ("diversity", .number(semantics.diversity)),
      ]
    }
    fields.append(("images", .number(Double(images))))
    return .object(fields)
  }

  /// The COCO results file: `[{image_id, caption}]`.
  public func resultsJSON(dataset: CaptionDataset) -> JSONValue {
    .array(
      zip(dataset.images, captions).map { image, caption in
        .object([("image_id", .number(Double(image.id))), ("caption", .string(caption))])
      })
  }
}
