import GlimpseIO

/// Reads `scenes.json` as `generateSplit` writes it: each image's objects, keyed by image id.
/// The backgrounds are not stored, so the scenes come back with plain ones.
public func loadScenes(path: String, options: LoadOptions = .init()) throws -> [Int: Scene] {
  let json = try readJSONFile(path)
  guard let entries = json["scenes"]?.array else { throw FileError(path, "missing the 'scenes' list") }
  var sceneCount = EntryCount(path: path, noun: "scenes", options: options)
  var objectCount = EntryCount(path: path, noun: "objects", options: options)
  try sceneCount.add(entries.count)
  var scenes = [Int: Scene]()
  for (index, entry) in entries.enumerated() {
    guard let id = entry["image_id"]?.integer, let objects = entry["objects"]?.array else {
      throw FileError(path, "scenes[\(index)]: needs an integer 'image_id' and an 'objects' list")
    }
    try objectCount.add(objects.count)
    var parsed = [SceneObject]()
    for (k, object) in objects.enumerated() {
      guard let shape = object["shape"]?.string.flatMap(ShapeKind.init),
        let color = object["color"]?.string.flatMap(ColorName.init),
        let size = object["size"]?.string.flatMap(SizeName.init), let x = object["x"]?.number,
        let y = object["y"]?.number
      else {
        throw FileError(path, "scenes[\(index)].objects[\(k)]: needs a known shape, color and size and numbers x and y")
      }
      parsed.append(SceneObject(shape: shape, color: color, size: size, x: x, y: y))
    }
    guard scenes[id] == nil else { throw FileError(path, "scenes[\(index)]: image_id \(id) appears twice") }
    scenes[id] = Scene(objects: parsed, top: [1, 1, 1], bottom: [1, 1, 1], noiseSeed: 0)
  }
  return scenes
}
