import Dispatch
import GlimpseDistributed
import GlimpseLayers
import GlimpseModels
import GlimpseTensor

/// A training step's loss: the masked cross-entropy and the decoder's own penalty (the
/// attention decoder's doubly stochastic one; 0 for the others).
public struct CaptionLoss: Equatable, Sendable {
  public var crossEntropy: Float
  public var penalty: Float
  public var total: Float { crossEntropy + penalty }
}

/// One captioning model (the encoder and a decoder) with its optimiser: a training step is
/// forward, masked cross-entropy (plus the decoder's own penalty), backward through decoder
/// and encoder, gradient clipping to norm 5, and an Adam update, as the spec's defaults say.
public final class CaptionTrainer {
  public let encoder: ImageEncoder
  public let decoder: CaptionDecoder
  /// What the optimiser updates: a frozen encoder's weights are not among them.
  public var parameters: [Parameter] { encoder.trainableParameters + decoder.parameters }
  public private(set) lazy var optimizer = Adam(parameters: parameters.values, learningRate: learningRate)
  public let learningRate: Float
  public let clipNorm: Float
  var batchImages = Tensor(zeros: [0]), probs = Tensor(zeros: [0]), dlogits = Tensor(zeros: [0])
  var dgrid = Tensor(zeros: [0]), dmean = Tensor(zeros: [0])
  var cached = CachedGridBuffers()
  /// The decoder and a replica with gradients of its own for each further core; tests set it to
  /// the decoder alone to compare.
  var decoders: [CaptionDecoder]
  /// Sums the decoder's early gradient groups over the ranks during the backward pass, in a job
  /// of several ranks; `finish` then leaves them out.
  private(set) var earlyExchange: EarlyGradientExchange?

  public init(encoder: ImageEncoder, decoder: CaptionDecoder, learningRate: Float = 1e-3, clipNorm: Float = 5) {
    self.encoder = encoder
    self.decoder = decoder
    _ = CalibratedTuning.current  // the few-row blocks of the backward steps, measured now if never
    decoder.weightsFixed = false  // training changes them: nothing may be kept from one run to the next
    decoders = decodersPerCore(decoder, ownGradients: true)
    self.clipNorm = clipNorm
    self.learningRate = learningRate
  }

  /// Trains on the captions at `indices` (one batch); returns the loss before the update.
  @discardableResult
  public func step(_ batches: CaptionBatches, indices: [Int]) throws -> CaptionLoss {
    let loss = try computeGradients(batches, indices: indices)
    let parameters = self.parameters
    _ = clipGradientNorm(parameters.gradients, maxNorm: clipNorm)
    optimizer.update(parameters: parameters.values, gradients: parameters.gradients)
    return loss
  }

  /// Forward and backward over the captions at `indices`: the gradients of the loss, which is
  /// returned, replace the parameters' gradients.
  public func computeGradients(_ batches: CaptionBatches, indices: [Int]) throws -> CaptionLoss {
    var inputs = [Int32](), targets = [Int32]()
    for index in indices {
      let caption = batches.captions[index]
      inputs += caption.dropLast()
      targets += caption.dropFirst()
    }
    if let grids = batches.grids {
      let (grid, mean) = cached.read(grids, images: indices.map { batches.imageOfCaption[$0] })
      return computeGradients(grid: grid, mean: mean, inputs: inputs, targets: targets)
    }
    let size = encoder.imageSize
    if batchImages.count != indices.count * 3 * size * size {
      batchImages = Tensor(zeros: [indices.count, 3, size, size])
    }
    try batches.images.copyImages(indices.map { batches.imageOfCaption[$0] }, to: batchImages)
    return computeGradients(images: batchImages, inputs: inputs, targets: targets)
  }

  /// The same for a batch given directly: images [B, 3, S, S], input and target tokens [B, T − 1].
  /// The batch is shared out among the cores, one share per decoder (`decoders`), each with
  /// single-threaded GEMMs and gradients of its own, added to the decoder's in share order.
  /// When the batch is shared out, each core runs its share's images through the encoder, its
  /// decoder and back through the encoder without waiting for the other core.
  public func computeGradients(images: Tensor, inputs: [Int32], targets: [Int32]) -> CaptionLoss {
    let b = images.size(0)
    let steps = inputs.count / b
    prepareBuffers(batch: b, steps: steps)
    let encoder = self.encoder
    let shares = decodingShares(decoders, rows: b)
    let losses: [CaptionLoss]
    if shares > 1 && shares <= encoder.workers {
      encoder.beginForward(images: images)
      encoder.beginBackward()
      let decoders = self.decoders
      losses = inParallelShares(shares, rows: b) { share, rows in
        encoder.forwardShare(share, images: rows)
        let loss = decode(
          decoders[share], rows, grid: encoder.grid, mean: encoder.mean, inputs: inputs, targets: targets)
        encoder.backwardShare(share, images: rows, dgrid: dgrid, dmean: dmean)
        return loss
      }
      encoder.finishBackward(workers: shares)
    } else {
      encoder.forward(images: images)
      losses = decodeInParallel(decoders, rows: b) { decoder, rows in
        [decode(decoder, rows, grid: encoder.grid, mean: encoder.mean, inputs: inputs, targets: targets)]
      }
      encoder.backward(dgrid: dgrid, dmean: dmean)
    }
    return finish(losses)
  }

  /// The same from grids computed beforehand (a frozen encoder's, from a feature cache): grid
  /// [B, L, D] and mean [B, D]; only the decoder runs and learns.
  public func computeGradients(grid: Tensor, mean: Tensor, inputs: [Int32], targets: [Int32]) -> CaptionLoss {
    let b = grid.size(0)
    prepareBuffers(batch: b, steps: inputs.count / b)
    let losses = decodeInParallel(decoders, rows: b) { decoder, rows in
      [decode(decoder, rows, grid: grid, mean: mean, inputs: inputs, targets: targets)]
    }
    return finish(losses)
  }

  private func prepareBuffers(batch b: Int, steps: Int) {
    let grid = encoder.gridShape
    if dgrid.count != b * grid.locations * grid.features || probs.count != b * steps * decoder.vocabularySize {
      dgrid = Tensor(zeros: [b, grid.locations, grid.features])
      dmean = Tensor(zeros: [b, grid.features])
      probs = Tensor(zeros: [b, steps, decoder.vocabularySize])
      dlogits = Tensor(zeros: [b, steps, decoder.vocabularySize])
    }
    // Each share clears its own decoder's gradients and its rows (`decode`), on its own core; a
    // replica without a share this step must not keep the step before's.
    let shares = decodingShares(decoders, rows: b)
    for decoder in decoders[shares...] { decoder.parameters.zeroGradients() }
    earlyExchange?.expect(shares: shares)
    encoder.trainableParameters.zeroGradients()
  }

  /// One share of the rows through the decoder, forward and backward: its loss, averaged over
  /// the whole batch, and its rows of dgrid and dmean.
  private func decode(
    _ decoder: CaptionDecoder, _ rows: Range<Int>, grid: Tensor, mean: Tensor, inputs: [Int32], targets: [Int32]
  ) -> CaptionLoss {
    let b = grid.size(0)
    let steps = inputs.count / b
    let tokens = (rows.lowerBound * steps)..<(rows.upperBound * steps)
    let (shareInputs, shareTargets) = (Array(inputs[tokens]), Array(targets[tokens]))
    let (shareProbs, shareDlogits) = (probs.slice(rows), dlogits.slice(rows))
    decoder.parameters.zeroGradients()
    shareDlogits.zero(); dgrid.slice(rows).zero(); dmean.slice(rows).zero()
    let logits = decoder.forward(
      grid: grid.slice(rows), mean: mean.slice(rows), inputs: shareInputs, batch: rows.count, steps: steps)
    let loss = CaptionLoss(
      crossEntropy: maskedCrossEntropyForward(probs: shareProbs, logits: logits, targets: shareTargets, batch: b),
      penalty: decoder.auxiliaryLoss(targets: shareTargets, batch: b))
    maskedCrossEntropyBackward(dlogits: shareDlogits, probs: shareProbs, targets: shareTargets, batch: b)
    decoder.backward(dlogits: shareDlogits, dgrid: dgrid.slice(rows), dmean: dmean.slice(rows))
    return loss
  }

  /// Adds the replicas' gradients to the decoder's, in share order (but those the early exchange
  /// adds), and sums the shares' losses.
  private func finish(_ losses: [CaptionLoss]) -> CaptionLoss {
    let early = earlyExchange?.names ?? []
    let sums = decoder.parameters.indices.filter { !early.contains(decoder.parameters[$0].name) }
    addReplicaGradients(decoders, parameters: sums)
    return losses.reduce(CaptionLoss(crossEntropy: 0, penalty: 0)) {
      CaptionLoss(crossEntropy: $0.crossEntropy + $1.crossEntropy, penalty: $0.penalty + $1.penalty)
    }
  }
}

extension CaptionTrainer: FinishesGradientsEarly {
  /// Makes the decoder and its replicas report their early gradient groups to a new exchange
  /// over `communicator`; nil when the decoder has none or the communicator is tied to one thread.
  func exchangeEarly(over communicator: Communicator) -> EarlyGradientExchange? {
    let groups = decoder.earlyGradientGroups
    guard !groups.isEmpty && communicator.callableFromAnyThread else { return nil }
    let exchange = EarlyGradientExchange(
      communicator: communicator, groups: groups.indices.map { k in decoders.map { $0.earlyGradientGroups[k] } })
    for decoder in decoders { decoder.gradientGroupFinished = { exchange.finished($0) } }
    earlyExchange = exchange
    return exchange
  }
}

/// Adds each replica's gradient of the parameters at `indices` to the first decoder's, in replica
/// order: each tensor's two halves on the two cores where there are two, with the same result on
/// any core count.
func addReplicaGradients(_ decoders: [CaptionDecoder], parameters indices: [Int]) {
  guard decoders.count > 1 else { return }
  let targets = decoders[0].parameters.map(\.gradient)
  let sources = decoders.dropFirst().map { $0.parameters.map(\.gradient) }
  DispatchQueue.concurrentPerform(iterations: 2) { half in
    for index in indices {
      let target = targets[index].pointer
      let range = contiguousShare(targets[index].count, part: half, of: 2)
      for source in sources {
        let g = source[index].pointer
        for i in range { target[i] += g[i] }
      }
    }
  }
}
