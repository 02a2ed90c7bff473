import GlimpseDistributed
import GlimpseIO
import GlimpseModels
import GlimpseTensor

/// Data-parallel training over the ranks of a job, as Horovod and PyTorch's DDP do it: every rank
/// holds the whole model and takes a fixed share of each global batch; the gradients, each
/// weighted by its share, are summed over the ranks in one fused allreduce per step, so that
/// every rank then clips and steps identically. Rows of a weight that are zero on every rank
/// (the embedding's words no caption of the batch holds) are not sent: a first, small allreduce
/// sums which rows each rank touched.
final class GradientExchange {
  let communicator: Communicator
  /// One flag per row of every parameter (a 1-D parameter is one row), then the stop request.
  private var touched: [Float] = []
  /// The rows some rank touched, the loss and its parts: allocated once at the largest size.
  private var buffer: [Float] = []

  init(communicator: Communicator) { self.communicator = communicator }

  static func rows(_ parameter: Parameter) -> Int {
    parameter.value.shape.count >= 2 ? parameter.value.shape[0] : 1
  }

  /// Calls `body` with each row of every parameter's gradient, in order: its first float, its
  /// width and its index among all the rows.
  private static func forEachRow(_ parameters: [Parameter], _ body: (UnsafeMutablePointer<Float>, Int, Int) -> Void) {
    var index = 0
    for parameter in parameters {
      let rows = Self.rows(parameter)
      let width = parameter.gradient.count / rows
      for row in 0..<rows {
        body(parameter.gradient.pointer + row * width, width, index)
        index += 1
      }
    }
  }

  /// Sums the ranks' gradients (each scaled by `weight`, its share of the batch) into every
  /// rank's `parameters`, and their losses; returns the batch's loss and whether any rank was
  /// asked to stop.
  func sum(_ parameters: [Parameter], loss: TrainingLoss, weight: Float, stop: Bool) throws -> (TrainingLoss, Bool) {
    let rowCount = parameters.reduce(0) { $0 + Self.rows($1) }
    if touched.count != rowCount + 1 {
      touched = [Float](repeating: 0, count: rowCount + 1)
      buffer = [Float](repeating: 0, count: parameters.reduce(0) { $0 + $1.gradient.count } + 1 + loss.parts.count)
    }
    Self.forEachRow(parameters) { row, width, index in
      touched[index] = (0..<width).contains { row[$0] != 0 } ? 1 : 0
    }
    touched[rowCount] = stop ? 1 : 0
    try touched.withUnsafeMutableBufferPointer { try communicator.sumOverRanks($0) }
    guard touched[rowCount] == 0 else { return (loss, true) }
    var summed = loss
    try buffer.withUnsafeMutableBufferPointer { values in
      let base = values.baseAddress!
      var offset = 0
      Self.forEachRow(parameters) { row, width, index in
        guard touched[index] > 0 else { return }
        for i in 0..<width { base[offset + i] = row[i] * weight }
        offset += width
      }
      base[offset] = loss.total * weight
      for (k, part) in loss.parts.enumerated() { base[offset + 1 + k] = part.value * weight }
      try communicator.sumOverRanks(UnsafeMutableBufferPointer(rebasing: values[0..<(offset + 1 + loss.parts.count)]))
      summed.total = base[offset]
      for k in summed.parts.indices { summed.parts[k].value = base[offset + 1 + k] }
      offset = 0
      Self.forEachRow(parameters) { row, width, index in
        guard touched[index] > 0 else { return }
        row.update(from: base + offset, count: width)
        offset += width
      }
    }
    return (summed, false)
  }
}

/// What a step of a job of several ranks adds to one process's: the gradients summed over the
/// ranks, those a backward pass finishes early while it computes the rest (`EarlyGradientExchange`)
/// and then everything else in one allreduce with the loss and any stop request.
public final class RankGradientSum {
  private let exchange: GradientExchange
  private let early: EarlyGradientExchange?
  /// What the last sum sends: all but what the early exchange sends.
  private let lastSummed: [Parameter]
  /// This rank's share of the step's batch, by which its gradients count.
  private var weight: Float = 1

  init(communicator: Communicator, parameters: [Parameter], finishingEarly: FinishesGradientsEarly?, sumsEarly: Bool) {
    exchange = GradientExchange(communicator: communicator)
    early = sumsEarly ? finishingEarly?.exchangeEarly(over: communicator) : nil
    let names = early?.names ?? []
    lastSummed = parameters.filter { !names.contains($0.name) }
  }

  /// For a trainer's own steps (the benchmarks): the decoder's and any trained encoder's gradients.
  public convenience init(communicator: Communicator, trainer: CaptionTrainer, sumsEarly: Bool) {
    self.init(
      communicator: communicator, parameters: trainer.parameters, finishingEarly: trainer, sumsEarly: sumsEarly)
  }

  /// Before the step's backward pass: this rank's share of the batch, by which its gradients count.
  public func prepare(weight: Float) {
    self.weight = weight
    early?.weight = weight
  }

  /// After it: every rank's gradients, each scaled by its weight, summed into every rank's; the
  /// batch's loss, and whether any rank was asked to stop.
  public func sum(loss: TrainingLoss, stop: Bool) throws -> (TrainingLoss, Bool) {
    try early?.wait()
    return try exchange.sum(lastSummed, loss: loss, weight: weight, stop: stop)
  }
}

extension TrainingLoop {
  /// Gives every rank rank 0's weights, Adam's moments and step, and the position in the run
  /// (fresh, or as rank 0 restored it): rank 0 alone initialises and reads the training state.
  func synchroniseFromRoot() throws {
    let communicator = settings.communicator
    guard communicator.size > 1 else { return }
    var counters = [Int64(epoch), Int64(stepInEpoch), Int64(optimizer.step), Int64(losses.count)]
    try counters.withUnsafeMutableBytes { try communicator.broadcast($0, from: 0) }
    if !communicator.isRoot {
      (epoch, stepInEpoch) = (Int(counters[0]), Int(counters[1]))
      optimizer.restore(step: Int(counters[2]))
      losses = [Float](repeating: 0, count: Int(counters[3]))
      lastCheckpointStep = losses.count
    }
    try losses.withUnsafeMutableBufferPointer { try communicator.broadcast($0) }
    var tensors = task.parameters.values
    for moments in optimizer.moments { tensors += [moments.m, moments.v] }
    for tensor in tensors {
      try communicator.broadcast(tensor.buffer)
    }
  }
}

extension Communicator {
  /// Every rank's bytes (any count), in rank order, on every rank.
  func gatherBytes(_ bytes: [UInt8]) throws -> [[UInt8]] {
    guard size > 1 else { return [bytes] }
    let counts = try [Int64(bytes.count)].withUnsafeBytes { try gather($0) }
      .withUnsafeBytes { Array($0.bindMemory(to: Int64.self)).map(Int.init) }
    let padded = bytes + [UInt8](repeating: 0, count: counts.max()! - bytes.count)
    let all = try padded.withUnsafeBytes { try gather($0) }
    return counts.enumerated().map { rank, count in Array(all[(rank * padded.count)..<(rank * padded.count + count)]) }
  }

  /// Every rank's rows of `width` floats, in rank order, on every rank.
  func gatherRows(_ rows: [[Float]], width: Int) throws -> [[Float]] {
    guard size > 1 else { return rows }
    let flat = rows.flatMap { $0 }.withUnsafeBytes { Array($0) }
    return try gatherBytes(flat).flatMap { bytes in
      let values = bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
      return stride(from: 0, to: values.count, by: max(width, 1)).map { Array(values[$0..<$0 + width]) }
    }
  }

  /// Every rank's strings, in rank order, on every rank.
  func gatherStrings(_ strings: [String]) throws -> [String] {
    guard size > 1 else { return strings }
    let text = JSONValue.array(strings.map(JSONValue.string)).text
    return try gatherBytes(Array(text.utf8)).flatMap { bytes in
      try parseJSON(bytes).array?.compactMap(\.string) ?? []
    }
  }
}
