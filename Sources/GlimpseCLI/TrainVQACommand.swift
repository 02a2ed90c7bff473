import ArgumentParser
import GlimpseInference
import GlimpseModels
import GlimpseTraining

struct TrainVQACommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "vqa",
    abstract: "Train a VQA model (the cnn-small encoder, a question LSTM and an answer classifier) end to end.",
    discussion: """
      --data is a folder with questions.json and annotations.json (VQA v2 layout) and \
      captions.json naming the image files, as `glimpse data generate` writes. Each epoch visits \
      every question once in a seeded order. After each epoch the model answers the --val \
      questions and the most accurate one is kept in --out (for san, with scenes.json in --val, \
      validation also says how often each hop looks at the object a question names). Ctrl-C writes the training state \
      and stops; --resume continues exactly as if never stopped.
      """
  )

  @Option(help: "Training data: a folder with questions.json, annotations.json and captions.json.")
  var data: String

  @Option(help: "Validation data, a folder of the same form.")
  var val: String?

  @Option(help: "concat (no attention) or san (two stacked-attention hops).")
  var model: VQAKind = .san

  @Option(help: "Validate on at most this many questions of --val (0: all).")
  var valLimit = 5000

  @Option(help: "Answer with the this many most frequent training answers.")
  var topAnswers = 1000

  @Option(
    help:
      """
      Weight λ of attention supervision for --model san (0: off): adds λ · −log(the hop's weight on the asked-about \
      object's cells) for each hop to the loss, for questions that name one object. Needs scenes.json in --data, as \
      `glimpse data generate` writes.
      """
  )
  var attentionSupervision: Float = 0

  @Option(help: "Supervise the first this many hops (default: all); the others look where the answer needs.")
  var supervisedHops: Int?

  @Option(help: "vqa-san's stacked-attention hops (glimpse-small: 2).")
  var hops: Int?

  @Option(
    name: .customLong("init"),
    help:
      """
      Start from this VQA model folder's weights, question words and answers (fine-tuning) instead of new ones; \
      --model must be its kind. Resuming such a run takes the same --init.
      """
  )
  var initialModel: String?

  @Flag(
    help:
      """
      Leave out bad entries of --data (missing keys, missing or undecodable images, with their questions) with a \
      warning and a count, instead of stopping at the first.
      """
  )
  var skipBad = false

  @OptionGroup(title: "Model sizes") var sizes: ModelSizeOptions

  @Option(
    help:
      """
      With --encoder efficientnet-lite0, the feature cache of the training images (default: \
      features-efficientnet-lite0.glf beside --data; --val's sits beside it). Made or brought up to date first.
      """
  )
  var features: String?

  @OptionGroup var training: TrainingOptions

  func validate() throws {
    guard valLimit >= 0 else { throw ValidationError("--val-limit must be 0 or more") }
    guard topAnswers >= 2 else { throw ValidationError("--top-answers must be at least 2") }
    guard attentionSupervision >= 0, attentionSupervision.isFinite else {
      throw ValidationError("--attention-supervision must be 0 or more")
    }
    guard attentionSupervision == 0 || model == .san else {
      throw ValidationError("--attention-supervision applies only to --model san")
    }
    let hopCount = try sizes.sizes(hops: hops).hops
    if let supervisedHops, supervisedHops < 1 || supervisedHops > hopCount {
      throw ValidationError("--supervised-hops must be from 1 to the model's \(hopCount) hops")
    }
    guard initialModel == nil || (!sizes.isGiven && hops == nil) else {
      throw ValidationError("--init takes its model's sizes; leave out the size options")
    }
  }

  func run() throws {
    var options = VQATrainingOptions(data: data, validation: val, kind: model, out: training.out)
    (options.epochs, options.batch, options.learningRate, options.seed) = (
      training.epochs, training.batch, training.lr, training.seed
    )
    (options.checkpointEvery, options.resume, options.topAnswers, options.validationLimit) = (
      training.checkpointEvery, training.resume, topAnswers, valLimit
    )
    (options.skipBad, options.attentionSupervision, options.initialModel) = (
      skipBad, attentionSupervision, initialModel
    )
    (options.supervisedHops, options.sizes) = (supervisedHops, try sizes.sizes(hops: hops))
    if options.sizes.isPhotoEncoder {
      options.encoderFolder =
        try sizes.encoderFolder ?? findShippedModel("efficientnet-lite0", executable: CommandLine.arguments[0])
      options.features = features
    }
    try trainOnRanks(data: data, options: training) { communicator, progress in
      options.communicator = communicator
      return try makeVQATraining(options) { progress.report(cache: $0, done: $1, total: $2) }
    }
  }
}
