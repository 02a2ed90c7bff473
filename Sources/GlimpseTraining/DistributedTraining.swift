import GlimpseDistributed
import GlimpseModels
import GlimpseTensor

/// Data-parallel training over the ranks of a job, as Horovod and PyTorch's DDP do it: every rank
/// holds the whole model and takes a fixed share of each global batch; the gradients, each
/// weighted by its share, are summed over the ranks in one fused allreduce per step, so that
/// every rank then clips and steps identically.
final class GradientExchange {
  let communicator: Communicator
  /// [every parameter's gradient, the loss and its parts, the stop requests], allocated once.
  private var buffer: [Float] = []

  init(communicator: Communicator) { self.communicator = communicator }

  /// Sums the ranks' gradients (each scaled by `weight`, its share of the batch) into every
  /// rank's `parameters`, and their losses; returns the batch's loss and whether any rank was
  /// asked to stop.
  func sum(_ parameters: [Parameter], loss: TrainingLoss, weight: Float, stop: Bool) throws -> (TrainingLoss, Bool) {
    let gradientCount = parameters.reduce(0) { $0 + $1.gradient.count }
    let count = gradientCount + 1 + loss.parts.count + 1
    if buffer.count != count { buffer = [Float](repeating: 0, count: count) }
    var summed = loss
    let stopRequested = try buffer.withUnsafeMutableBufferPointer { values in
      let base = values.baseAddress!
      var offset = 0
      for parameter in parameters {
        let (g, n) = (parameter.gradient.pointer, parameter.gradient.count)
        for i in 0..<n { base[offset + i] = g[i] * weight }
        offset += n
      }
      base[offset] = loss.total * weight
      for (k, part) in loss.parts.enumerated() { base[offset + 1 + k] = part.value * weight }
      base[count - 1] = stop ? 1 : 0
      try communicator.sumOverRanks(values)
      offset = 0
      for parameter in parameters {
        parameter.gradient.pointer.update(from: base + offset, count: parameter.gradient.count)
        offset += parameter.gradient.count
      }
      summed.total = base[offset]
      for k in summed.parts.indices { summed.parts[k].value = base[offset + 1 + k] }
      return base[count - 1] > 0
    }
    return (summed, stopRequested)
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

/// Runs `body` on rank 0 first and then on the other ranks: for bringing a shared file (a
/// feature cache) up to date, which the later ranks then find current and only read.
func rootFirst<T>(_ communicator: Communicator, _ body: () throws -> T) throws -> T {
  guard communicator.size > 1 else { return try body() }
  var done: UInt8 = 1
  if communicator.isRoot {
    let result = try body()
    try withUnsafeMutableBytes(of: &done) { try communicator.broadcast($0, from: 0) }
    return result
  }
  try withUnsafeMutableBytes(of: &done) { try communicator.broadcast($0, from: 0) }
  return try body()
}
