import GlimpseIO

/// COCO captions JSON: `images` [{id, file_name, width, height}] and `annotations`
/// [{id, image_id, caption}]. Image files are `imagesRoot/file_name` (by default the JSON's folder).
public func loadCOCOCaptions(path: String, imagesRoot: String? = nil, options: LoadOptions = .init()) throws
  -> CaptionDataset
{
  let root = imagesRoot ?? folder(of: path)
  let json = try readJSONFile(path)
  var problems = EntryProblems(path: path, options: options)
  guard let images = json["images"]?.array else { throw FileError(path, "missing the 'images' list") }
  guard let annotations = json["annotations"]?.array else { throw FileError(path, "missing the 'annotations' list") }
  var imageCount = EntryCount(path: path, noun: "images", options: options)
  var captionCount = EntryCount(path: path, noun: "captions", options: options)
  try imageCount.add(images.count)
  try captionCount.add(annotations.count)
  var byID = [Int: Int]()
  var result = [CaptionedImage]()
  for (index, image) in images.enumerated() {
    let entry = "images[\(index)]"
    guard let id = image["id"]?.integer, let name = image["file_name"]?.string else {
      try problems.report(entry, "needs an integer 'id' and a string 'file_name'")
      continue
    }
    guard byID[id] == nil else {
      try problems.report(entry, "image id \(id) appears twice")
      continue
    }
    let imagePath = root + "/" + name
    guard try problems.imageExists(imagePath, entry: entry) else { continue }
    byID[id] = result.count
    result.append(CaptionedImage(id: id, path: imagePath, captions: []))
  }
  for (index, annotation) in annotations.enumerated() {
    let entry = "annotations[\(index)]"
    guard let imageID = annotation["image_id"]?.integer, let caption = annotation["caption"]?.string else {
      try problems.report(entry, "needs an integer 'image_id' and a string 'caption'")
      continue
    }
    guard let position = byID[imageID] else {
      try problems.report(entry, "caption for image_id \(imageID), which is not in 'images'")
      continue
    }
    result[position].captions.append(caption)
  }
  return CaptionDataset(images: result, skipped: problems.skipped)
}

/// Karpathy's split file (dataset_coco.json, dataset_flickr8k.json): `images`
/// [{filename, filepath?, split, sentences: [{tokens}]}], keeping the images of `split`.
public func loadKarpathySplit(path: String, split: String, imagesRoot: String? = nil, options: LoadOptions = .init())
  throws -> CaptionDataset
{
  let root = imagesRoot ?? folder(of: path)
  let json = try readJSONFile(path)
  var problems = EntryProblems(path: path, options: options)
  guard let images = json["images"]?.array else { throw FileError(path, "missing the 'images' list") }
  var imageCount = EntryCount(path: path, noun: "images", options: options)
  var captionCount = EntryCount(path: path, noun: "captions", options: options)
  try imageCount.add(images.count)
  var result = [CaptionedImage]()
  for (index, image) in images.enumerated() {
    let entry = "images[\(index)]"
    guard let name = image["filename"]?.string, let imageSplit = image["split"]?.string,
      let sentences = image["sentences"]?.array
    else {
      try problems.report(entry, "needs 'filename', 'split' and 'sentences'")
      continue
    }
    try captionCount.add(sentences.count)
    // Karpathy's files put COCO's "restval" images beside "train".
    guard imageSplit == split || (split == "train" && imageSplit == "restval") else { continue }
    let captions = sentences.compactMap { $0["tokens"]?.array?.compactMap(\.string).joined(separator: " ") }
    guard captions.count == sentences.count, !captions.isEmpty else {
      try problems.report(entry, "every sentence needs a 'tokens' list of strings")
      continue
    }
    let subfolder = image["filepath"]?.string.map { $0 + "/" } ?? ""
    let imagePath = root + "/" + subfolder + name
    guard try problems.imageExists(imagePath, entry: entry) else { continue }
    let id = image["cocoid"]?.integer ?? image["imgid"]?.integer ?? index
    result.append(CaptionedImage(id: id, path: imagePath, captions: captions))
  }
  return CaptionDataset(images: result, skipped: problems.skipped)
}

/// Flickr8k's Flickr8k.token.txt: `image.jpg#k<TAB>caption` per line.
public func loadFlickr8kTokens(path: String, imagesRoot: String? = nil, options: LoadOptions = .init()) throws
  -> CaptionDataset
{
  try loadTabSeparated(path: path, imagesRoot: imagesRoot, options: options) { field in
    guard let hash = field.lastIndex(of: "#"), Int(field[field.index(after: hash)...]) != nil else { return nil }
    return String(field[..<hash])
  }
}

/// A plain TSV: `path<TAB>caption` per line; several lines may name the same image.
public func loadCaptionTSV(path: String, imagesRoot: String? = nil, options: LoadOptions = .init()) throws
  -> CaptionDataset
{
  try loadTabSeparated(path: path, imagesRoot: imagesRoot, options: options) { $0.isEmpty ? nil : String($0) }
}

/// Lines of `key<TAB>caption`, where `imageName` turns the key into an image file name (or
/// nil when the key is malformed). Images keep the order of their first line.
func loadTabSeparated(path: String, imagesRoot: String?, options: LoadOptions, imageName: (Substring) -> String?) throws
  -> CaptionDataset
{
  let root = imagesRoot ?? folder(of: path)
  var problems = EntryProblems(path: path, options: options)
  var byName = [String: Int]()
  var result = [CaptionedImage]()
  let lines = try readLines(path)
  var lineCount = EntryCount(path: path, noun: "lines", options: options)
  try lineCount.add(lines.count)
  for (index, line) in lines.enumerated() where !line.trimmingSpaces.isEmpty {
    let entry = "line \(index + 1)"
    let fields = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
    guard fields.count == 2, let name = imageName(fields[0]), !fields[1].trimmingSpaces.isEmpty else {
      try problems.report(entry, "expected an image name, a tab, and a caption")
      continue
    }
    if let position = byName[name] {
      result[position].captions.append(String(fields[1].trimmingSpaces))
      continue
    }
    let imagePath = name.hasPrefix("/") ? name : root + "/" + name
    guard try problems.imageExists(imagePath, entry: entry) else { continue }
    byName[name] = result.count
    result.append(CaptionedImage(id: result.count, path: imagePath, captions: [String(fields[1].trimmingSpaces)]))
  }
  return CaptionDataset(images: result, skipped: problems.skipped)
}

extension Substring {
  var trimmingSpaces: Substring {
    var text = self
    while let first = text.first, first.isWhitespace { text.removeFirst() }
    while let last = text.last, last.isWhitespace { text.removeLast() }
    return text
  }
}
