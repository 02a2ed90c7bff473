import GlimpseCore
import GlimpseDistributed
import GlimpseIO
import GlimpseModels

/// What one training step of each model sums over the ranks: every trainable parameter's
/// gradient (and three floats of loss and stop request), in floats.
/// - `small.attention`: glimpse-small's attention captioner, cnn-small trained with it;
/// - `photo.attention`: the photo configuration's attention decoder (V = 10,000), its
///   pretrained encoder frozen, all of it;
/// - `photo.attention.b32`: what a step at batch 32 sends of it: the embedding's rows for at
///   most 32 × 21 words, since the rows of words no caption holds are left out.
public func allreducePayloads() -> [(name: String, floats: Int)] {
  let encoder = CNNEncoder(sizes: benchSizes)
  let small = DecoderKind.attention.make(vocabularySize: benchVocabulary, sizes: benchSizes)
  let photo = DecoderKind.attention.make(vocabularySize: photoVocabulary, sizes: .photo)
  func floats(_ parameters: [Parameter]) -> Int { parameters.reduce(3) { $0 + $1.value.count } }
  let sizes = ModelSizes.photo
  let embedding = photo.parameters.first { $0.value.shape == [photoVocabulary, sizes.embedding] }
  let untouchedRows = photoVocabulary - min(photoVocabulary, 32 * (sizes.maxTokens - 1))
  return [
    ("small.attention", floats(encoder.parameters + small.parameters)),
    ("photo.attention", floats(photo.parameters)),
    ("photo.attention.b32", floats(photo.parameters) - (embedding == nil ? 0 : untouchedRows * sizes.embedding)),
  ]
}

/// ms per sum over the ranks of `floats` floats, as one training step calls it: `repeats` timed
/// after two untimed, each rank starting together (after a sum of one float). Every rank gets
/// rank 0's figures.
public func benchmarkAllreduce(
  _ communicator: Communicator, name: String, floats: Int, repeats: Int
) throws -> Measurement {
  var values = [Float](repeating: 1, count: floats)
  var start: [Float] = [0]
  var samples = [Double]()
  for repeat_ in 0..<(repeats + 2) {
    try start.withUnsafeMutableBufferPointer { try communicator.sumOverRanks($0) }
    let began = monotonicSeconds()
    try values.withUnsafeMutableBufferPointer { try communicator.sumOverRanks($0) }
    if repeat_ >= 2 { samples.append((monotonicSeconds() - began) * 1000) }
  }
  try samples.withUnsafeMutableBytes { try communicator.broadcast($0, from: 0) }
  return Measurement(name: "allreduce.\(name).np\(communicator.size)", unit: "ms", samples: samples)
}
