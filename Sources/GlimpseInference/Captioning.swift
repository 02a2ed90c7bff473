import GlimpseCore
import GlimpseData
import GlimpseIO
import GlimpseImage
import GlimpseModels
import GlimpseTensor

/// One image's caption: the text, each word with its log-probability, and `<end>`'s.
public struct ImageCaption: Sendable {
  public var image: String
  public var words: [String]
  public var wordLogProbabilities: [Float]
  /// log p(`<end>`), or nil when the caption ran out of room before ending.
  public var endLogProbability: Float?

  public var text: String { words.joined(separator: " ") }
}

/// How words are chosen: beam search (width 1 is greedy decoding), or sampling from the
/// softmax at a temperature, seeded afresh for each image so that a seed gives an image the
/// same caption whatever else is captioned with it.
public enum CaptionDecoding: Sendable {
  case beam(Int)
  case sample(temperature: Float, seed: UInt64)
}

/// Captions one image file with the model: decode, resize to the model's input, encode, then
/// decode words as `decoding` says.
public func captionImage(
  path: String, model: CaptionModel, decoding: CaptionDecoding = .beam(1),
  maxPixels: Int = defaultMaxPixels
) throws -> ImageCaption {
  try loadBLAS()
  model.decoder.weightsFixed = true  // as the service's: the same steps give the same caption
  model.encoder.weightsFixed = true  // and the same kernels the same grid
  let image = try decodeImage(path: path, maxPixels: maxPixels).image
  let size = model.encoder.imageSize
  let input = Tensor(shape: [1, 3, size, size], values: image.modelInput(size: size))
  model.encoder.forward(images: input)
  let (grid, mean) = (model.encoder.grid, model.encoder.mean)
  let decoded: DecodedCaption
  switch decoding {
  case .beam(1): decoded = greedyDecode(model.decoder, grid: grid, mean: mean)[0]
  case .beam(let beams): decoded = beamSearch(model.decoder, grid: grid, mean: mean, beams: beams)
  case .sample(let temperature, let seed):
    var random = SeededGenerator(seed: seed)
    decoded = sampleDecode(model.decoder, grid: grid, mean: mean, temperature: temperature, random: &random)
  }
  let words = decoded.tokens.map { model.vocabulary.words[Int($0)] }
  return ImageCaption(
    image: path, words: words, wordLogProbabilities: Array(decoded.logProbabilities.prefix(words.count)),
    endLogProbability: decoded.finished ? decoded.logProbabilities.last : nil)
}

/// Where the shipped model `name` (e.g. caption-attention) is: models/NAME under the current
/// folder, or beside the executable or up to four folders above it.
public func findShippedModel(_ name: String, executable: String) throws -> String {
  var candidates = ["models/" + name]
  var folder = executable
  for _ in 0..<5 {
    guard let slash = folder.lastIndex(of: "/") else { break }
    folder = String(folder[..<slash])
    candidates.append((folder.isEmpty ? "" : folder) + "/models/" + name)
  }
  for candidate in candidates where (try? readFileBytes(candidate + "/config.json")) != nil { return candidate }
  throw FileError("models/" + name, "no shipped model found here or beside the glimpse executable; pass --model DIR")
}
