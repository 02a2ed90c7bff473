import ArgumentParser
import GlimpseImage

struct DecodeOptions: ParsableArguments {
  @Option(
    name: .long,
    help: "Refuse images with more pixels than this (checked from the header, before decoding).")
  var maxPixels: Int = defaultMaxPixels

  func validate() throws {
    guard maxPixels > 0 else { throw ValidationError("--max-pixels must be positive") }
  }
}
