import ArgumentParser
import GlimpseImage

struct ImageConvertCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "convert",
    abstract: "Decode an image, optionally resize it, and write it as PNG.",
    discussion: """
      With --size N the image is stretched to N×N with antialiased bilinear, as the model sees \
      it. The output is written atomically: a temporary file beside it, then a rename.
      """
  )

  @Argument(help: "The PNG or JPEG to read.")
  var input: String

  @Argument(help: "The PNG file to write.")
  var output: String

  @Option(help: "Resize to N×N pixels.")
  var size: Int?

  @OptionGroup var decode: DecodeOptions

  func validate() throws {
    if let size, !(1...16384).contains(size) {
      throw ValidationError("--size must be between 1 and 16384")
    }
    guard output.lowercased().hasSuffix(".png") else {
      throw ValidationError("the output must be a .png file, got '\(output)'")
    }
  }

  func run() throws {
    try convertImage(input: input, output: output, size: size, maxPixels: decode.maxPixels)
  }
}
