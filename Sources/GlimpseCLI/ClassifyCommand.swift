import ArgumentParser
import GlimpseIO
import GlimpseInference

struct ClassifyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "classify",
    abstract: "Name what is in photographs: ImageNet's top classes through the pretrained encoder.",
    discussion: """
      Runs EfficientNet-Lite0's ImageNet classifier with the reference's preprocessing (short side \
      to 256 by bicubic, centre 224×224 crop). The default encoder is the shipped \
      models/efficientnet-lite0, found in the current folder or beside the executable. Exits 1 if \
      any image fails; the others are still classified.
      """
  )

  @Argument(help: "PNG or JPEG files.")
  var images: [String]

  @Option(help: "An encoder folder (model.safetensors, config.json, classes.json).")
  var encoder: String?

  @Option(help: "How many classes to list per image, likeliest first.")
  var top = 5

  @Flag(help: "Print one JSON object per image: {image, top: [{index, label, p}]}, index being 0–999.")
  var json = false

  @OptionGroup var decode: DecodeOptions

  func validate() throws {
    guard !images.isEmpty else { throw ValidationError("give at least one image file") }
    guard (1...1000).contains(top) else { throw ValidationError("--top must be between 1 and 1000") }
  }

  func run() throws {
    let folder = try encoder ?? findShippedModel("efficientnet-lite0", executable: CommandLine.arguments[0])
    let loaded = try PretrainedEncoder.load(folder: folder)
    var failed = false
    for image in images {
      do {
        let classes = try classifyImage(path: image, encoder: loaded, top: top, maxPixels: decode.maxPixels)
        if json {
          let top = classes.map {
            JSONValue.object([("index", .integer($0.index)), ("label", .string($0.label)), ("p", .float($0.p))])
          }
          print(JSONValue.object([("image", .string(image)), ("top", .array(top))]).text)
        } else {
          if images.count > 1 { print("\(image):") }
          for scored in classes {
            let percent = (Double(scored.p) * 1000).rounded() / 10
            print("  \(String(percent).leftPadded(5))%  \(scored.label) (\(scored.index))")
          }
        }
      } catch {
        printError("\(error)")
        failed = true
      }
    }
    if failed { throw ExitCode.failure }
  }
}

extension String {
  fileprivate func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
