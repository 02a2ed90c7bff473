import GlimpseIO
import GlimpseTensor

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

/// A training state file's tensors and record; every failure is a `FileError` naming `path`.
func readTrainingState(path: String) throws -> (SafeTensorsContents, TrainingStateRecord) {
  try readTrainingState(bytes: readFileBytes(path), path: path)
}

func readTrainingState(bytes: [UInt8], path: String) throws -> (SafeTensorsContents, TrainingStateRecord) {
  let contents: SafeTensorsContents
  do { contents = try readSafeTensors(bytes: bytes) } catch { throw FileError(path, error.reason) }
  guard let text = contents.metadata.first(where: { $0.0 == "glimpse_training_state" })?.1 else {
    throw FileError(path, "not a glimpse training state (no glimpse_training_state metadata)")
  }
  do {
    return (contents, try TrainingStateRecord(json: try parseJSON(text)))
  } catch {
    throw FileError(path, "damaged training state: \(error)")
  }
}

/// Reads a training state held in memory as `--resume` reads the file: the fuzzing entry point.
public func checkTrainingState(bytes: [UInt8], path: String) throws {
  _ = try readTrainingState(bytes: bytes, path: path)
}
