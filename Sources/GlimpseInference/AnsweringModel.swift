import GlimpseCore
import GlimpseData
import GlimpseIO
import GlimpseModels
import GlimpseTensor

/// A VQA model as a folder: `model.safetensors` (the spec's names), `config.json`, `vocab.json`
/// (the question words) and `answers.json` (the closed answer set).
public struct AnsweringModel {
  public let kind: VQAKind
  public let sizes: ModelSizes
  public let encoder: ImageEncoder
  public let head: VQAHead
  public let vocabulary: Vocabulary
  public let answers: AnswerVocabulary
  public var training: JSONValue? = nil

  /// A new model, its weights drawn from `random` (the encoder's first).
  public init(
    kind: VQAKind, sizes: ModelSizes = .glimpseSmall, vocabulary: Vocabulary, answers: AnswerVocabulary,
    random: inout SeededGenerator
  ) {
    self.init(kind: kind, sizes: sizes, vocabulary: vocabulary, answers: answers)
    encoder.initialize(random: &random)
    head.initialize(random: &random)
  }

  init(kind: VQAKind, sizes: ModelSizes, vocabulary: Vocabulary, answers: AnswerVocabulary) {
    (self.kind, self.sizes, self.vocabulary, self.answers) = (kind, sizes, vocabulary, answers)
    encoder = makeImageEncoder(sizes: sizes)
    head = kind.make(questionVocabularySize: vocabulary.count, answerCount: answers.count, sizes: sizes)
  }

  public var parameters: [Parameter] { encoder.parameters + head.parameters }

  var config: JSONValue {
    .object(
      [
        ("model", .string("vqa")), ("head", .string(kind.rawValue)),
      ] + sizes.configEntries(hops: kind == .san, maxTokens: false)
        + [("vocabulary_size", .number(Double(vocabulary.count))), ("answers", .number(Double(answers.count)))]
        + (training.map { [("training", $0)] } ?? []))
  }

  public func save(folder: String, dtype: SafeTensorsDType = .f32) throws {
    try writeModelFolder(
      folder, parameters: parameters, describedAs: ("model", "vqa-" + kind.rawValue), dtype: dtype,
      vocabulary: vocabulary,
      config: config
    ) { try answers.write(path: folder + "/answers.json") }
  }

  /// Reads a model folder strictly, as `CaptionModel.load` does; a captioning model is refused.
  public static func load(folder: String) throws -> AnsweringModel {
    let (config, configPath) = try readModelConfig(folder: folder)
    guard config["model"]?.string == "vqa" else {
      let model = config["model"]?.string ?? "missing"
      throw FileError(
        configPath, "not a VQA model (model is '\(model)'); glimpse ask needs a model from glimpse train vqa")
    }
    guard let name = config["head"]?.string, let kind = VQAKind(rawValue: name) else {
      throw FileError(configPath, "head must be concat or san")
    }
    var sizes = try readModelSizes(config, path: configPath)
    if kind == .concat { sizes.hops = ModelSizes.glimpseSmall.hops }  // older folders say 0; concat has none
    let vocabulary = try Vocabulary.read(path: folder + "/vocab.json")
    let answers = try AnswerVocabulary.read(path: folder + "/answers.json")
    guard config["vocabulary_size"]?.integer == vocabulary.count, config["answers"]?.integer == answers.count else {
      throw FileError(
        configPath,
        "vocabulary_size and answers do not match vocab.json (\(vocabulary.count)) and answers.json (\(answers.count))")
    }
    let model = AnsweringModel(kind: kind, sizes: sizes, vocabulary: vocabulary, answers: answers)
    try loadModelWeights(model.parameters, folder: folder, model: "vqa-" + kind.rawValue)
    model.encoder.parametersChanged()
    return model
  }
}
