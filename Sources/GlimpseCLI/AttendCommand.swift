import ArgumentParser
import GlimpseIO
import GlimpseInference
import GlimpseTraining

struct AttendCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "attend",
    abstract: "Show where an attention captioner looked for each word.",
    discussion: """
      Captions the image greedily and writes, into --out, one PNG per word (NN_WORD.png: the \
      grid attention map upsampled smoothly and blended over the image as a heatmap, red where \
      the model looked most) and summary.png (the image, then each word's map with the word \
      under it). Needs an attention model; the default is the shipped caption-attention.
      """
  )

  @Argument(help: "A PNG or JPEG file.")
  var image: String

  @Option(help: "The folder to write the figures into (created if missing).")
  var out: String

  @Option(help: "A model folder with an attention decoder.")
  var model: String?

  @Option(help: "The longer side of the per-word figures, in pixels.")
  var size = 256

  @Flag(
    help:
      """
      Print {image, words, maps} as JSON instead of the caption: each word's attention weights over the encoder's \
      grid (location row·side + col; 8×8 for glimpse-small).
      """
  )
  var json = false

  @OptionGroup var decode: DecodeOptions

  func validate() throws {
    guard (32...2048).contains(size) else { throw ValidationError("--size must be between 32 and 2048") }
  }

  func run() throws {
    let folder = try model ?? findShippedModel("caption-attention", executable: CommandLine.arguments[0])
    let loaded = try CaptionModel.load(folder: folder)
    let attended = try attendImage(path: image, model: loaded, modelFolder: folder, maxPixels: decode.maxPixels)
    let files = try writeAttentionFigures(attended, folder: out, displaySize: size)
    if json {
      print(
        JSONValue.object([
          ("image", .string(image)), ("words", .array(attended.words.map(JSONValue.string))),
          ("maps", .array(attended.maps.map(JSONValue.floats))),
        ]).text)
    } else {
      print(attended.words.joined(separator: " "))
      print("wrote \(files.count) figures to \(out)")
    }
  }
}
