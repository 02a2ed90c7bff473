import Dispatch
import GlimpseIO
import GlimpseImage
import GlimpseCore

/// How generated images are stored.
public enum SceneImageFormat: String, CaseIterable, Sendable {
  case png, jpeg
  var fileExtension: String { self == .png ? "png" : "jpg" }
}

public enum Split: String, CaseIterable, Sendable {
  case train, val, test
  case testNovel = "test-novel"
}

/// What `generateSplit` wrote.
public struct GeneratedSplit: Sendable {
  public var scenes: [Scene]
  public var captions: [[String]]
  public var questions: [[SceneQuestion]]
}

/// Writes one split of generated scenes: `DIR/images/SPLIT_NNNNNN.png` (or `.jpg`),
/// `DIR/captions.json` (COCO captions), `DIR/questions.json` and `DIR/annotations.json` (VQA v2)
/// and `DIR/scenes.json` (each image's objects). The same seed and options give byte-identical
/// files. Scenes, captions and questions are drawn in order from the seeded streams; the images
/// are then rendered and encoded on both cores. Each file is written atomically.
@discardableResult
public func generateSplit(
  out: String, split: Split, count: Int, seed: UInt64, size: Int = 64, format: SceneImageFormat = .png,
  progress: (Int) -> Void = { _ in }
) throws -> GeneratedSplit {
  try makeFolder(out)
  try makeFolder(out + "/images")
  var generator = SceneGenerator(seed: seed, novel: split == .testNovel)
  var captionRandom = SeededGenerator(seed: seed ^ 0x5EED_CA97_10A5)
  var questionRandom = SeededGenerator(seed: seed ^ 0x0A5C_0F5C_E5E0)
  var balancer = QuestionBalancer()
  var scenes = [Scene](), captions = [[String]](), questions = [[SceneQuestion]]()
  var imageEntries = [JSONValue](), annotationEntries = [JSONValue](), sceneEntries = [JSONValue]()
  var questionEntries = [JSONValue](), answerEntries = [JSONValue](), fileNames = [String]()
  for index in 0..<count {
    let scene = generator.next()
    let texts = sceneCaptions(scene, random: &captionRandom)
    guard texts.count == 5, texts.allSatisfy({ parseCaption($0).map { captionIsTrue($0, scene) } == true }) else {
      throw FileError(out, "internal error: scene \(index) got captions that are not all true: \(texts)")
    }
    let id = index + 1
    let fileName = "images/\(split.rawValue)_\(String(id).zeroPadded(6)).\(format.fileExtension)"
    fileNames.append(fileName)
    imageEntries.append(
      .object([
        ("id", .number(Double(id))), ("file_name", .string(fileName)),
        ("width", .number(Double(size))), ("height", .number(Double(size))),
      ]))
    for text in texts {
      annotationEntries.append(
        .object([
          ("id", .number(Double(annotationEntries.count + 1))), ("image_id", .number(Double(id))),
          ("caption", .string(text)),
        ]))
    }
    sceneEntries.append(
      .object([
        ("image_id", .number(Double(id))), ("file_name", .string(fileName)),
        (
          "objects",
          .array(
            scene.objects.map { object in
              .object([
                ("shape", .string(object.shape.rawValue)), ("color", .string(object.color.rawValue)),
                ("size", .string(object.size.rawValue)), ("x", .number(object.x)), ("y", .number(object.y)),
                ("radius", .number(object.radius)),
              ])
            })
        ),
      ]))
    let asked = balancer.choose(scene, novel: split == .testNovel, random: &questionRandom)
    for (k, question) in asked.enumerated() {
      let questionID = Double(id * 10 + k)  // at most 7 per image
      questionEntries.append(
        .object([
          ("question_id", .number(questionID)), ("image_id", .number(Double(id))),
          ("question", .string(question.question)),
        ]))
      answerEntries.append(
        .object([
          ("question_id", .number(questionID)), ("image_id", .number(Double(id))),
          ("question_type", .string(question.type.rawValue)), ("answer_type", .string(question.type.answerType)),
          ("multiple_choice_answer", .string(question.answer)),
          (
            "answers",
            .array([
              .object([
                ("answer", .string(question.answer)), ("answer_confidence", .string("yes")),
                ("answer_id", .number(1)),
              ])
            ])
          ),
        ]))
    }
    scenes.append(scene)
    captions.append(texts)
    questions.append(asked)
  }
  try writeSceneImages(scenes, fileNames: fileNames, folder: out, size: size, format: format, progress: progress)
  let info: JSONValue = .object([
    ("description", .string("Glimpse generated scenes, split \(split.rawValue)")),
    ("seed", .string(String(seed))), ("image_size", .number(Double(size))),
  ])
  try writeJSON(
    .object([("info", info), ("images", .array(imageEntries)), ("annotations", .array(annotationEntries))]),
    to: out + "/captions.json")
  try writeJSON(.object([("info", info), ("questions", .array(questionEntries))]), to: out + "/questions.json")
  try writeJSON(.object([("info", info), ("annotations", .array(answerEntries))]), to: out + "/annotations.json")
  try writeJSON(
    .object([("info", info), ("split", .string(split.rawValue)), ("scenes", .array(sceneEntries))]),
    to: out + "/scenes.json")
  return GeneratedSplit(scenes: scenes, captions: captions, questions: questions)
}

func writeJSON(_ value: JSONValue, to path: String) throws {
  try writeFileAtomically(path, Array((value.text + "\n").utf8))
}

/// Renders and writes the images on one worker per core, each taking every n-th scene; `progress`
/// hears the count written, from the first worker.
func writeSceneImages(
  _ scenes: [Scene], fileNames: [String], folder: String, size: Int, format: SceneImageFormat,
  progress: (Int) -> Void
) throws {
  let failures = FailureList(count: scenes.count)
  let workers = ExecutionCores.count
  DispatchQueue.concurrentPerform(iterations: workers) { worker in
    for index in stride(from: worker, to: scenes.count, by: workers) {
      do {
        let image = renderScene(scenes[index], size: size)
        let path = folder + "/" + fileNames[index]
        switch format {
        case .png: try writePNG(image, to: path)
        case .jpeg: try writeJPEG(image, to: path)
        }
      } catch {
        failures.record(index, error)
      }
    }
  }
  progress(scenes.count)
  if let (_, error) = failures.all.first { throw error }
}

/// Errors from parallel workers, kept per item so the first one reported is always the same.
public final class FailureList: @unchecked Sendable {
  private var errors: [Error?]
  private let lock = DispatchQueue(label: "glimpse.failures")

  public init(count: Int) { errors = [Error?](repeating: nil, count: count) }
  public func record(_ index: Int, _ error: Error) { lock.sync { errors[index] = error } }
  public var all: [(Int, Error)] { lock.sync { errors.enumerated().compactMap { i, e in e.map { (i, $0) } } } }
}
