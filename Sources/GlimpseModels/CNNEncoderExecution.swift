import GlimpseCore
import GlimpseLayers
import GlimpseTensor

/// How `CNNEncoder` runs on the machine's cores, apart from what it computes:
/// - a batch goes in per-core shares, each running its images through every layer with
///   single-threaded GEMMs, so that im2col, ReLU and pooling use every core too (images are
///   independent: the result is the same);
/// - one image has each layer's output rows halved between this thread and
///   `SpinningWorker.shared` (OpenBLAS on one thread in each);
/// - at batches of `winogradMinimumBatch` or more (measured on the CPU, `EncoderCalibration`),
///   the 3×3 layers after the first run as Winograd F(2×2, 3×3), with the filter transforms
///   shared between the cores.
struct EncoderExecutionBuffers {
  var columns = Tensor(zeros: [0]), dcolumns = Tensor(zeros: [0])
  var workerColumns: [Tensor] = [], workerDColumns: [Tensor] = []  // one im2col workspace per worker
  var workerGradients: [[Tensor]] = []  // per worker, gradients shaped as `parameters`
  /// Per layer the transformed weights for the forward pass and for the input gradient.
  var winogradForward: [Tensor?] = [], winogradAdjoint: [Tensor?] = []
  var workerWinograd: [Tensor] = []
  var workerWinogradSums: [Tensor] = []  // per worker, the 16 weight-gradient sums of one layer
  /// Below this batch the filter transforms and the 16 small GEMMs per layer cost more than
  /// Winograd saves; nil takes the CPU's measured batch. Tests set it to hold either path to
  /// PyTorch's numbers.
  var winogradMinimumBatch: Int?
  /// Whether this pass's shares run through oneDNN (`trainsThroughOneDNN`, read once per pass).
  var oneDNNShares = false
  /// The whole batch's grid gradient [B, L, D] for oneDNN's backward pass (dgrid + dmean / L).
  var gridGradient = Tensor(zeros: [0])
  /// What oneDNN's networks read and write (CNNEncoderTrainingDNNL.swift).
  var oneDNNWeights: [UnsafePointer<Float>?] = [], oneDNNBiases: [UnsafePointer<Float>?] = []
  var oneDNNWeightGradients: [[UnsafeMutablePointer<Float>?]] = [],
    oneDNNBiasGradients: [[UnsafeMutablePointer<Float>?]] = []
}

extension CNNEncoder {
  /// One share per core.
  public var workers: Int { ExecutionCores.count }

  /// The batch from which the 3×3 layers run as Winograd; nil (the default) for the batch
  /// measured on this CPU (`CalibratedTuning`), consulted only for batches of 2 to 31.
  public var winogradMinimumBatch: Int? {
    get { execution.winogradMinimumBatch }
    set {
      execution.winogradMinimumBatch = newValue
      batch = 0  // prepare again
    }
  }

  func prepareExecution() {
    let shapes = layers.map { $0.shape(batch: batch) }
    let buffers = max(ExecutionCores.count, 2)  // the one-image split needs two even on one core
    let workspace = max(shapes.map(\.columnsCount).max()!, 1)
    var e = execution
    e.columns = Tensor(zeros: [workspace]); e.dcolumns = Tensor(zeros: [workspace])
    e.workerColumns = (0..<buffers).map { _ in Tensor(zeros: [workspace]) }
    e.workerDColumns = (0..<buffers).map { _ in Tensor(zeros: [workspace]) }
    // conv1 reads the image's three channels: too thin for Winograd's GEMMs.
    // One image never runs Winograd, and the largest candidate batch always does: neither asks.
    let measured = batch >= 2 && batch < MeasuredTuning.candidates.last!
    let minimum = e.winogradMinimumBatch ?? (measured ? CalibratedTuning.current.tuning.winogradMinimumBatch : 2)
    let winograd = shapes.indices.map { $0 >= 1 && shapes[$0].allowsWinograd && batch >= minimum }
    e.winogradForward = shapes.indices.map { winograd[$0] ? Tensor(zeros: [shapes[$0].winogradFilterCount]) : nil }
    e.winogradAdjoint = shapes.indices.map { winograd[$0] ? Tensor(zeros: [shapes[$0].winogradFilterCount]) : nil }
    let winogradShapes = shapes.indices.filter { winograd[$0] }.map { shapes[$0] }
    let winogradSize = winogradShapes.map(\.winogradWorkspaceCount).max() ?? 1
    e.workerWinograd = (0..<buffers).map { _ in Tensor(zeros: [winogradSize]) }
    let sumsSize = winogradShapes.map(\.winogradFilterCount).max() ?? 1
    e.workerWinogradSums = (0..<buffers).map { _ in Tensor(zeros: [sumsSize]) }
    if e.workerGradients.isEmpty {
      e.workerGradients = (0..<buffers).map { _ in parameters.map { Tensor(zeros: $0.value.shape) } }
    }
    execution = e
    prepareOneDNNPointers()
  }

  /// images [B, 3, S, S] in [0, 1] → `grid` [B, L, D] and `mean` [B, D].
  public func forward(images: Tensor) {
    if weightsFixed && Self.oneDNNPreferred && oneDNNFailure == nil && runsThroughOneDNN(images: images)
      && forwardWithOneDNN(images: images)
    {
      return
    }
    beginForward(images: images)
    let (b, cores) = (batch, ExecutionCores.count)
    let ownOneImage = b == 1 && cores > 1 && execution.winogradForward.allSatisfy({ $0 == nil })
    guard ownOneImage && !execution.oneDNNShares else {
      _ = inParallelShares(min(cores, b), rows: b) { worker, images in forwardShare(worker, images: images) }
      return
    }
    withOneBLASThread { forwardOneImageOnBothCores() }
    finishGrid(images: 0..<1)
  }

  /// The input, normalised, and the Winograd filters: what every worker's share of a forward
  /// pass reads. `forward` calls it; a caller running the shares itself calls it first.
  public func beginForward(images: Tensor) {
    normalise(images: images)
    execution.oneDNNShares = trainsThroughOneDNN
    if !execution.oneDNNShares { transformFilters(execution.winogradForward, adjoint: false) }
  }

  /// The Winograd filters of every layer that has them, on both cores: each layer's outputs in
  /// halves, dealt to whichever thread is free.
  func transformFilters(_ filters: [Tensor?], adjoint: Bool) {
    let indices = filters.indices.filter { filters[$0] != nil }
    guard !indices.isEmpty else { return }
    SpinningWorker.shared.run(chunks: 2 * indices.count) { chunk in
      let (index, half) = (indices[chunk / 2], chunk % 2)
      let s = layers[index].shape(batch: batch)
      winogradFilters(
        layers[index].weight.value, into: filters[index]!, shape: s, adjoint: adjoint,
        outputs: contiguousShare(s.outChannels, part: half, of: 2))
    }
  }

  /// The forward pass, after `beginForward`, of the images in `range`: one worker's share
  /// (worker < `workers`, whose buffers it uses), through to its rows of `grid` and `mean`.
  /// Shares run at the same time with OpenBLAS on one thread (`inParallelShares`).
  public func forwardShare(_ worker: Int, images range: Range<Int>) {
    let (columns, winograd) = (execution.workerColumns[worker], execution.workerWinograd[worker])
    guard execution.oneDNNShares else {
      oneDNNTrainers[worker].lastShare = .own
      forward(images: range, columns: columns, winograd: winograd)
      return
    }
    if forwardShareWithOneDNN(worker, images: range) {
      oneDNNTrainers[worker].lastShare = .oneDNN
    } else {
      oneDNNTrainers[worker].lastShare = .ownWithoutWinograd  // its filters were not transformed
      forward(images: range, columns: columns, winograd: winograd, winogradAllowed: false)
    }
  }

  /// One image, each layer's output rows split between this thread and the spinning worker.
  /// A pooled layer splits at an even row, so that each half pools whole blocks of its own
  /// rows; each layer waits for the one before, whose rows next to the boundary it reads.
  func forwardOneImageOnBothCores() {
    for (index, layer) in layers.enumerated() {
      let (x, out, target) = (output(index - 1), convOut[index], pooled[index])
      let s = layer.shape(batch: 1)
      let middle = layer.pooled ? layer.side / 4 * 2 : layer.side / 2
      SpinningWorker.shared.run { part in
        let rows = part == 0 ? 0..<middle : middle..<layer.side
        conv2dReLUForward(
          out: out, inp: x, weight: layer.weight.value, bias: layer.bias.value, shape: s,
          columns: execution.workerColumns[part], rows: rows)
        if let target {
          maxPool2Forward(
            out: target, inp: out, planes: s.outChannels, height: layer.side, width: layer.side,
            rows: (rows.lowerBound / 2)..<(rows.upperBound / 2))
        }
      }
    }
  }

  /// Accumulates the parameters' gradients from dgrid [B, L, D] and/or dmean [B, D]. As in
  /// `forward`, the batch is split across the workers with single-threaded GEMMs; each
  /// accumulates its images' weight gradients in its own buffers, added to the parameters'
  /// gradients in worker order at the end (so the result is the same on every run).
  public func backward(dgrid: Tensor?, dmean: Tensor?) {
    beginBackward()
    let shares = min(ExecutionCores.count, batch)
    guard shares > 1 || execution.oneDNNShares else {
      beginBackward(images: 0..<batch, dgrid: dgrid, dmean: dmean)
      backward(
        images: 0..<batch, gradients: parameters.map(\.gradient), columns: execution.columns,
        dcolumns: execution.dcolumns, winograd: execution.workerWinograd[0], sums: execution.workerWinogradSums[0])
      return
    }
    _ = inParallelShares(shares, rows: batch) { worker, images in
      backwardShare(worker, images: images, dgrid: dgrid, dmean: dmean)
    }
    finishBackward(workers: shares)
  }

  /// The Winograd adjoint filters from the weights the forward pass used: what every worker's
  /// share of a backward pass reads. `backward` calls it; a caller running the shares itself
  /// calls it first.
  public func beginBackward() {
    if execution.oneDNNShares {
      if execution.gridGradient.count != grid.count { execution.gridGradient = Tensor(zeros: grid.shape) }
    } else {
      transformFilters(execution.winogradAdjoint, adjoint: true)
    }
  }

  /// The backward pass, after `beginBackward`, of the images in `range` (the worker's share of
  /// the forward pass), from its rows of dgrid and dmean, into the worker's own gradient
  /// buffers. `finishBackward` adds every worker's buffers to the gradients.
  public func backwardShare(_ worker: Int, images range: Range<Int>, dgrid: Tensor?, dmean: Tensor?) {
    let (columns, winograd) = (execution.workerColumns[worker], execution.workerWinograd[worker])
    var winogradAllowed = oneDNNTrainers[worker].lastShare == .own
    if oneDNNTrainers[worker].lastShare == .oneDNN {
      if backwardShareWithOneDNN(worker, images: range, dgrid: dgrid, dmean: dmean) { return }
      // oneDNN failed: the share's forward pass again, on our kernels, for their backward pass.
      forward(images: range, columns: columns, winograd: winograd, winogradAllowed: false)
      winogradAllowed = false
    }
    beginBackward(images: range, dgrid: dgrid, dmean: dmean)
    for t in execution.workerGradients[worker] { t.zero() }
    backward(
      images: range, gradients: execution.workerGradients[worker], columns: columns,
      dcolumns: execution.workerDColumns[worker], winograd: winograd, sums: execution.workerWinogradSums[worker],
      winogradAllowed: winogradAllowed)
  }

  /// Adds the workers' gradient buffers to the parameters' gradients, in worker order (so the
  /// result is the same on every run).
  public func finishBackward(workers: Int) {
    for (index, parameter) in parameters.enumerated() {
      for worker in 0..<workers { parameter.gradient.add(execution.workerGradients[worker][index]) }
    }
  }
}
