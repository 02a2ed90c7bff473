import GlimpseCore
import GlimpseData
import GlimpseIO
import GlimpseModels
import GlimpseTensor

/// A captioning model as a folder: `model.safetensors` (the spec's tensor names, PyTorch's
/// layouts), `config.json` (architecture, sizes, normalisation) and `vocab.json`.
public struct CaptionModel {
  public let kind: DecoderKind
  public let sizes: ModelSizes
  public let encoder: ImageEncoder
  public let decoder: CaptionDecoder
  public let vocabulary: Vocabulary
  /// How the model was trained (data, seed, batch, epochs), kept in config.json.
  public var training: JSONValue? = nil

  /// A new model, its weights drawn from `random` (the encoder's first).
  public init(
    kind: DecoderKind, sizes: ModelSizes = .glimpseSmall, vocabulary: Vocabulary, random: inout SeededGenerator
  ) {
    self.init(kind: kind, sizes: sizes, vocabulary: vocabulary)
    encoder.initialize(random: &random)
    decoder.initialize(random: &random)
  }

  init(kind: DecoderKind, sizes: ModelSizes, vocabulary: Vocabulary) {
    (self.kind, self.sizes, self.vocabulary) = (kind, sizes, vocabulary)
    encoder = makeImageEncoder(sizes: sizes)
    decoder = kind.make(vocabularySize: vocabulary.count, sizes: sizes)
  }

  public var parameters: [Parameter] { encoder.parameters + decoder.parameters }

  var config: JSONValue {
    .object(
      [
        ("model", .string("caption")), ("decoder", .string(kind.rawValue)),
      ] + sizes.configEntries(hops: false, maxTokens: true) + [("vocabulary_size", .number(Double(vocabulary.count)))]
        + (training.map { [("training", $0)] } ?? []))
  }

  /// Writes the folder (created if missing), each file atomically; `dtype` .f16 halves the
  /// weights for shipping.
  public func save(folder: String, dtype: SafeTensorsDType = .f32) throws {
    try writeModelFolder(
      folder, parameters: parameters, describedAs: ("decoder", kind.rawValue), dtype: dtype, vocabulary: vocabulary,
      config: config)
  }

  /// Reads a model folder strictly: the config must name a known decoder and agree with
  /// vocab.json, and the tensors must be exactly the model's, in name and shape.
  public static func load(folder: String) throws -> CaptionModel {
    let (config, configPath) = try readModelConfig(folder: folder)
    guard config["model"]?.string == "caption" else {
      let model = excerpt(config["model"]?.string ?? "missing")
      throw FileError(configPath, "not a captioning model (model is '\(model)')")
    }
    guard let name = config["decoder"]?.string, let kind = DecoderKind(rawValue: name) else {
      throw FileError(configPath, "decoder must be rnn, lstm, gru or attention")
    }
    let sizes = try readModelSizes(config, path: configPath)
    let vocabulary = try Vocabulary.read(path: folder + "/vocab.json")
    guard config["vocabulary_size"]?.integer == vocabulary.count else {
      let stated = config["vocabulary_size"]?.integer.map(String.init) ?? "missing"
      throw FileError(configPath, "vocabulary_size is \(stated) but vocab.json has \(vocabulary.count) words")
    }
    let model = CaptionModel(kind: kind, sizes: sizes, vocabulary: vocabulary)
    try loadModelWeights(model.parameters, folder: folder, model: kind.rawValue)
    model.encoder.parametersChanged()
    return model
  }
}
