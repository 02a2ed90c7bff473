import GlimpseData
import GlimpseIO
import GlimpseInference
import GlimpseModels
import GlimpseTensor

/// `glimpse eval caption`: captions every image of a dataset with the model (greedy or beam
/// search) and scores the captions against the references and, for generated scenes, against
/// the scenes. With `resultsPath`, also writes the COCO results file `[{image_id, caption}]`.
public func evaluateCaptioner(
  model: CaptionModel, data: String, beams: Int = 1, resultsPath: String? = nil,
  progress: (Int, Int) -> Void = { _, _ in }
) throws -> CaptionEvaluation {
  try loadBLAS()
  let source = try CaptionSource(path: data, split: "test")
  let batches = try CaptionBatches(dataset: source.dataset, vocabulary: model.vocabulary, sizes: model.sizes)
  let captions = try captionAll(
    batches, encoder: model.encoder, decoder: model.decoder, vocabulary: model.vocabulary, beams: beams
  ) {
    progress($0, batches.imageCount)
  }
  let evaluation = CaptionEvaluation(captions: captions, dataset: source.dataset, scenes: source.scenes)
  if let resultsPath {
    try writeFileAtomically(resultsPath, Array((evaluation.resultsJSON(dataset: source.dataset).text + "\n").utf8))
  }
  return evaluation
}
