import GlimpseData
import GlimpseIO
import GlimpseModels
import GlimpseTensor

public enum DecoderKind: String, CaseIterable, Sendable {
  case rnn, lstm, attention

  public func make(vocabularySize: Int) -> CaptionDecoder {
    switch self {
    case .rnn: return RNNDecoder(vocabularySize: vocabularySize)
    case .lstm: return LSTMDecoder(vocabularySize: vocabularySize)
    case .attention: return AttentionDecoder(vocabularySize: vocabularySize)
    }
  }
}

/// A captioning model as a folder: `model.safetensors` (the spec's tensor names, PyTorch's
/// layouts), `config.json` (architecture, sizes, normalisation) and `vocab.json`.
public struct CaptionModel {
  public let kind: DecoderKind
  public let encoder: CNNEncoder
  public let decoder: CaptionDecoder
  public let vocabulary: Vocabulary
  /// How the model was trained (data, seed, batch, epochs), kept in config.json.
  public var training: JSONValue? = nil

  public init(kind: DecoderKind, vocabulary: Vocabulary, random: inout SeededGenerator) {
    self.kind = kind
    self.vocabulary = vocabulary
    encoder = CNNEncoder()
    encoder.initialize(random: &random)
    decoder = kind.make(vocabularySize: vocabulary.count)
    decoder.initialize(random: &random)
  }

  init(kind: DecoderKind, encoder: CNNEncoder, decoder: CaptionDecoder, vocabulary: Vocabulary) {
    (self.kind, self.encoder, self.decoder, self.vocabulary) = (kind, encoder, decoder, vocabulary)
  }

  public var parameters: [Parameter] { encoder.parameters + decoder.parameters }

  var config: JSONValue {
    .object([
      ("model", .string("caption")), ("decoder", .string(kind.rawValue)), ("encoder", .string("cnn-small")),
      ("image_size", .number(Double(CNNEncoder.imageSize))),
      ("normalisation", .object([("mean", .number(0.5)), ("std", .number(0.25))])),
      ("embedding", .number(Double(GlimpseSmall.embedding))), ("hidden", .number(Double(GlimpseSmall.hidden))),
      ("attention", .number(Double(GlimpseSmall.attention))), ("vocabulary_size", .number(Double(vocabulary.count))),
      ("max_tokens", .number(Double(GlimpseSmall.maxTokens))),
    ] + (training.map { [("training", $0)] } ?? []))
  }

  /// Writes the folder (created if missing), each file atomically; `dtype` .f16 halves the
  /// weights for shipping.
  public func save(folder: String, dtype: SafeTensorsDType = .f32) throws {
    try makeFolder(folder)
    try writeSafeTensors(path: folder + "/model.safetensors", parameters.named,
                         metadata: [("format", "pt"), ("producer", "glimpse"), ("decoder", kind.rawValue)], dtype: dtype)
    try vocabulary.write(path: folder + "/vocab.json")
    try writeFileAtomically(folder + "/config.json", Array((config.text + "\n").utf8))
  }

  /// Reads a model folder strictly: the config must name a known decoder and agree with
  /// vocab.json, and the tensors must be exactly the model's, in name and shape.
  public static func load(folder: String) throws -> CaptionModel {
    let (config, configPath) = try readModelConfig(folder: folder)
    guard config["model"]?.string == "caption" else {
      throw FileError(configPath, "not a captioning model (model is '\(config["model"]?.string ?? "missing")')")
    }
    guard let name = config["decoder"]?.string, let kind = DecoderKind(rawValue: name) else {
      throw FileError(configPath, "decoder must be rnn, lstm or attention")
    }
    let vocabulary = try Vocabulary.read(path: folder + "/vocab.json")
    guard config["vocabulary_size"]?.integer == vocabulary.count else {
      throw FileError(configPath, "vocabulary_size is \(config["vocabulary_size"]?.integer.map(String.init) ?? "missing") but vocab.json has \(vocabulary.count) words")
    }
    let model = CaptionModel(kind: kind, encoder: CNNEncoder(), decoder: kind.make(vocabularySize: vocabulary.count), vocabulary: vocabulary)
    try loadModelWeights(model.parameters, folder: folder, model: kind.rawValue)
    return model
  }
}
