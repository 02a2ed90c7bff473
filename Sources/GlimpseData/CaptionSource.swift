import GlimpseIO

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Where `glimpse` finds image–caption pairs: a folder holding `captions.json` (COCO captions,
/// as `glimpse data generate` writes, with `scenes.json` beside it for generated scenes), or one
/// file in any supported format, told apart by its name: `*.tsv` (path<TAB>caption),
/// `*.token.txt` (Flickr8k), `dataset_*.json` (Karpathy's split file; `split` picks the images),
/// any other `*.json` (COCO captions).
public struct CaptionSource: Sendable {
  public var dataset: CaptionDataset
  /// The generated scenes of the images, when the data came with `scenes.json`.
  public var scenes: [Int: Scene]?
  public var path: String
  /// The file that lists the images (captions.json inside a folder).
  public var file: String

  public init(path: String, split: String = "train", options: LoadOptions = .init()) throws {
    self.path = path
    file = path
    var status = stat()
    guard stat(path, &status) == 0 else { throw FileError(path, "no such file or folder") }
    let name = path.split(separator: "/").last.map(String.init) ?? path
    if (status.st_mode & S_IFMT) == S_IFDIR {
      let captions = path + "/captions.json"
      file = captions
      guard stat(captions, &status) == 0 else { throw FileError(path, "the folder has no captions.json") }
      dataset = try loadCOCOCaptions(path: captions, options: options)
      let scenesPath = path + "/scenes.json"
      scenes = stat(scenesPath, &status) == 0 ? try loadScenes(path: scenesPath, options: options) : nil
      if let scenes, let missing = dataset.images.first(where: { scenes[$0.id] == nil }) {
        throw FileError(scenesPath, "no scene for image_id \(missing.id)")
      }
    } else if name.hasSuffix(".tsv") {
      dataset = try loadCaptionTSV(path: path, options: options)
    } else if name.hasSuffix(".token.txt") {
      dataset = try loadFlickr8kTokens(path: path, options: options)
    } else if name.hasPrefix("dataset_") && name.hasSuffix(".json") {
      dataset = try loadKarpathySplit(path: path, split: split, options: options)
    } else if name.hasSuffix(".json") {
      dataset = try loadCOCOCaptions(path: path, options: options)
    } else {
      throw FileError(
        path,
        """
        not a caption dataset: expected a folder with captions.json, a COCO .json, a Karpathy dataset_*.json, a \
        .tsv or a Flickr8k .token.txt
        """
      )
    }
    guard !dataset.images.isEmpty else { throw FileError(path, "no images with captions") }
  }
}
