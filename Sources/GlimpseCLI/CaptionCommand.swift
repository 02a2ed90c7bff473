import ArgumentParser
import GlimpseIO
import GlimpseImage
import GlimpseInference
import GlimpseTraining

#if canImport(Glibc)
import Glibc
#endif

struct CaptionCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "caption",
    abstract: "Caption images with a trained model.",
    discussion: """
      Prints one caption per image (prefixed with the file when there are several). The default \
      model is the shipped attention captioner, models/caption-attention, found in the current \
      folder or beside the executable. Exits 1 if any image fails; the others are still captioned.
      """
  )

  @Argument(help: "PNG or JPEG files.")
  var images: [String]

  @Option(help: "A model folder (model.safetensors, config.json, vocab.json).")
  var model: String?

  @Option(help: "Beam width; 1 is greedy decoding.")
  var beam = 1

  @Option(
    help:
      """
      Sample each word from softmax(logits / T) instead of searching for the likeliest caption (T > 0; lower is \
      closer to greedy).
      """
  )
  var temperature: Float?

  @Option(help: "The seed for --temperature sampling; the same seed gives an image the same caption.")
  var seed: UInt64 = 1

  @Flag(help: "Print one JSON object per image: the caption, each word's log-probability, and <end>'s.")
  var json = false

  @OptionGroup var decode: DecodeOptions

  func validate() throws {
    guard !images.isEmpty else { throw ValidationError("give at least one image file") }
    guard (1...32).contains(beam) else { throw ValidationError("--beam must be between 1 and 32") }
    if let temperature {
      guard temperature > 0, temperature.isFinite else {
        throw ValidationError("--temperature must be a positive number")
      }
      guard beam == 1 else { throw ValidationError("--temperature samples words; it cannot be combined with --beam") }
    }
  }

  func run() throws {
    let folder = try model ?? findShippedModel("caption-attention", executable: CommandLine.arguments[0])
    let loaded = try CaptionModel.load(folder: folder)
    let decoding = temperature.map { CaptionDecoding.sample(temperature: $0, seed: seed) } ?? .beam(beam)
    var failed = false
    for image in images {
      do {
        let caption = try captionImage(path: image, model: loaded, decoding: decoding, maxPixels: decode.maxPixels)
        if json {
          print(caption.jsonLine)
        } else {
          print(images.count > 1 ? "\(image): \(caption.text)" : caption.text)
        }
      } catch {
        printError("\(error)")
        failed = true
      }
    }
    if failed { throw ExitCode.failure }
  }
}

extension ImageCaption {
  var jsonLine: String {
    let tokens = zip(words, wordLogProbabilities).map {
      JSONValue.object([("word", .string($0)), ("log_prob", .float($1))])
    }
    return JSONValue.object([
      ("image", .string(image)), ("caption", .string(text)), ("tokens", .array(tokens)),
      ("end_log_prob", endLogProbability.map(JSONValue.float) ?? .null), ("finished", .bool(endLogProbability != nil)),
    ]).text
  }
}
