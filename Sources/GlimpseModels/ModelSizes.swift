import GlimpseIO

/// The encoder's output as the decoders and heads see it: a side × side grid of locations
/// (location i = row·side + col), each of `features` channels.
public struct GridShape: Equatable, Sendable {
  public var side: Int
  public var features: Int
  public var locations: Int { side * side }

  public init(side: Int, features: Int) { (self.side, self.features) = (side, features) }
}

/// Every size of a model: the encoder's image size and channels, the decoders' embedding,
/// hidden state and attention, the longest caption, the stacked-attention hops. Read from and
/// written to config.json; a key missing from an older folder means the glimpse-small value.
public struct ModelSizes: Equatable, Sendable {
  /// The encoder: "cnn-small" (trained with the decoder, sized by `imageSize` and
  /// `encoderChannels`) or "efficientnet-lite0" (pretrained and frozen: 224×224, grid 7×7×1280).
  public var encoder: String
  public var imageSize: Int
  /// Each convolution's output channels, conv1 first; the last is the grid's features.
  public var encoderChannels: [Int]
  public var embedding: Int
  public var hidden: Int
  public var attention: Int
  /// Tokens of a training caption, `<start>` and `<end>` included.
  public var maxTokens: Int
  /// vqa-san's stacked-attention hops.
  public var hops: Int

  public init(
    encoder: String = "cnn-small", imageSize: Int, encoderChannels: [Int], embedding: Int, hidden: Int,
    attention: Int, maxTokens: Int, hops: Int
  ) {
    (self.encoder, self.imageSize, self.encoderChannels) = (encoder, imageSize, encoderChannels)
    (self.embedding, self.hidden, self.attention, self.maxTokens, self.hops) = (
      embedding, hidden, attention, maxTokens, hops
    )
  }

  /// The spec's glimpse-small, which the shipped models and the benchmarks use.
  public static let glimpseSmall = ModelSizes(
    imageSize: 64, encoderChannels: [32, 64, 128, 256, 512], embedding: 256,
    hidden: 512, attention: 256, maxTokens: 16, hops: 2)

  /// The photo configuration (`glimpse-photo.md`): EfficientNet-Lite0 under glimpse-small's
  /// decoders, captions of up to 22 tokens.
  public static let photo = ModelSizes(
    encoder: EfficientNetLite0.name, imageSize: EfficientNetLite0.imageSize, encoderChannels: [], embedding: 256,
    hidden: 512, attention: 256, maxTokens: 22, hops: 2)

  public var isPhotoEncoder: Bool { encoder == EfficientNetLite0.name }

  /// Small enough that whole models are gradient-checked element by element and overfit in
  /// seconds; every layer kind is still exercised (Winograd too: conv2–conv4 are 3×3 on even sizes).
  public static let tiny = ModelSizes(
    imageSize: 16, encoderChannels: [4, 6, 8, 8, 10], embedding: 6, hidden: 8,
    attention: 5, maxTokens: 8, hops: 2)

  /// One line naming every size, for a training run's identity and for messages.
  public var summary: String {
    let channels = isPhotoEncoder ? "" : " channels " + encoderChannels.map(String.init).joined(separator: ",")
    return "\(encoder) \(imageSize)px\(channels) embedding \(embedding) "
      + "hidden \(hidden) attention \(attention) max-tokens \(maxTokens) hops \(hops)"
  }

  /// What the encoder gives the decoders.
  public var grid: GridShape {
    if isPhotoEncoder { return GridShape(side: EfficientNetLite0.gridSide, features: EfficientNetLite0.features) }
    return GridShape(side: imageSize / CNNEncoder.downsampling, features: encoderChannels.last ?? 0)
  }

  /// Bounds that keep a damaged or hostile config.json from asking for more memory than a
  /// machine has: an LSTM of the widest hidden state holds 2 GB of weights.
  static let largestImage = 2048, largestWidth = 8192

  /// Why these sizes cannot make a model, or nil.
  public var problem: String? {
    guard encoder == "cnn-small" || isPhotoEncoder else {
      return "encoder must be cnn-small or \(EfficientNetLite0.name), not '\(encoder.prefix(60))'"
    }
    if isPhotoEncoder {
      guard imageSize == EfficientNetLite0.imageSize else {
        return "image_size must be \(EfficientNetLite0.imageSize) for \(encoder), not \(imageSize)"
      }
      return decoderProblem
    }
    guard encoderChannels.count == CNNEncoder.layerCount else {
      return "encoder_channels must list \(CNNEncoder.layerCount) sizes, not \(encoderChannels.count)"
    }
    let step = CNNEncoder.downsampling
    guard imageSize >= step, imageSize % step == 0, imageSize <= Self.largestImage else {
      return "image_size must be a multiple of \(step) from \(step) to \(Self.largestImage), not \(imageSize)"
    }
    for value in encoderChannels where value < 1 || value > Self.largestWidth {
      return "encoder_channels must be from 1 to \(Self.largestWidth), not \(value)"
    }
    return decoderProblem
  }

  private var decoderProblem: String? {
    guard hops >= 0 && hops <= 16 else { return "hops must be from 0 to 16, not \(hops)" }
    for (name, value) in [("embedding", embedding), ("hidden", hidden), ("attention", attention)]
    where value < 1 || value > Self.largestWidth {
      return "\(name) must be from 1 to \(Self.largestWidth), not \(value)"
    }
    guard maxTokens >= 3 && maxTokens <= 1024 else { return "max_tokens must be from 3 to 1024, not \(maxTokens)" }
    return nil
  }
}

extension ModelSizes {
  /// The sizes in a config.json object: a missing key keeps the glimpse-small value (the photo
  /// configuration's when the encoder is efficientnet-lite0); a key of
  /// the wrong type is an error naming it.
  public init(config: JSONValue) throws(JSONTypeError) {
    let encoder = try config.optionalString("encoder") ?? ModelSizes.glimpseSmall.encoder
    let defaults = encoder == EfficientNetLite0.name ? ModelSizes.photo : ModelSizes.glimpseSmall
    self.encoder = encoder
    imageSize = try config.optionalInteger("image_size") ?? defaults.imageSize
    encoderChannels = try config.optionalIntegers("encoder_channels") ?? defaults.encoderChannels
    embedding = try config.optionalInteger("embedding") ?? defaults.embedding
    hidden = try config.optionalInteger("hidden") ?? defaults.hidden
    attention = try config.optionalInteger("attention") ?? defaults.attention
    maxTokens = try config.optionalInteger("max_tokens") ?? defaults.maxTokens
    hops = try config.optionalInteger("hops") ?? defaults.hops
  }

  /// The keys config.json records, in the order written.
  public func configEntries(hops writesHops: Bool, maxTokens writesMaxTokens: Bool) -> [(String, JSONValue)] {
    var entries: [(String, JSONValue)] = [("encoder", .string(encoder)), ("image_size", .number(Double(imageSize)))]
    if !isPhotoEncoder { entries.append(("encoder_channels", .array(encoderChannels.map { .number(Double($0)) }))) }
    let std = isPhotoEncoder ? 0.5 : 0.25  // x·2 − 1 for the photo encoder, (x − 0.5)/0.25 for cnn-small
    entries += [
      ("normalisation", .object([("mean", .number(0.5)), ("std", .number(std))])),
      ("embedding", .number(Double(embedding))), ("hidden", .number(Double(hidden))),
      ("attention", .number(Double(attention))),
    ]
    if writesHops { entries.append(("hops", .number(Double(hops)))) }
    if writesMaxTokens { entries.append(("max_tokens", .number(Double(maxTokens)))) }
    return entries
  }
}
