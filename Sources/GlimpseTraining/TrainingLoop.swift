import GlimpseCore
import GlimpseDistributed
import GlimpseIO
import GlimpseImage
import GlimpseLayers
import GlimpseModels
import GlimpseTensor

/// What the training loop needs of a model and its data (captioning or VQA).
public protocol TrainingTask: AnyObject {
  var parameters: [Parameter] { get }
  /// Examples in one epoch; an epoch visits them in a seeded random order, in whole batches.
  var exampleCount: Int { get }
  /// Forward and backward over the examples at `indices`: zeroes the gradients, then accumulates
  /// them into `parameters`. Returns the loss before any update.
  func computeGradients(indices: [Int]) throws -> TrainingLoss
  /// Starts preparing the examples at `indices` (the next batch) while the current one trains.
  func prefetch(indices: [Int])
  /// Scores the model on the validation data, or nil when there is none. Every rank of a job
  /// calls it, each on its share of the data; ranks other than 0 get nil.
  func validate() throws -> Validation?
  /// Writes the model folder (weights, config, vocabularies) for use by `glimpse`.
  func saveModel(folder: String) throws
}

public struct TrainingLoss: Sendable {
  public var total: Float
  /// The parts that make up the total, named (e.g. cross-entropy and the attention penalty).
  public var parts: [(name: String, value: Float)]
  public init(total: Float, parts: [(name: String, value: Float)] = []) { (self.total, self.parts) = (total, parts) }
}

public struct Validation: Sendable {
  public var metrics: JSONValue
  /// Compared lexicographically, higher is better: the best epoch's model is the one kept.
  public var score: [Double]
  public var summary: String
  public init(metrics: JSONValue, score: [Double], summary: String) {
    (self.metrics, self.score, self.summary) = (metrics, score, summary)
  }
}

public struct TrainingSettings: Sendable {
  public var out: String
  public var epochs: Int
  public var batch: Int
  public var learningRate: Float
  public var clipNorm: Float = 5
  public var seed: UInt64
  public var checkpointEvery: Int
  public var resume: Bool
  /// What must not change between a run and its resumption (model kind, data, sizes).
  public var identity: [(String, String)]
  /// The ranks that train together, each on its share of every batch; rank 0 alone writes.
  public var communicator: Communicator = SingleProcess()
  /// In a job of several ranks, sum the gradients a backward pass finishes early (the caption
  /// decoders' output layer, initial state, LSTM and attention) over the ranks while it computes
  /// the rest.
  public var sumsGradientsEarly = true

  public init(
    out: String, epochs: Int, batch: Int, learningRate: Float, seed: UInt64, checkpointEvery: Int, resume: Bool,
    identity: [(String, String)]
  ) {
    (self.out, self.epochs, self.batch, self.learningRate, self.seed) = (out, epochs, batch, learningRate, seed)
    (self.checkpointEvery, self.resume, self.identity) = (checkpointEvery, resume, identity)
  }
}

public struct TrainingStepReport: Sendable {
  public var epoch: Int  // 1-based
  public var epochs: Int
  public var stepInEpoch: Int  // 1-based
  public var stepsPerEpoch: Int
  public var step: Int  // over the whole run
  public var totalSteps: Int
  public var loss: TrainingLoss  // mean over the last steps reported
  public var examplesPerSecond: Double
  public var secondsLeft: Double
}

public enum TrainingEvent: Sendable {
  case started(examples: Int, stepsPerEpoch: Int, resumedAt: Int?)
  case step(TrainingStepReport)
  case validated(epoch: Int, Validation, best: Bool)
  case checkpoint(path: String, step: Int)
}

public enum TrainingOutcome: Sendable, Equatable {
  case finished
  case interrupted(step: Int)
}

public struct TrainingError: Error, CustomStringConvertible, Sendable {
  public var description: String
  /// Raised by every rank of a job alike (from the summed loss), so rank 0's report is enough.
  public var onEveryRank = false
}

/// Runs a task's training: seeded shuffling per epoch, Adam with gradient clipping, progress
/// reports, validation and the best model kept at each epoch's end, and the whole state
/// (weights, Adam's moments and step, position in the epoch, loss history, validations) in one
/// file, `OUT/training-state.safetensors`, written atomically every `checkpointEvery` steps, at
/// each epoch's end and when stopped. Resuming from it repeats exactly what an uninterrupted
/// run would have done: the order of an epoch depends only on the seed and the epoch.
public final class TrainingLoop {
  public static let stateFile = "training-state.safetensors"
  let task: TrainingTask
  let settings: TrainingSettings
  var optimizer: Adam
  var epoch = 0, stepInEpoch = 0
  var losses = [Float]()
  var validations = [JSONValue]()
  var bestScore: [Double]? = nil
  var bestEpoch: Int? = nil
  var seconds = 0.0
  /// The step of the training state on disk (0 before the first checkpoint).
  var lastCheckpointStep = 0
  public var stepsPerEpoch: Int { task.exampleCount / settings.batch }
  var statePath: String { settings.out + "/" + TrainingLoop.stateFile }

  public init(task: TrainingTask, settings: TrainingSettings) throws {
    self.task = task
    self.settings = settings
    optimizer = Adam(parameters: task.parameters.values, learningRate: settings.learningRate)
    guard task.exampleCount >= settings.batch else {
      throw TrainingError(
        description: "only \(task.exampleCount) training examples, fewer than one batch of \(settings.batch)")
    }
    guard settings.batch >= settings.communicator.size else {
      throw TrainingError(
        description: "--batch \(settings.batch) is smaller than the \(settings.communicator.size) ranks sharing it")
    }
    if settings.communicator.isRoot {
      let exists = (try? readFileBytes(statePath)) != nil
      if settings.resume {
        guard exists else { throw FileError(statePath, "nothing to resume: no training state here") }
        try restore()
      } else if exists {
        throw FileError(
          settings.out, "already holds a training run; pass --resume to continue it, or choose another --out")
      }
    }
    try synchroniseFromRoot()
  }

  public func run(events: (TrainingEvent) -> Void, shouldStop: () -> Bool = { false }) throws -> TrainingOutcome {
    let communicator = settings.communicator
    let parameters = task.parameters
    let exchange =
      communicator.size > 1
      ? RankGradientSum(
        communicator: communicator, parameters: parameters, finishingEarly: task as? FinishesGradientsEarly,
        sumsEarly: settings.sumsGradientsEarly) : nil
    if communicator.isRoot { try makeFolder(settings.out) }
    let resumedAt = losses.isEmpty ? nil : losses.count
    if communicator.isRoot {
      events(.started(examples: task.exampleCount, stepsPerEpoch: stepsPerEpoch, resumedAt: resumedAt))
    }
    let totalSteps = settings.epochs * stepsPerEpoch
    var sessionSteps = 0, sessionSeconds = 0.0
    var window = [TrainingLoss]()
    let reportEvery = max(1, min(50, stepsPerEpoch / 4))
    while epoch < settings.epochs {
      let order = epochOrder(epoch)
      while stepInEpoch < stepsPerEpoch {
        if exchange == nil && shouldStop() {
          try checkpoint(events)
          return .interrupted(step: losses.count)
        }
        let started = monotonicSeconds()
        // This rank's rows of the step's batch (all of them for one process).
        let share = communicator.share(of: settings.batch)
        let first = stepInEpoch * settings.batch
        let indices = Array(order[(first + share.lowerBound)..<(first + share.upperBound)])
        if stepInEpoch + 1 < stepsPerEpoch {
          let next = first + settings.batch
          task.prefetch(indices: Array(order[(next + share.lowerBound)..<(next + share.upperBound)]))
        }
        exchange?.prepare(weight: Float(share.count) / Float(settings.batch))
        var loss = try task.computeGradients(indices: indices)
        if let exchange {
          let stop: Bool
          (loss, stop) = try exchange.sum(loss: loss, stop: shouldStop())
          if stop {
            try checkpoint(events)
            return .interrupted(step: losses.count)
          }
        }
        let norm = clipGradientNorm(parameters.gradients, maxNorm: settings.clipNorm)
        guard loss.total.isFinite && norm.isFinite else {
          // Stop before the update, so that neither the weights nor any checkpoint hold the NaN.
          let what = loss.total.isFinite ? "the gradients' norm is \(norm)" : "the loss is \(loss.total)"
          throw TrainingError(
            description: """
              \(what) at step \(losses.count + 1) (epoch \(epoch + 1)); the weights were not updated and the last \
              checkpoint in \(settings.out) (step \(lastCheckpointStep)) is intact: --resume continues from it \
              (a lower --lr may help)
              """, onEveryRank: true)
        }
        optimizer.update(parameters: parameters.values, gradients: parameters.gradients)
        let elapsed = monotonicSeconds() - started
        seconds += elapsed
        sessionSeconds += elapsed
        sessionSteps += 1
        losses.append(loss.total)
        window.append(loss)
        stepInEpoch += 1
        if stepInEpoch % reportEvery == 0 || stepInEpoch == stepsPerEpoch {
          let perStep = sessionSeconds / Double(sessionSteps)
          if communicator.isRoot {
            events(
              .step(
                TrainingStepReport(
                  epoch: epoch + 1, epochs: settings.epochs, stepInEpoch: stepInEpoch, stepsPerEpoch: stepsPerEpoch,
                  step: losses.count, totalSteps: totalSteps, loss: mean(window),
                  examplesPerSecond: Double(settings.batch) / perStep,
                  secondsLeft: perStep * Double(totalSteps - losses.count))))
          }
          window.removeAll(keepingCapacity: true)
        }
        if losses.count % settings.checkpointEvery == 0 && stepInEpoch < stepsPerEpoch { try checkpoint(events) }
      }
      try finishEpoch(events)
    }
    guard communicator.isRoot else { return .finished }
    try writeReports()
    if bestEpoch == nil { try task.saveModel(folder: settings.out) }
    return .finished
  }

  /// Validation, the best model, the reports and a checkpoint at the end of an epoch.
  func finishEpoch(_ events: (TrainingEvent) -> Void) throws {
    guard settings.communicator.isRoot else {
      _ = try task.validate()  // its share of the validation data; rank 0 scores the whole
      (epoch, stepInEpoch) = (epoch + 1, 0)
      return
    }
    let epochLosses = losses.suffix(stepsPerEpoch)
    var entry: [(String, JSONValue)] = [
      ("epoch", .number(Double(epoch + 1))), ("step", .number(Double(losses.count))),
      ("train_loss", .number(Double(epochLosses.reduce(0, +) / Float(epochLosses.count)))),
      ("seconds", .number(seconds.rounded())),
    ]
    if let validation = try task.validate() {
      let best =
        bestScore.map { validation.score.lexicographicallyPrecedes($0) == false && validation.score != $0 } ?? true
      if best {
        bestScore = validation.score
        bestEpoch = epoch + 1
        try task.saveModel(folder: settings.out)
      }
      entry.append(("validation", validation.metrics))
      events(.validated(epoch: epoch + 1, validation, best: best))
    } else {
      try task.saveModel(folder: settings.out)
    }
    validations.append(.object(entry))
    epoch += 1
    stepInEpoch = 0
    try writeReports()
    try checkpoint(events)
  }

  /// The order of epoch `e`'s examples: a Fisher–Yates shuffle seeded by the seed and `e` only.
  func epochOrder(_ e: Int) -> [Int] {
    var random = SeededGenerator(seed: settings.seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(e + 1))
    var order = Array(0..<task.exampleCount)
    for i in stride(from: order.count - 1, to: 0, by: -1) {
      order.swapAt(i, Int(random.next() % UInt64(i + 1)))
    }
    return order
  }

  func mean(_ window: [TrainingLoss]) -> TrainingLoss {
    let n = Float(max(window.count, 1))
    var result = TrainingLoss(total: window.map(\.total).reduce(0, +) / n)
    for (k, part) in (window.first?.parts ?? []).enumerated() {
      result.parts.append((part.name, window.map { $0.parts[k].value }.reduce(0, +) / n))
    }
    return result
  }

  var stateRecord: TrainingStateRecord {
    TrainingStateRecord(
      identity: settings.identity, seed: String(settings.seed), batch: settings.batch,
      learningRate: Double(settings.learningRate), epoch: epoch, stepInEpoch: stepInEpoch,
      adamStep: optimizer.step, seconds: seconds, bestEpoch: bestEpoch, bestScore: bestScore,
      epochs: validations)
  }

  func checkpoint(_ events: (TrainingEvent) -> Void) throws {
    guard settings.communicator.isRoot else { return }
    var tensors = task.parameters.named
    for (parameter, moments) in zip(task.parameters, optimizer.moments) {
      tensors.append(("adam.m." + parameter.name, moments.m))
      tensors.append(("adam.v." + parameter.name, moments.v))
    }
    if !losses.isEmpty { tensors.append(("history.loss", Tensor(shape: [losses.count], values: losses))) }
    try writeSafeTensors(path: statePath, tensors, metadata: [("glimpse_training_state", stateRecord.json.text)])
    lastCheckpointStep = losses.count
    events(.checkpoint(path: statePath, step: losses.count))
  }

  func restore() throws {
    let (contents, state) = try readTrainingState(path: statePath)
    let saved = state.identity
    for (key, value) in settings.identity where saved.first(where: { $0.0 == key })?.1 != value {
      let was = saved.first(where: { $0.0 == key })?.1 ?? "missing"
      throw FileError(
        statePath, "cannot resume: \(excerpt(key)) was '\(excerpt(was))' in this run, now '\(excerpt(value))'")
    }
    for (key, value) in saved where !settings.identity.contains(where: { $0.0 == key }) {
      throw FileError(statePath, "cannot resume: \(excerpt(key)) was '\(excerpt(value))' in this run, now none")
    }
    guard state.seed == String(settings.seed), state.batch == settings.batch else {
      throw FileError(statePath, "cannot resume: the run used --seed \(state.seed) --batch \(state.batch)")
    }
    let parameters = task.parameters
    var expected = parameters.named
    for (parameter, moments) in zip(parameters, optimizer.moments) {
      expected.append(("adam.m." + parameter.name, moments.m))
      expected.append(("adam.v." + parameter.name, moments.v))
    }
    let history = contents.tensor("history.loss")
    let rest = SafeTensorsContents(
      tensors: contents.tensors.filter { $0.name != "history.loss" }, metadata: contents.metadata,
      dtypes: contents.dtypes)
    do {
      try loadTensors(expected, from: rest)
    } catch {
      throw FileError(statePath, "does not fit this model: \(error.reason)")
    }
    losses = history?.values ?? []
    lastCheckpointStep = losses.count
    (epoch, stepInEpoch, seconds) = (state.epoch, state.stepInEpoch, state.seconds)
    optimizer.restore(step: state.adamStep)
    (bestEpoch, bestScore, validations) = (state.bestEpoch, state.bestScore, state.epochs)
    guard losses.count == epoch * stepsPerEpoch + stepInEpoch else {
      throw FileError(
        statePath,
        """
        cannot resume: the state's \(losses.count) steps do not fit \(stepsPerEpoch) steps per epoch (different \
        data or batch?)
        """
      )
    }
  }

  /// `metrics.json` (each epoch's training loss and validation, the best epoch) and
  /// `loss.png` (the training loss over the steps).
  func writeReports() throws {
    let metrics: JSONValue = .object([
      ("identity", .object(settings.identity.map { ($0.0, .string($0.1)) })),
      ("steps", .integer(losses.count)), ("steps_per_epoch", .integer(stepsPerEpoch)),
      ("batch", .integer(settings.batch)), ("seconds", .number(seconds.rounded())),
      ("best_epoch", bestEpoch.map(JSONValue.integer) ?? .null),
      ("epochs", .array(validations)),
    ])
    try writeFileAtomically(settings.out + "/metrics.json", Array((metrics.text + "\n").utf8))
    try writePNG(lossCurve(losses, stepsPerEpoch: stepsPerEpoch), to: settings.out + "/loss.png")
  }
}
