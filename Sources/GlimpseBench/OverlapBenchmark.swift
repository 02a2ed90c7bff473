import GlimpseCore
import GlimpseDistributed
import GlimpseIO
import GlimpseLayers
import GlimpseModels
import GlimpseTensor
import GlimpseTraining

#if canImport(Glibc)
import Glibc
#endif

/// A cluster's network as one machine can stand in for it: `machines` ranks in a ring, each
/// link `bytesPerSecond` wide and `latency` long, so that a ring allreduce of S bytes takes
/// t = 2(N−1)/N · S/B + 2(N−1)·a. A sum sleeps that long and leaves the values as they are: the
/// wire's time, without the CPU time a real MPI spends copying and adding, which a NIC's
/// offloads and the spare cores of a real machine take. Callable from any thread, one at a time.
public final class SimulatedRing: Communicator, @unchecked Sendable {
  public let rank = 0
  public let size: Int
  public let callableFromAnyThread = true
  let bytesPerSecond: Double
  let latency: Double

  public init(machines: Int, bytesPerSecond: Double, latency: Double) {
    precondition(machines >= 2 && bytesPerSecond > 0 && latency >= 0)
    (size, self.bytesPerSecond, self.latency) = (machines, bytesPerSecond, latency)
  }

  /// Seconds a ring allreduce of `bytes` takes.
  public func allreduceSeconds(bytes: Int) -> Double {
    let n = Double(size)
    return 2 * (n - 1) / n * Double(bytes) / bytesPerSecond + 2 * (n - 1) * latency
  }

  public func sumOverRanks(_ values: UnsafeMutableBufferPointer<Float>) throws(DistributedError) {
    let seconds = allreduceSeconds(bytes: values.count * MemoryLayout<Float>.size)
    var time = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
    var left = timespec()
    while nanosleep(&time, &left) != 0 && errno == EINTR { time = left }
  }
  public func broadcast(_ bytes: UnsafeMutableRawBufferPointer, from root: Int) throws(DistributedError) {}
  public func gather(_ bytes: UnsafeRawBufferPointer) throws(DistributedError) -> [UInt8] { Array(bytes) }
  public func finish() throws(DistributedError) {}
  public func abortJob(code: Int32) -> Never { exit(code) }
}

/// The attention captioners whose training `benchmarkOverlap` projects to a cluster.
public enum OverlapModel: String, CaseIterable, Sendable {
  /// glimpse-small's, cnn-small trained with it, on 128×128 images.
  case small = "small.attention"
  /// The photo configuration's decoder (V = 10,000) on cached grids, its encoder frozen.
  case photo = "photo.attention"
}

/// ms per training step at batch 32 on this machine, as one of `machines` machines of a
/// data-parallel job on `ring`'s network, each computing a batch of 32:
/// - `overlap.<model>.compute`: the step alone (forward, backward, clipping, Adam);
/// - `overlap.<model>.after.m<N>`: with the gradients summed in one allreduce after the backward pass;
/// - `overlap.<model>.during.m<N>`: with the groups a backward pass finishes early summed while
///   it computes the rest, then the rest;
/// - `….efficiency`: the step alone over the step with its sums, in %.
/// Each repeat takes one step of every configuration in turn (each its own model), so that the
/// machine's slower moments fall on all of them alike; an efficiency pairs the steps of one repeat.
public func benchmarkOverlap(
  _ model: OverlapModel, machines: [Int], bytesPerSecond: Double, latency: Double, repeats: Int = 5
) throws -> [Measurement] {
  var names = ["overlap.\(model.rawValue).compute"]
  var steps = [try OverlapSteps(model, ring: nil, sumsEarly: false)]
  for n in machines {
    let ring = SimulatedRing(machines: n, bytesPerSecond: bytesPerSecond, latency: latency)
    for sumsEarly in [false, true] {
      names.append("overlap.\(model.rawValue).\(sumsEarly ? "during" : "after").m\(n)")
      steps.append(try OverlapSteps(model, ring: ring, sumsEarly: sumsEarly))
    }
  }
  var samples = [[Double]](repeating: [], count: steps.count)
  for repeat_ in 0..<(repeats + 1) {
    for (index, step) in steps.enumerated() {
      let began = monotonicSeconds()
      try step.run()
      if repeat_ > 0 { samples[index].append((monotonicSeconds() - began) * 1000) }
    }
  }
  var results = [Measurement(name: names[0], unit: "ms", samples: samples[0])]
  for index in 1..<steps.count {
    results.append(Measurement(name: names[index], unit: "ms", samples: samples[index]))
    results.append(
      Measurement(
        name: names[index] + ".efficiency", unit: "%",
        samples: zip(samples[0], samples[index]).map { 100 * $0 / $1 }))
  }
  return results
}

/// One model's training steps at batch 32 on fixed random data, its gradients summed over
/// `ring` when given.
private final class OverlapSteps {
  let run: () throws -> Void

  init(_ model: OverlapModel, ring: SimulatedRing?, sumsEarly: Bool) throws {
    var random = SeededGenerator(seed: 23)
    let batch = 32
    let (sizes, vocabulary) = model == .photo ? (ModelSizes.photo, photoVocabulary) : (benchSizes, benchVocabulary)
    let steps = sizes.maxTokens - 1
    let (inputs, targets) = randomCaptions(batch, steps: steps, below: vocabulary, &random)
    let decoder = DecoderKind.attention.make(vocabularySize: vocabulary, sizes: sizes)
    let trainer: CaptionTrainer
    let computeGradients: () -> CaptionLoss
    if model == .photo {
      let (grid, mean) = randomPhotoGrids(batch, &random)
      decoder.initialize(random: &random)
      trainer = CaptionTrainer(encoder: benchPhotoEncoder(&random), decoder: decoder)
      computeGradients = { trainer.computeGradients(grid: grid, mean: mean, inputs: inputs, targets: targets) }
    } else {
      let images = randomImages(batch, &random)
      let encoder = CNNEncoder(sizes: sizes)
      encoder.initialize(random: &random)
      decoder.initialize(random: &random)
      trainer = CaptionTrainer(encoder: encoder, decoder: decoder)
      computeGradients = { trainer.computeGradients(images: images, inputs: inputs, targets: targets) }
    }
    let sum = ring.map { RankGradientSum(communicator: $0, trainer: trainer, sumsEarly: sumsEarly) }
    let weight = Float(1) / Float(ring?.size ?? 1)
    var adam = Adam(parameters: trainer.parameters.values)
    run = {
      sum?.prepare(weight: weight)
      let loss = computeGradients()
      _ = try sum?.sum(loss: TrainingLoss(total: loss.total), stop: false)
      _ = clipGradientNorm(trainer.parameters.gradients, maxNorm: 5)
      adam.update(parameters: trainer.parameters.values, gradients: trainer.parameters.gradients)
    }
  }
}
