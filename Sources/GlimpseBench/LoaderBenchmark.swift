import GlimpseData
import GlimpseModels
import GlimpseTraining

/// Images per second that the training data path decodes, resizes to 64×64 and batches (both
/// cores), and captions tokenised, for the COCO captions of a folder (DIR/captions.json).
public func benchmarkLoader(folder: String, repeats: Int = 3) throws -> [Measurement] {
  let dataset = try loadCOCOCaptions(path: folder + "/captions.json")
  let vocabulary = Vocabulary.build(from: dataset.images.flatMap(\.captions).map(tokenize))
  let count = Double(dataset.images.count)
  let seconds = try timeRepeats(warmup: 1, repeats: repeats) {
    _ = try CaptionBatches(dataset: dataset, vocabulary: vocabulary, sizes: benchSizes)
  }
  return [Measurement(name: "loader.decode-resize-batch", unit: "images/s", samples: seconds.map { count / $0 })]
}
