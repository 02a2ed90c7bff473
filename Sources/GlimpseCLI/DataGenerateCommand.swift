import ArgumentParser
import GlimpseIO
import GlimpseData

extension Split: ExpressibleByArgument {}
extension SceneImageFormat: ExpressibleByArgument {}

struct DataGenerateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "generate",
    abstract:
      """
      Write one split of generated scenes: images, COCO captions.json, VQA questions.json and annotations.json, \
      scenes.json.
      """,
    discussion: """
      Scenes hold 1–3 objects (circle, square, triangle, cross; six colours; small or large) on a \
      light, noisy gradient, each with five true captions. test-novel holds the shape–colour \
      pairs (blue circle, yellow square, green triangle, red cross) that the other splits never \
      show. Each image gets up to seven questions (color, shape, size, count, exist, position, relation), \
      each with one correct answer, answers balanced within each type. The same seed and options \
      give byte-identical files.
      """
  )

  @Option(help: "The folder to write (created if missing).")
  var out: String

  @Option(help: "train, val, test or test-novel.")
  var split: Split

  @Option(help: "How many scenes.")
  var count: Int

  @Option(help: "The random seed; use a different one for each split.")
  var seed: UInt64

  @Option(help: "Image width and height in pixels.")
  var size = 64

  @Option(help: "Image files as png (lossless) or jpeg (quality 95).")
  var format: SceneImageFormat = .png

  func validate() throws {
    guard count > 0 else { throw ValidationError("--count must be positive") }
    guard (16...1024).contains(size) else { throw ValidationError("--size must be between 16 and 1024") }
  }

  func run() throws {
    let started = monotonicSeconds()
    try generateSplit(out: out, split: split, count: count, seed: seed, size: size, format: format)
    let seconds = monotonicSeconds() - started
    print(
      """
      wrote \(count) \(split.rawValue) scenes to \(out) in \(decimal(Float(seconds), 2)) s \
      (\(Int(Double(count) / max(seconds, 1e-9))) scenes/s)
      """
    )
  }
}
