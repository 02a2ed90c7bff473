import GlimpseCore
import GlimpseData
import GlimpseIO
import GlimpseImage
import GlimpseLayers
import GlimpseModels
import GlimpseTensor

/// A question as the model reads it: its words' ids (unknown words → `<unk>`), no `<start>` or
/// `<end>`, and the words that were not in the vocabulary.
public func encodeQuestion(_ text: String, vocabulary: Vocabulary) -> (ids: [Int32], unknown: [String]) {
  let words = tokenize(text)
  return (words.map { vocabulary.id($0) ?? SpecialToken.unknown }, words.filter { vocabulary.id($0) == nil })
}

/// `encodeQuestion`, refusing a question with no word or none the model knows.
public func encodeAnswerableQuestion(_ text: String, vocabulary: Vocabulary) throws -> (ids: [Int32], unknown: [String])
{
  let (ids, unknown) = encodeQuestion(text, vocabulary: vocabulary)
  guard !ids.isEmpty else { throw QuestionError(description: "the question is empty") }
  guard ids.contains(where: { $0 != SpecialToken.unknown }) else {
    throw QuestionError(
      description: "none of the question's words (\(unknown.joined(separator: " "))) is in the model's vocabulary")
  }
  return (ids, unknown)
}

/// One question's answer: the best answers with their probabilities, the question's words
/// that the model does not know (read as `<unk>`), and, for `san`, each hop's attention over
/// the grid (`gridSide` × `gridSide`).
public struct AnsweredQuestion: Sendable {
  public var question: String
  public var top: [(answer: String, probability: Float)]
  public var unknownWords: [String]
  public var hopMaps: [[Float]]
  public var gridSide: Int
  public var answer: String { top[0].answer }
}

public struct QuestionError: Error, CustomStringConvertible, Sendable {
  public var description: String
}

/// An image encoded once, ready for any number of questions about it.
public struct ImageQuestions {
  let model: AnsweringModel
  public let image: Image

  public init(path: String, model: AnsweringModel, maxPixels: Int = defaultMaxPixels) throws {
    try loadBLAS()
    self.model = model
    model.encoder.weightsFixed = true  // as the service's: the same kernels give the same grid
    image = try decodeImage(path: path, maxPixels: maxPixels).image
    let size = model.encoder.imageSize
    model.encoder.forward(images: Tensor(shape: [1, 3, size, size], values: image.modelInput(size: size)))
  }

  /// Answers one question; an empty question, or one with no known word, is an error.
  public func ask(_ question: String, top: Int = 1) throws -> AnsweredQuestion {
    let (ids, unknown) = try encodeAnswerableQuestion(question, vocabulary: model.vocabulary)
    let logits = model.head.forward(
      grid: model.encoder.grid, mean: model.encoder.mean, questions: ids, batch: 1, steps: ids.count)
    return rankedAnswers(model: model, logits: logits, row: 0, question: question, unknown: unknown, top: top)
  }
}

/// Row `row` of a batch's answer logits [B, A] as an answer: the `top` likeliest (ties to the
/// lower index), and for `san` that row's attention at each hop.
func rankedAnswers(
  model: AnsweringModel, logits: Tensor, row: Int, question: String, unknown: [String], top: Int
) -> AnsweredQuestion {
  var p = logits.slice(row).values
  softmaxRows(&p, rows: 1, columns: p.count)
  let ranked = p.indices.sorted { p[$0] > p[$1] || (p[$0] == p[$1] && $0 < $1) }.prefix(max(1, top))
  let hops = (model.head as? VQASAN)?.hopWeights.map { $0.slice(row).values } ?? []
  return AnsweredQuestion(
    question: question, top: ranked.map { (model.answers.answers[$0], p[$0]) }, unknownWords: unknown, hopMaps: hops,
    gridSide: model.encoder.gridShape.side)
}

/// The hop figure `glimpse ask --attention` writes: the image, then each hop's attention
/// blended over it, labelled.
public func writeHopFigure(_ answered: AnsweredQuestion, image: Image, path: String, tileSize: Int = 192) throws {
  let scale = Double(tileSize) / Double(max(image.width, image.height))
  let (width, height) = (
    max(1, Int((Double(image.width) * scale).rounded())), max(1, Int((Double(image.height) * scale).rounded()))
  )
  let shown = image.rgba().resized(width: width, height: height).rgbFloats
  let grid = answered.gridSide
  let gap = 8, labelHeight = 24
  var canvas = Canvas(width: gap + (answered.hopMaps.count + 1) * (width + gap), height: gap + height + labelHeight)
  canvas.paste(shown, width: width, height: height, x: gap, y: gap)
  canvas.text(answered.answer, x: gap, y: gap + height + 6, scale: 2)
  for (k, map) in answered.hopMaps.enumerated() {
    let blended = blendHeatmap(
      rgb: shown, width: width, height: height,
      map: upsampleMap(map, rows: grid, columns: grid, width: width, height: height))
    let x = gap + (k + 1) * (width + gap)
    canvas.paste(blended, width: width, height: height, x: x, y: gap)
    canvas.text("hop \(k + 1)", x: x, y: gap + height + 6, scale: 2)
  }
  try writePNG(canvas.image, to: path)
}
