import ArgumentParser
import GlimpseInference
import GlimpseModels
import GlimpseTraining

struct TrainCaptionCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "caption",
    abstract: "Train a captioner: cnn-small and a decoder end to end, or a decoder on the frozen photo encoder.",
    discussion: """
      --data is a folder with captions.json (as `glimpse data generate` writes) or a caption \
      file: COCO .json, Karpathy dataset_*.json, .tsv (path<TAB>caption) or Flickr8k .token.txt. \
      Each epoch visits every (image, caption) pair once in a seeded order, in whole batches. \
      After each epoch the model captions the --val images and the best one (by semantic \
      accuracy on generated scenes, then CIDEr-D) is kept in --out. Ctrl-C writes the training \
      state and stops; --resume continues exactly as if never stopped.
      """
  )

  @Option(help: "Training data: a folder with captions.json, or a caption file.")
  var data: String

  @Option(help: "Validation data, in the same forms as --data.")
  var val: String?

  @Option(help: "rnn, lstm, gru or attention.")
  var decoder: DecoderKind = .attention

  @Option(
    help:
      """
      λ of the attention decoder's doubly stochastic penalty, λ·Σ_i (1 − Σ_t α_ti)² per caption (the spec's \
      default; smaller lets attention settle on single objects).
      """
  )
  var attentionPenalty: Float = 1

  @Option(help: "Validate on at most this many images of --val (0: all).")
  var valLimit = 1000

  @Option(help: "Keep words seen at least this many times in the training captions; rarer ones become <unk>.")
  var minCount = 1

  @Flag(
    help:
      """
      Leave out bad entries of --data (missing keys, missing or undecodable images) with a warning and a count, \
      instead of stopping at the first.
      """
  )
  var skipBad = false

  @Flag(
    help:
      """
      Decode the training images batch by batch, the next one in the background, instead of holding them all in \
      memory (chosen anyway above 2 GiB of images).
      """
  )
  var stream = false

  @Option(
    help:
      """
      Tokens of a training caption, <start> and <end> included (longer captions are cut); decoding writes at most \
      two fewer words (glimpse-small: 16).
      """
  )
  var maxTokens: Int?

  @OptionGroup(title: "Model sizes") var sizes: ModelSizeOptions

  @Option(
    help:
      """
      With --encoder efficientnet-lite0, the feature cache of the training images (default: \
      features-efficientnet-lite0.glf beside --data; --val's sits beside it). Made or brought up to date first.
      """
  )
  var features: String?

  @Flag(
    help: """
      Under mpirun: sum the gradients over the ranks in one allreduce after the backward pass, instead of sending \
      the output layer, initial state, LSTM and attention weights each as soon as the backward pass has them, \
      while it computes the rest (the default; the results are the same).
      """)
  var sumAfterBackward = false

  @OptionGroup var training: TrainingOptions

  func validate() throws {
    guard valLimit >= 0 else { throw ValidationError("--val-limit must be 0 or more") }
    guard minCount >= 1 else { throw ValidationError("--min-count must be at least 1") }
    guard attentionPenalty >= 0, attentionPenalty.isFinite else {
      throw ValidationError("--attention-penalty must be 0 or more")
    }
    guard attentionPenalty == 1 || decoder == .attention else {
      throw ValidationError("--attention-penalty applies only to --decoder attention")
    }
    _ = try sizes.sizes(maxTokens: maxTokens)
  }

  func run() throws {
    var options = CaptionTrainingOptions(data: data, validation: val, decoder: decoder, out: training.out)
    options.sizes = try sizes.sizes(maxTokens: maxTokens)
    (options.epochs, options.batch, options.learningRate, options.seed) = (
      training.epochs, training.batch, training.lr, training.seed
    )
    (options.checkpointEvery, options.resume, options.minCount, options.validationLimit) = (
      training.checkpointEvery, training.resume, minCount, valLimit
    )
    (options.skipBad, options.stream, options.attentionPenalty) = (skipBad, stream, attentionPenalty)
    options.sumsGradientsEarly = !sumAfterBackward
    if options.sizes.isPhotoEncoder {
      options.encoderFolder =
        try sizes.encoderFolder
        ?? findShippedModel("efficientnet-lite0", executable: CommandLine.arguments[0])
      options.features = features
    }
    try trainOnRanks(data: data, options: training) { communicator, progress in
      options.communicator = communicator
      return try makeCaptionTraining(options) { progress.report(cache: $0, done: $1, total: $2) }
    }
  }
}
