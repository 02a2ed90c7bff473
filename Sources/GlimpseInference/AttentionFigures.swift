import GlimpseIO
import GlimpseImage
import GlimpseModels
import GlimpseTensor

/// A caption with the attention map each word was produced under.
public struct AttendedCaption: Sendable {
  public var words: [String]
  public var maps: [[Float]]  // one [side, side] map (row-major, the grid's locations) per word
  public var image: Image
  public var gridSide: Int
}

/// Captions one image greedily with an attention model, keeping each word's attention over
/// the grid. Models without attention are refused, naming the model folder.
public func attendImage(path: String, model: CaptionModel, modelFolder: String, maxPixels: Int = defaultMaxPixels)
  throws -> AttendedCaption
{
  guard let decoder = model.decoder as? AttentionDecoder else {
    throw FileError(
      modelFolder, "the \(model.kind.rawValue) decoder has no attention; glimpse attend needs an attention model")
  }
  try loadBLAS()
  decoder.weightsFixed = true  // as the service's: the same steps give the same maps
  model.encoder.weightsFixed = true
  let image = try decodeImage(path: path, maxPixels: maxPixels).image
  let size = model.encoder.imageSize
  model.encoder.forward(images: Tensor(shape: [1, 3, size, size], values: image.modelInput(size: size)))
  var maps = [[Float]]()
  let decoded = greedyDecode(decoder, grid: model.encoder.grid, mean: model.encoder.mean) { _ in
    maps.append(decoder.stepAttention.slice(0).values)
  }[0]
  return AttendedCaption(
    words: decoded.tokens.map { model.vocabulary.words[Int($0)] }, maps: Array(maps.prefix(decoded.tokens.count)),
    image: image, gridSide: model.encoder.gridShape.side)
}

/// The figures `glimpse attend` writes into `folder`: `NN_WORD.png` per word (the map blended
/// over the image shown at `displaySize` on its longer side) and `summary.png`, the image and
/// then every word's map in a row, each word written under its map. Returns the files written.
@discardableResult
public func writeAttentionFigures(_ attended: AttendedCaption, folder: String, displaySize: Int = 256) throws
  -> [String]
{
  try makeFolder(folder)
  let source = attended.image
  let scale = Double(displaySize) / Double(max(source.width, source.height))
  let (width, height) = (
    max(1, Int((Double(source.width) * scale).rounded())), max(1, Int((Double(source.height) * scale).rounded()))
  )
  let shown = source.rgba().resized(width: width, height: height).rgbFloats
  let grid = attended.gridSide
  var files = [String](), tiles = [[Float]]()
  for (index, (word, map)) in zip(attended.words, attended.maps).enumerated() {
    let blended = blendHeatmap(
      rgb: shown, width: width, height: height,
      map: upsampleMap(map, rows: grid, columns: grid, width: width, height: height))
    tiles.append(blended)
    var canvas = Canvas(width: width, height: height)
    canvas.paste(blended, width: width, height: height, x: 0, y: 0)
    let name = folder + "/" + String(index + 1).zeroPadded(2) + "_" + fileSafe(word) + ".png"
    try writePNG(canvas.image, to: name)
    files.append(name)
  }
  // The summary: tiles of at most 128 pixels, the image first, each word under its tile.
  let tileScale = min(1, 128 / Double(max(width, height)))
  let (tileWidth, tileHeight) = (max(1, Int(Double(width) * tileScale)), max(1, Int(Double(height) * tileScale)))
  let gap = 8, labelHeight = 24
  var summary = Canvas(width: gap + (tiles.count + 1) * (tileWidth + gap), height: gap + tileHeight + labelHeight)
  for (k, (pixels, label)) in ([(shown, "")] + zip(tiles, attended.words).map { ($0, $1) }).enumerated() {
    let tile = Image(
      width: width, height: height, channels: 3, pixels: pixels.map { UInt8((min(max($0, 0), 1) * 255).rounded()) }
    )
    .resized(width: tileWidth, height: tileHeight).rgbFloats
    let x = gap + k * (tileWidth + gap)
    summary.paste(tile, width: tileWidth, height: tileHeight, x: x, y: gap)
    let textScale = BitmapFont.width(label, scale: 2) <= tileWidth ? 2 : 1
    summary.text(
      label, x: x + max(0, (tileWidth - BitmapFont.width(label, scale: textScale)) / 2), y: gap + tileHeight + 6,
      scale: textScale)
  }
  let summaryPath = folder + "/summary.png"
  try writePNG(summary.image, to: summaryPath)
  return files + [summaryPath]
}

/// A word as a file name: letters and digits kept, anything else as '_'.
func fileSafe(_ word: String) -> String {
  String(word.map { $0.isLetter || $0.isNumber ? $0 : "_" })
}
