import CDNNL
import GlimpseLayers
import GlimpseTensor

/// cnn-small's training passes through oneDNN, where they ran faster than our kernels on this CPU
/// (`EncoderCalibration`): each core's share of a batch through a network of its own, on that core
/// alone; each convolution fused with its bias and ReLU in the blocked layouts oneDNN picks, its
/// max-pool keeping its choices, and the backward pass (ReLU from its output, the pool, the
/// gradients of the data and of the weights and biases) reading what the forward pass kept. The
/// weights are read on every forward pass, as training changes them between steps.
extension CNNEncoder {
  /// Whether a forward pass with weights that change runs its shares through oneDNN: as set, or
  /// as measured on this CPU; never after oneDNN failed.
  var trainsThroughOneDNN: Bool {
    guard !weightsFixed, Self.oneDNNPreferred, oneDNNTrainingFailure == nil else { return false }
    return oneDNNTraining ?? CalibratedTuning.current.tuning.oneDNNForTraining
  }

  /// The share sizes the workers have made oneDNN networks for.
  var oneDNNShareSizes: Set<Int> { oneDNNTrainers.reduce(into: []) { $0.formUnion($1.batchSizes) } }

  /// Why oneDNN failed to train this encoder (a worker's network could not be made or run), after
  /// which it trains on our own kernels.
  public var oneDNNTrainingFailure: String? { oneDNNTrainers.lazy.compactMap(\.failure).first }

  /// The images in `range` through the worker's oneDNN network, on this thread alone, to their
  /// rows of `grid` and `mean`, keeping what `backwardShareWithOneDNN` reads; false, with the
  /// reason in the worker's `failure`, if it could not run.
  func forwardShareWithOneDNN(_ worker: Int, images range: Range<Int>) -> Bool {
    let (imageCount, gridCount) = (3 * imageSize * imageSize, gridShape.locations * gridShape.features)
    let trainers = oneDNNTrainers[worker]
    do {
      try trainers.forward(
        input: input.pointer + range.lowerBound * imageCount, images: range.count, side: imageSize,
        weights: execution.oneDNNWeights, biases: execution.oneDNNBiases,
        grid: grid.pointer + range.lowerBound * gridCount
      ) { oneDNNChain(direct: oneDNNDirectLayers ?? Set(CalibratedTuning.current.tuning.oneDNNDirectLayers)) }
    } catch {
      trainers.failure = "\(error)"
      return false
    }
    gridMean(
      grid.pointer + range.lowerBound * gridCount, into: mean.pointer + range.lowerBound * gridShape.features,
      rows: range.count, locations: gridShape.locations, features: gridShape.features)
    return true
  }

  /// The weight and bias gradients of the images in `range`, after `forwardShareWithOneDNN`, from
  /// their rows of dgrid [B, L, D] and/or dmean [B, D], into the worker's own gradient buffers;
  /// false, with the reason in the worker's `failure`, if oneDNN could not run.
  func backwardShareWithOneDNN(_ worker: Int, images range: Range<Int>, dgrid: Tensor?, dmean: Tensor?) -> Bool {
    let (locations, features) = (gridShape.locations, gridShape.features)
    let total = execution.gridGradient
    let scale = 1 / Float(locations)
    for b in range {
      for l in 0..<locations {
        let offset = (b * locations + l) * features
        let row = total.pointer + offset
        if let dgrid {
          row.update(from: dgrid.pointer + offset, count: features)
        } else {
          row.update(repeating: 0, count: features)
        }
        guard let dmean else { continue }
        let shared = dmean.pointer + b * features
        for d in 0..<features { row[d] += shared[d] * scale }
      }
    }
    let trainers = oneDNNTrainers[worker]
    do {
      try trainers.backward(
        dgrid: total.pointer + range.lowerBound * locations * features, images: range.count,
        weights: execution.oneDNNWeightGradients[worker], biases: execution.oneDNNBiasGradients[worker])
    } catch {
      trainers.failure = "\(error)"
      return false
    }
    return true
  }

  /// The pointers the networks read and write, made once: each layer's weight and bias, and per
  /// worker its buffers for their gradients.
  func prepareOneDNNPointers() {
    execution.oneDNNWeights = layers.map { UnsafePointer($0.weight.value.pointer) }
    execution.oneDNNBiases = layers.map { UnsafePointer($0.bias.value.pointer) }
    execution.oneDNNWeightGradients = execution.workerGradients.map { g in layers.indices.map { g[2 * $0].pointer } }
    execution.oneDNNBiasGradients = execution.workerGradients.map { g in layers.indices.map { g[2 * $0 + 1].pointer } }
  }
}

/// A worker's oneDNN training networks, one per share size (`glimpse_dnnl_trainer_create`), made
/// the first time a size runs, and what its last share ran through; used by that worker alone.
final class DNNLTrainers {
  enum SharePath { case own, ownWithoutWinograd, oneDNN }
  private var trainers: [Int: OpaquePointer] = [:]
  var lastShare = SharePath.own
  /// Why a network could not be made or run.
  var failure: String?
  /// Tests make the next forward or backward pass fail, as oneDNN could, to follow what the
  /// encoder does then.
  enum Pass { case forward, backward }
  var failNext: Pass?

  deinit { for trainer in trainers.values { glimpse_dnnl_trainer_destroy(trainer) } }

  /// The share sizes a network has been made for.
  var batchSizes: Set<Int> { Set(trainers.keys) }

  private func injected() -> OneDNNError {
    defer { failNext = nil }
    return OneDNNError(description: "oneDNN: the \(failNext!) pass failed (made to fail by a test)")
  }

  func forward(
    input: UnsafePointer<Float>, images n: Int, side: Int, weights: [UnsafePointer<Float>?],
    biases: [UnsafePointer<Float>?], grid: UnsafeMutablePointer<Float>, chain: () -> [glimpse_dnnl_conv]
  ) throws {
    if failNext == .forward { throw injected() }
    var message = [CChar](repeating: 0, count: Int(GLIMPSE_DNNL_MESSAGE_LENGTH))
    if trainers[n] == nil {
      // Each keeps a share's activations: evaluation's last short batch should not add up.
      if trainers.count >= 4, let other = trainers.keys.first {
        glimpse_dnnl_trainer_destroy(trainers.removeValue(forKey: other)!)
      }
      let convs = chain()
      guard
        let made = convs.withUnsafeBufferPointer({
          glimpse_dnnl_trainer_create(Int32(n), 3, Int32(side), $0.baseAddress, Int32($0.count), &message)
        })
      else { throw OneDNNError(message: message) }
      trainers[n] = made
    }
    guard glimpse_dnnl_trainer_forward(trainers[n]!, input, weights, biases, grid, &message) == 0 else {
      throw OneDNNError(message: message)
    }
  }

  func backward(
    dgrid: UnsafePointer<Float>, images n: Int, weights: [UnsafeMutablePointer<Float>?],
    biases: [UnsafeMutablePointer<Float>?]
  ) throws {
    if failNext == .backward { throw injected() }
    var message = [CChar](repeating: 0, count: Int(GLIMPSE_DNNL_MESSAGE_LENGTH))
    guard let trainer = trainers[n] else {
      throw OneDNNError(description: "oneDNN: a backward pass before its forward")
    }
    guard glimpse_dnnl_trainer_backward(trainer, dgrid, weights, biases, &message) == 0 else {
      throw OneDNNError(message: message)
    }
  }
}
