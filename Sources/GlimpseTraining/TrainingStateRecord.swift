import GlimpseIO

/// What a training state records besides its tensors, kept as JSON in the safetensors
/// metadata (`glimpse_training_state`). Every field is required when read back: a damaged
/// state is an error, never a silent 0.
struct TrainingStateRecord {
  var identity: [(String, String)]
  var seed: String
  var batch: Int
  var learningRate: Double
  var epoch: Int
  var stepInEpoch: Int
  var adamStep: Int
  var seconds: Double
  var bestEpoch: Int?
  var bestScore: [Double]?
  /// Each finished epoch's metrics, as metrics.json lists them.
  var epochs: [JSONValue]

  init(
    identity: [(String, String)], seed: String, batch: Int, learningRate: Double, epoch: Int, stepInEpoch: Int,
    adamStep: Int, seconds: Double, bestEpoch: Int?, bestScore: [Double]?, epochs: [JSONValue]
  ) {
    (self.identity, self.seed, self.batch, self.learningRate) = (identity, seed, batch, learningRate)
    (self.epoch, self.stepInEpoch, self.adamStep, self.seconds) = (epoch, stepInEpoch, adamStep, seconds)
    (self.bestEpoch, self.bestScore, self.epochs) = (bestEpoch, bestScore, epochs)
  }

  init(json: JSONValue) throws(JSONTypeError) {
    guard let identity = json["identity"]?.object,
      case let pairs = identity.compactMap({ key, value in value.string.map { (key, $0) } }),
      pairs.count == identity.count
    else { throw JSONTypeError("'identity' must be an object of strings") }
    self.identity = pairs
    seed = try json.requiredString("seed")
    batch = try json.requiredInteger("batch")
    learningRate = try json.requiredNumber("learning_rate")
    epoch = try json.requiredInteger("epoch")
    stepInEpoch = try json.requiredInteger("step_in_epoch")
    adamStep = try json.requiredInteger("adam_step")
    seconds = try json.requiredNumber("seconds")
    bestEpoch = try json.optionalInteger("best_epoch")
    if let score = json["best_score"], score != .null {
      guard let items = score.array, case let values = items.compactMap(\.number), values.count == items.count else {
        throw JSONTypeError("'best_score' must be a list of numbers")
      }
      bestScore = values
    }
    guard let epochs = json["epochs"]?.array else { throw JSONTypeError("'epochs' must be a list") }
    self.epochs = epochs
  }

  var json: JSONValue {
    .object([
      ("identity", .object(identity.map { ($0.0, .string($0.1)) })),
      ("seed", .string(seed)), ("batch", .integer(batch)), ("learning_rate", .number(learningRate)),
      ("epoch", .integer(epoch)), ("step_in_epoch", .integer(stepInEpoch)), ("adam_step", .integer(adamStep)),
      ("seconds", .number(seconds)), ("best_epoch", bestEpoch.map(JSONValue.integer) ?? .null),
      ("best_score", bestScore.map { .array($0.map(JSONValue.number)) } ?? .null),
      ("epochs", .array(epochs)),
    ])
  }
}
