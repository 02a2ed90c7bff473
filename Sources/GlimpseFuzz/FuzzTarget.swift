import GlimpseData
import GlimpseIO
import GlimpseImage
import GlimpseInference
import GlimpseTensor
import GlimpseTraining

#if canImport(Glibc)
import Glibc
#endif

/// One parser of untrusted bytes, reached through the entry point the product uses. Readers
/// that take a path get the bytes as a file in a scratch folder. Errors are the expected
/// outcome for most inputs and are ignored; a crash, a sanitizer report, a leak, a hang or an
/// allocation beyond libFuzzer's -rss_limit_mb is what the fuzzer looks for.
enum FuzzTarget: String, CaseIterable {
  case png, jpeg, exif, sniff, safetensors, json, config, vocab, answers
  case coco, karpathy, flickr8k, tsv, vqa
  case trainingState = "training-state"

  /// The largest image the image targets decode: big enough for every real seed, small enough
  /// that libFuzzer's memory limit measures leaks rather than honest pixel buffers.
  static let maxPixels = 4_000_000

  func run(_ bytes: [UInt8]) {
    switch self {
    case .png, .jpeg: _ = try? decodeImage(bytes: bytes, maxPixels: Self.maxPixels)
    case .exif: _ = exifOrientation(jpeg: bytes)
    case .sniff:
      _ = ImageFormat.detect(bytes)
      _ = ImageFormat.looksLikeDamagedPNG(bytes)
    case .safetensors: _ = try? readSafeTensors(bytes: bytes)
    case .json: _ = try? parseJSON(bytes)
    case .config:
      let folder = scratchFile("config.json", bytes)
      if let (config, path) = try? readModelConfig(folder: folder) { _ = try? readModelSizes(config, path: path) }
    case .vocab: _ = try? Vocabulary.read(path: scratchFile("vocab.json", bytes) + "/vocab.json")
    case .answers: _ = try? AnswerVocabulary.read(path: scratchFile("answers.json", bytes) + "/answers.json")
    case .coco:
      _ = try? loadCOCOCaptions(path: scratchFile("captions.json", bytes) + "/captions.json", options: noImages)
    case .karpathy:
      let path = scratchFile("dataset.json", bytes) + "/dataset.json"
      _ = try? loadKarpathySplit(path: path, split: "train", options: noImages)
    case .flickr8k:
      _ = try? loadFlickr8kTokens(path: scratchFile("tokens.txt", bytes) + "/tokens.txt", options: noImages)
    case .tsv: _ = try? loadCaptionTSV(path: scratchFile("captions.tsv", bytes) + "/captions.tsv", options: noImages)
    case .vqa:
      // One input is both files: the questions before the first NUL byte, the annotations after.
      let split = bytes.firstIndex(of: 0) ?? bytes.count
      let folder = scratchFile("questions.json", Array(bytes[..<split]))
      _ = scratchFile("annotations.json", Array(bytes[min(split + 1, bytes.count)...]))
      _ = try? loadVQA(
        questionsPath: folder + "/questions.json", annotationsPath: folder + "/annotations.json", images: [:],
        options: noImages)
    case .trainingState: try? checkTrainingState(bytes: bytes, path: "training-state.safetensors")
    }
  }
}

private let noImages = LoadOptions(checkImageFiles: false)

/// Writes `bytes` as `name` in this process's scratch folder (in memory where /dev/shm exists)
/// and returns the folder.
private func scratchFile(_ name: String, _ bytes: [UInt8]) -> String {
  let folder = scratchFolder
  let path = folder + "/" + name
  let file = fopen(path, "wb")!
  _ = bytes.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, file) }
  fclose(file)
  return folder
}

private let scratchFolder: String = {
  let base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
  let folder = "\(base)/glimpse-fuzz-\(getpid())"
  mkdir(folder, 0o700)
  return folder
}()
