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

/// Captions one image file with the model: decode, resize to the model's input, encode, then
/// greedy decoding (beams = 1) or beam search.
public func captionImage(path: String, model: CaptionModel, beams: Int = 1, maxPixels: Int = defaultMaxPixels) throws -> ImageCaption {
  try loadBLAS()
  let image = try decodeImage(path: path, maxPixels: maxPixels).image
  let size = CNNEncoder.imageSize
  let input = Tensor(shape: [1, 3, size, size], values: image.modelInput(size: size))
  model.encoder.forward(images: input)
  let decoded = beams == 1
    ? greedyDecode(model.decoder, grid: model.encoder.grid, mean: model.encoder.mean)[0]
    : beamSearch(model.decoder, grid: model.encoder.grid, mean: model.encoder.mean, beams: beams)
  let words = decoded.tokens.map { model.vocabulary.words[Int($0)] }
  return ImageCaption(image: path, words: words, wordLogProbabilities: Array(decoded.logProbabilities.prefix(words.count)),
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
