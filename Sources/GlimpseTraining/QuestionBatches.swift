import GlimpseCore
import GlimpseData
import GlimpseEvaluation
import GlimpseIO
import GlimpseInference
import GlimpseLayers
import GlimpseModels
import GlimpseTensor

/// Questions held in memory for training and evaluation: each distinct image once in an
/// `ImageCache`, each question's ids padded with `<pad>` to the longest, and its answer's index
/// in the answer set (-1 when the answer is outside it: such questions add no loss).
public struct QuestionBatches: Sendable {
  public let images: ImageSet
  /// With a frozen encoder, each image's grid from a feature cache: no image is decoded.
  public let grids: CachedGrids?
  public let questions: [[Int32]]
  public let steps: Int
  public let imageOfQuestion: [Int]
  public let targets: [Int32]
  /// With `skipBad`: each image that could not be decoded, with how many questions went with it.
  public let skipped: [String]
  /// For attention supervision: each question's target cells of the grid (none: unsupervised).
  public let attentionCells: [[Int]]?

  /// `source` names the file that lists the images, for error messages. With `skipBad`, the
  /// questions about images that cannot be decoded are left out and reported in `skipped`.
  /// `attentionCells`, if given, has one entry per question of `dataset`.
  public init(
    dataset: QuestionDataset, vocabulary: Vocabulary, answers: AnswerVocabulary, imageSize: Int,
    source: String? = nil, skipBad: Bool = false, attentionCells: [[Int]]? = nil, featureCache: FeatureCache? = nil
  ) throws {
    var paths = [String](), imageIndex = [String: Int](), imageIDs = [Int]()
    var imageOfQuestion = [Int](), encoded = [[Int32]]()
    for question in dataset.questions {
      if imageIndex[question.imagePath] == nil {
        imageIndex[question.imagePath] = paths.count
        paths.append(question.imagePath)
        imageIDs.append(question.imageID)
      }
      imageOfQuestion.append(imageIndex[question.imagePath]!)
      encoded.append(encodeQuestion(question.question, vocabulary: vocabulary).ids)
    }
    if let empty = dataset.questions.indices.first(where: { encoded[$0].isEmpty }) {
      throw FileError("question \(dataset.questions[empty].id)", "the question has no words")
    }
    let steps = encoded.map(\.count).max() ?? 1
    var failed = [(index: Int, message: String)]()
    if let featureCache {
      grids = try CachedGrids(cache: featureCache, paths: paths)
      images = CachedImageSet(count: paths.count, imageSize: imageSize)
    } else {
      let cache = try ImageCache(
        paths: paths, imageSize: imageSize,
        entries: imageIDs.map { (source.map { $0 + ": " } ?? "") + "image id \($0)" }, skipBad: skipBad)
      (grids, images, failed) = (nil, cache, cache.failed)
    }
    let bad = Set(failed.map(\.index))
    let kept = dataset.questions.indices.filter { !bad.contains(imageOfQuestion[$0]) }
    questions = kept.map { encoded[$0] + [Int32](repeating: SpecialToken.pad, count: steps - encoded[$0].count) }
    self.steps = steps
    self.imageOfQuestion = kept.map { imageOfQuestion[$0] }
    targets = kept.map { answers.index(dataset.questions[$0].answer) ?? -1 }
    self.attentionCells = attentionCells.map { cells in kept.map { cells[$0] } }
    skipped = failed.map { failure in
      "\(failure.message) (its \(imageOfQuestion.filter { $0 == failure.index }.count) questions left out)"
    }
  }
}

/// The distinct images `dataset`'s questions ask about, in the order `QuestionBatches` keeps them.
public func questionImagePaths(_ dataset: QuestionDataset) -> [String] {
  var seen = Set<String>(), paths = [String]()
  for question in dataset.questions where seen.insert(question.imagePath).inserted { paths.append(question.imagePath) }
  return paths
}

/// Each question's target cells on the grid for attention supervision: the cells of the one
/// object it asks about (`askedObject`), none for questions about no single object or without
/// a scene.
public func questionObjectCells(_ dataset: QuestionDataset, scenes: [Int: Scene], gridSide: Int) -> [[Int]] {
  dataset.questions.map { question in
    scenes[question.imageID].flatMap { askedObject(question.question, in: $0) }.map {
      gridCells(of: $0, side: gridSide)
    } ?? []
  }
}
