import ArgumentParser
import GlimpseModels
import GlimpseTraining

extension DecoderKind: ExpressibleByArgument {}
extension VQAKind: ExpressibleByArgument {}

/// The named size presets a training run can start from.
enum SizePreset: String, ExpressibleByArgument, CaseIterable {
  case glimpseSmall = "glimpse-small", tiny

  var sizes: ModelSizes {
    switch self {
    case .glimpseSmall: return .glimpseSmall
    case .tiny: return .tiny
    }
  }
}

/// The image encoders a new model can have.
enum EncoderChoice: String, ExpressibleByArgument, CaseIterable {
  case cnnSmall = "cnn-small", efficientNetLite0 = "efficientnet-lite0"
}

/// The sizes of a new model, as a preset with any size changed; recorded in config.json.
struct ModelSizeOptions: ParsableArguments {
  @Option(
    help:
      """
      cnn-small (trained with the decoder, sized by the options below) or efficientnet-lite0 (ImageNet-pretrained \
      and frozen, for photographs: 224×224 images, a 7×7 grid of 1,280 features, computed once per image into a \
      feature cache).
      """
  )
  var encoder: EncoderChoice = .cnnSmall

  @Option(
    help:
      """
      The pretrained encoder's folder for --encoder efficientnet-lite0 (default: the shipped \
      models/efficientnet-lite0, in the current folder or beside the executable).
      """
  )
  var encoderFolder: String?

  @Option(
    help:
      """
      The sizes to start from: glimpse-small (the spec's, which the shipped models use) or tiny (for quick \
      experiments).
      """
  )
  var preset: SizePreset = .glimpseSmall

  @Option(help: "Images are resized to this many pixels square (a multiple of 8; glimpse-small: 64).")
  var imageSize: Int?

  @Option(
    help:
      """
      The encoder's five convolutions' output channels, comma-separated (glimpse-small: 32,64,128,256,512); the \
      last is the grid's features.
      """
  )
  var encoderChannels: String?

  @Option(help: "Word embedding size (glimpse-small: 256).")
  var embedding: Int?

  @Option(help: "Hidden state size of the recurrent layers (glimpse-small: 512).")
  var hidden: Int?

  @Option(help: "Attention size of the attention decoder and of vqa-san's hops (glimpse-small: 256).")
  var attentionSize: Int?

  /// The preset with the options given; `maxTokens` and `hops` come from the command that has them.
  func sizes(maxTokens: Int? = nil, hops: Int? = nil) throws -> ModelSizes {
    var sizes = preset.sizes
    if encoder == .efficientNetLite0 {
      guard imageSize == nil, encoderChannels == nil, preset == .glimpseSmall else {
        throw ValidationError(
          "--image-size, --encoder-channels and --preset do not apply to --encoder efficientnet-lite0")
      }
      sizes = .photo
    }
    if let imageSize { sizes.imageSize = imageSize }
    if let encoderChannels {
      let parts = encoderChannels.split(separator: ",", omittingEmptySubsequences: false)
      let values = parts.compactMap { Int($0) }
      guard values.count == parts.count else {
        throw ValidationError("--encoder-channels must be whole numbers separated by commas, not '\(encoderChannels)'")
      }
      sizes.encoderChannels = values
    }
    if let embedding { sizes.embedding = embedding }
    if let hidden { sizes.hidden = hidden }
    if let attentionSize { sizes.attention = attentionSize }
    if let maxTokens { sizes.maxTokens = maxTokens }
    if let hops { sizes.hops = hops }
    if let problem = sizes.problem { throw ValidationError(optionWording(problem)) }
    return sizes
  }

  /// Whether any size was given (a fine-tuning run takes its model's sizes instead).
  var isGiven: Bool {
    preset != .glimpseSmall || encoder != .cnnSmall || imageSize != nil || encoderChannels != nil || embedding != nil
      || hidden != nil
      || attentionSize != nil
  }
}

/// A config.json key in a size problem, said as the option that sets it.
func optionWording(_ problem: String) -> String {
  let options = [
    ("image_size", "--image-size"), ("encoder_channels", "--encoder-channels"), ("embedding", "--embedding"),
    ("hidden", "--hidden"), ("attention", "--attention-size"), ("max_tokens", "--max-tokens"), ("hops", "--hops"),
  ]
  for (key, option) in options where problem.hasPrefix(key + " ") { return option + problem.dropFirst(key.count) }
  return problem
}
