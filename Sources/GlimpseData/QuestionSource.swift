import GlimpseIO

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Where `glimpse` finds questions: a folder holding the VQA v2 pair `questions.json` and
/// `annotations.json` (as `glimpse data generate` writes), with the image files named by the
/// `images` list of `captions.json` beside them (COCO layout: id and file_name), and
/// `scenes.json` for generated scenes.
public struct QuestionSource: Sendable {
  public var dataset: QuestionDataset
  /// The generated scenes of the images, when the data came with `scenes.json`.
  public var scenes: [Int: Scene]?
  public var path: String

  public init(path: String, options: LoadOptions = .init()) throws {
    self.path = path
    var status = stat()
    guard stat(path, &status) == 0 else { throw FileError(path, "no such folder") }
    guard (status.st_mode & S_IFMT) == S_IFDIR else {
      throw FileError(
        path, "expected a folder with questions.json, annotations.json and captions.json (for the image files)")
    }
    let imagesPath = path + "/captions.json"
    let imagesJSON = try readJSONFile(imagesPath)
    guard let entries = imagesJSON["images"]?.array else { throw FileError(imagesPath, "missing the 'images' list") }
    var imageCount = EntryCount(path: imagesPath, noun: "images", options: options)
    try imageCount.add(entries.count)
    var images = [Int: String]()
    for (index, entry) in entries.enumerated() {
      guard let id = entry["id"]?.integer, let name = entry["file_name"]?.string else {
        throw FileError(imagesPath, "images[\(index)]: needs an integer 'id' and a string 'file_name'")
      }
      images[id] = path + "/" + name
    }
    dataset = try loadVQA(
      questionsPath: path + "/questions.json", annotationsPath: path + "/annotations.json", images: images,
      options: options)
    guard !dataset.questions.isEmpty else { throw FileError(path, "no questions") }
    let scenesPath = path + "/scenes.json"
    scenes = stat(scenesPath, &status) == 0 ? try loadScenes(path: scenesPath, options: options) : nil
    if let scenes, let missing = dataset.questions.first(where: { scenes[$0.imageID] == nil }) {
      throw FileError(
        scenesPath,
        "no scene for image id \(missing.imageID) (question \(missing.id)); every image of the questions needs one")
    }
  }
}
