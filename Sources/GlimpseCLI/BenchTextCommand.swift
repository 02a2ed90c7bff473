import ArgumentParser
import GlimpseBench
import GlimpseIO

#if canImport(Glibc)
import Glibc
#endif

struct BenchTextCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "text",
    abstract: "The caption loaders at the scale of real data: COCO, Karpathy and Flickr8k files of 120,000 captions.",
    discussion: """
      Writes caption files of --captions captions (five per image, 8–20 words drawn from --words words with \
      Zipf's frequencies) in the COCO, Karpathy-split and Flickr8k formats into a temporary folder, then loads \
      each: captions/s, the captions loaded, the words of a vocabulary built with --min-count and the share of \
      tokens it encodes as <unk>; then the peak resident memory. The folder is removed afterwards.
      """
  )

  @Option(help: "Captions in each file.")
  var captions = 120_000

  @Option(help: "Distinct words the captions draw from.")
  var words = 30_000

  @Option(help: "A word enters the vocabulary if it occurs at least this often, as with glimpse train's --min-count.")
  var minCount = 5

  @OptionGroup var bench: BenchOptions

  func validate() throws {
    guard captions >= 1 else { throw ValidationError("--captions must be positive") }
    guard words >= 1 else { throw ValidationError("--words must be positive") }
    guard minCount >= 1 else { throw ValidationError("--min-count must be at least 1") }
  }

  func run() throws {
    var template = Array("/tmp/glimpse-text-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { throw FileError("/tmp", "cannot make a temporary folder") }
    let folder = String(cString: made)
    defer {
      for name in ["captions.json", "dataset_coco.json", "Flickr8k.token.txt"] { unlink(folder + "/" + name) }
      rmdir(folder)
    }
    try writeTextScaleFiles(folder: folder, captions: captions, words: words)
    bench.report(try benchmarkTextScale(folder: folder, minCount: minCount, repeats: bench.repeats ?? 3))
  }
}
