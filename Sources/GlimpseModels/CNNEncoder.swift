import GlimpseLayers
import GlimpseTensor

/// The spec's `cnn-small`: images [B, 3, 64, 64] in [0, 1], normalised with mean 0.5 and std
/// 0.25, through conv1–conv5, to the grid [B, 64, 512] and its mean v [B, 512]. Activation
/// buffers are allocated once per batch size and reused.
/// Sendable only as far as `forward` and `backward` need: their workers read the weights and
/// write disjoint image ranges of the activation buffers and their own gradient buffers.
public final class CNNEncoder: @unchecked Sendable {
  public static let imageSize = 64
  public static let locations = 64
  public static let gridSide = 8
  public static let features = 512
  static let channels = [3, 32, 64, 128, 256, 512]
  static let kernels = [3, 3, 3, 3, 1]

  public let parameters: [Parameter]
  var weights: [Parameter] { stride(from: 0, to: 10, by: 2).map { parameters[$0] } }
  var biases: [Parameter] { stride(from: 1, to: 10, by: 2).map { parameters[$0] } }

  public private(set) var batch = 0
  var shapes: [Conv2dShape] = []
  var input = Tensor(zeros: [0])
  var convOut: [Tensor] = []     // post-ReLU output of each conv
  var pooled: [Tensor] = []      // after max-pool, for conv1–conv3
  var dConvOut: [Tensor] = []
  var dPooled: [Tensor] = []
  var columns = Tensor(zeros: [0]), dcolumns = Tensor(zeros: [0])
  var workerColumns: [Tensor] = []  // one im2col workspace per worker
  var workerDColumns: [Tensor] = []
  var workerGradients: [[Tensor]] = []  // per worker, gradients shaped as `parameters`
  // Winograd F(2×2, 3×3) for conv2–conv4 at batches of `winogradMinimumBatch` or more (conv1's
  // three input channels make its GEMMs too thin): per layer the transformed weights for the
  // forward pass and for the input gradient, and one workspace per worker.
  var winogradForward: [Tensor?] = [], winogradAdjoint: [Tensor?] = []
  var workerWinograd: [Tensor] = []
  var workerWinogradSums: [Tensor] = []  // per worker, the 16 weight-gradient sums of one layer
  public private(set) var grid = Tensor(zeros: [0])   // [B, 64, 512]
  public private(set) var mean = Tensor(zeros: [0])   // [B, 512]

  public init() {
    var list = [Parameter]()
    for layer in 0..<5 {
      let (cin, cout, k) = (Self.channels[layer], Self.channels[layer + 1], Self.kernels[layer])
      list.append(Parameter("encoder.conv\(layer + 1).weight", [cout, cin, k, k]))
      list.append(Parameter("encoder.conv\(layer + 1).bias", [cout]))
    }
    parameters = list
  }

  public func initialize(random: inout SeededGenerator) {
    for w in weights { initHeUniform(w.value, random: &random) }
    for b in biases { b.value.zero() }
  }

  /// Multiply-adds of one image's forward pass (conv layers only): about 137 M·2 FLOP.
  public static var forwardMultiplyAdds: Int {
    var sizes = [64, 32, 16, 8, 8]
    sizes = sizes.map { $0 * $0 }
    return (0..<5).reduce(0) { $0 + channels[$1] * channels[$1 + 1] * kernels[$1] * kernels[$1] * sizes[$1] }
  }

  func prepare(batch newBatch: Int) {
    guard newBatch != batch else { return }
    batch = newBatch
    var size = Self.imageSize
    shapes = []
    convOut = []; pooled = []; dConvOut = []; dPooled = []
    for layer in 0..<5 {
      let shape = Conv2dShape(batch: batch, inChannels: Self.channels[layer], height: size, width: size,
                              outChannels: Self.channels[layer + 1], kernel: Self.kernels[layer], padding: Self.kernels[layer] / 2)
      shapes.append(shape)
      convOut.append(Tensor(zeros: [batch, shape.outChannels, size, size]))
      dConvOut.append(Tensor(zeros: [batch, shape.outChannels, size, size]))
      if layer < 3 {
        size /= 2
        pooled.append(Tensor(zeros: [batch, shape.outChannels, size, size]))
        dPooled.append(Tensor(zeros: [batch, shape.outChannels, size, size]))
      }
    }
    let workspace = max(shapes.map(\.columnsCount).max()!, 1)
    columns = Tensor(zeros: [workspace])
    dcolumns = Tensor(zeros: [workspace])
    workerColumns = (0..<Self.workers).map { _ in Tensor(zeros: [workspace]) }
    workerDColumns = (0..<Self.workers).map { _ in Tensor(zeros: [workspace]) }
    let winograd = shapes.indices.map { $0 >= 1 && shapes[$0].allowsWinograd && batch >= winogradMinimumBatch }
    winogradForward = shapes.indices.map { winograd[$0] ? Tensor(zeros: [shapes[$0].winogradFilterCount]) : nil }
    winogradAdjoint = shapes.indices.map { winograd[$0] ? Tensor(zeros: [shapes[$0].winogradFilterCount]) : nil }
    let winogradShapes = shapes.indices.filter { winograd[$0] }.map { shapes[$0] }
    let winogradSize = winogradShapes.map(\.winogradWorkspaceCount).max() ?? 1
    workerWinograd = (0..<Self.workers).map { _ in Tensor(zeros: [winogradSize]) }
    let sumsSize = winogradShapes.map(\.winogradFilterCount).max() ?? 1
    workerWinogradSums = (0..<Self.workers).map { _ in Tensor(zeros: [sumsSize]) }
    if workerGradients.isEmpty { workerGradients = (0..<Self.workers).map { _ in parameters.map { Tensor(zeros: $0.value.shape) } } }
    input = Tensor(zeros: [batch, 3, Self.imageSize, Self.imageSize])
    grid = Tensor(zeros: [batch, Self.locations, Self.features])
    mean = Tensor(zeros: [batch, Self.features])
  }

  /// The batch is split across this many workers (the machine's 2 cores), each running the
  /// whole per-image pipeline on its images with single-threaded GEMMs, so that im2col, ReLU
  /// and pooling use both cores too. Images are independent: the result is the same.
  public static let workers = 2

  /// The smallest batch that uses Winograd: below it the filter transforms and the 16 small
  /// GEMMs per layer cost more than Winograd saves (one image: 3.2–3.7 ms against im2col's
  /// 1.9–2.1 for caption.rnn.b1). Tests lower it to hold Winograd to PyTorch's numbers too.
  public var winogradMinimumBatch = 8 {
    didSet { batch = 0 }  // prepare again
  }

  /// images [B, 3, 64, 64] in [0, 1] → `grid` [B, 64, 512] and `mean` [B, 512].
  public func forward(images: Tensor) {
    beginForward(images: images)
    let b = batch
    guard b == 1 && Self.workers > 1 && winogradForward.allSatisfy({ $0 == nil }) else {
      _ = inParallelShares(min(Self.workers, b), rows: b) { worker, images in forwardShare(worker, images: images) }
      return
    }
    withOneBLASThread { forwardOneImageOnBothCores() }
    gridForward(grid: grid, mean: mean, featureMap: convOut[4], batch: b, channels: Self.features, locations: Self.locations)
  }

  /// The input, normalised, and the Winograd filters: what every worker's share of a forward
  /// pass reads. `forward` calls it; a caller running the shares itself calls it first.
  public func beginForward(images: Tensor) {
    prepare(batch: images.count / (3 * Self.imageSize * Self.imageSize))
    for i in 0..<images.count { input.pointer[i] = (images.pointer[i] - 0.5) / 0.25 }
    transformFilters(winogradForward, adjoint: false)
  }

  /// The Winograd filters of every layer that has them, on both cores: each layer's outputs in
  /// halves, dealt to whichever thread is free. Each pass took 2 ms of a training step on one
  /// core; it takes 1 ms on two. (Split through Dispatch in session 6, the encoder's forward
  /// pass fell to about 100 GFLOP/s instead.)
  func transformFilters(_ filters: [Tensor?], adjoint: Bool) {
    let layers = filters.indices.filter { filters[$0] != nil }
    guard !layers.isEmpty else { return }
    SpinningWorker.shared.run(chunks: 2 * layers.count) { chunk in
      let (layer, half) = (layers[chunk / 2], chunk % 2)
      let s = shapes[layer]
      winogradFilters(weights[layer].value, into: filters[layer]!, shape: s, adjoint: adjoint,
                      outputs: (s.outChannels * half / 2)..<(s.outChannels * (half + 1) / 2))
    }
  }

  /// The forward pass, after `beginForward`, of the images in `range`: one worker's share
  /// (worker < `workers`, whose buffers it uses), through to its rows of `grid` and `mean`.
  /// Shares run at the same time with OpenBLAS on one thread (`inParallelShares`).
  public func forwardShare(_ worker: Int, images range: Range<Int>) {
    forward(images: range, columns: workerColumns[worker], winograd: workerWinograd[worker])
    gridForward(grid: grid.slice(range), mean: mean.slice(range), featureMap: convOut[4].slice(range), batch: range.count,
                channels: Self.features, locations: Self.locations)
  }

  /// The convolutions, ReLUs and pools for the images in `range`.
  func forward(images range: Range<Int>, columns: Tensor, winograd: Tensor) {
    var x = input.slice(range)
    for layer in 0..<5 {
      var s = shapes[layer]
      s.batch = range.count
      let out = convOut[layer].slice(range)
      if let filters = winogradForward[layer] {
        conv2dWinogradForward(out: out, inp: x, filters: filters, bias: biases[layer].value, shape: s, workspace: winograd)
      } else {
        conv2dForward(out: out, inp: x, weight: weights[layer].value, bias: biases[layer].value, shape: s, columns: columns)
      }
      reluForward(out: out, inp: out)
      x = out
      if layer < 3 {
        let target = pooled[layer].slice(range)
        maxPool2Forward(out: target, inp: x, planes: range.count * s.outChannels, height: s.outHeight, width: s.outWidth)
        x = target
      }
    }
  }

  /// One image, each layer's output rows halved between this thread and `SpinningWorker.shared`
  /// (OpenBLAS on one thread in each): the unfolding, ReLU and pooling then run on both cores,
  /// not only the GEMMs as when OpenBLAS splits each product with its own threads (1.37 ms
  /// that way, 1.05 ms this way, medians of 200 on this machine). The halves hold whole
  /// pooling blocks (every layer has an even number of rows); each layer waits for the one
  /// before, whose rows next to the boundary it reads.
  func forwardOneImageOnBothCores() {
    var x = input
    for layer in 0..<5 {
      let (s, out) = (shapes[layer], convOut[layer])
      let pooled = layer < 3 ? self.pooled[layer] : nil
      SpinningWorker.shared.run { part in
        let rows = (s.outHeight * part / 2)..<(s.outHeight * (part + 1) / 2)
        conv2dReLUForward(out: out, inp: x, weight: weights[layer].value, bias: biases[layer].value, shape: s,
                          columns: workerColumns[part], rows: rows)
        if let pooled {
          maxPool2Forward(out: pooled, inp: out, planes: s.outChannels, height: s.outHeight, width: s.outWidth,
                          rows: (rows.lowerBound / 2)..<(rows.upperBound / 2))
        }
      }
      x = pooled ?? out
    }
  }

  /// Accumulates the parameters' gradients from dgrid [B, 64, 512] and/or dmean [B, 512]. As
  /// in `forward`, the batch is split across the workers with single-threaded GEMMs; each
  /// accumulates its images' weight gradients in its own buffers, added to the parameters'
  /// gradients in worker order at the end (so the result is the same on every run).
  public func backward(dgrid: Tensor?, dmean: Tensor?) {
    beginBackward()
    let workers = min(Self.workers, batch)
    guard workers > 1 else {
      for t in dPooled + dConvOut[3...] { t.zero() }  // what the backward adds into; the rest it overwrites
      gridBackward(dfeatureMap: dConvOut[4], dgrid: dgrid, dmean: dmean, batch: batch, channels: Self.features, locations: Self.locations)
      backward(images: 0..<batch, gradients: parameters.map(\.gradient), columns: columns, dcolumns: dcolumns,
               winograd: workerWinograd[0], sums: workerWinogradSums[0])
      return
    }
    _ = inParallelShares(workers, rows: batch) { worker, images in backwardShare(worker, images: images, dgrid: dgrid, dmean: dmean) }
    finishBackward(workers: workers)
  }

  /// The Winograd adjoint filters from the weights the forward pass used: what every worker's
  /// share of a backward pass reads. `backward` calls it; a caller running the shares itself
  /// calls it first.
  public func beginBackward() {
    transformFilters(winogradAdjoint, adjoint: true)
  }

  /// The backward pass, after `beginBackward`, of the images in `range` (the worker's share of
  /// the forward pass), from its rows of dgrid and dmean, into the worker's own gradient
  /// buffers. `finishBackward` adds every worker's buffers to the gradients.
  public func backwardShare(_ worker: Int, images range: Range<Int>, dgrid: Tensor?, dmean: Tensor?) {
    for t in dPooled + dConvOut[3...] { t.slice(range).zero() }  // what the backward adds into; the rest it overwrites
    gridBackward(dfeatureMap: dConvOut[4].slice(range), dgrid: dgrid?.slice(range), dmean: dmean?.slice(range), batch: range.count,
                 channels: Self.features, locations: Self.locations)
    for t in workerGradients[worker] { t.zero() }
    backward(images: range, gradients: workerGradients[worker], columns: workerColumns[worker], dcolumns: workerDColumns[worker],
             winograd: workerWinograd[worker], sums: workerWinogradSums[worker])
  }

  /// Adds the workers' gradient buffers to the parameters' gradients, in worker order (so the
  /// result is the same on every run).
  public func finishBackward(workers: Int) {
    for (index, parameter) in parameters.enumerated() {
      for worker in 0..<workers { parameter.gradient.add(workerGradients[worker][index]) }
    }
  }

  /// Backward through the five layers for the images in `range`, accumulating the weight and
  /// bias gradients into `gradients` (weight, bias per layer, as `parameters`).
  func backward(images range: Range<Int>, gradients: [Tensor], columns: Tensor, dcolumns: Tensor, winograd: Tensor, sums: Tensor) {
    for layer in stride(from: 4, through: 0, by: -1) {
      var s = shapes[layer]
      s.batch = range.count
      let dout = dConvOut[layer].slice(range)
      // conv1–conv3's ReLU backward went with their pool's (maxPool2ReLUBackward).
      if layer >= 3 { reluMask(gradient: dout, out: convOut[layer].slice(range)) }
      let inp = (layer == 0 ? input : (layer <= 3 ? pooled[layer - 1] : convOut[layer - 1])).slice(range)
      let dinp: Tensor? = layer == 0 ? nil : (layer <= 3 ? dPooled[layer - 1] : dConvOut[layer - 1]).slice(range)
      if let adjoint = winogradAdjoint[layer] {
        // Its input gradient is written, not added: dPooled has no other source.
        conv2dWinogradBackward(dinp: dinp, dweight: gradients[2 * layer], dbias: gradients[2 * layer + 1], dout: dout, inp: inp,
                               adjointFilters: adjoint, shape: s, workspace: winograd, sums: sums)
      } else {
        conv2dBackward(dinp: dinp, dweight: gradients[2 * layer], dbias: gradients[2 * layer + 1], dout: dout,
                       inp: inp, weight: weights[layer].value, shape: s, columns: columns, dcolumns: dcolumns)
      }
      if layer >= 1 && layer <= 3 {
        let p = shapes[layer - 1]
        maxPool2ReLUBackward(dinp: dConvOut[layer - 1].slice(range), dout: dPooled[layer - 1].slice(range),
                             inp: convOut[layer - 1].slice(range), planes: range.count * p.outChannels, height: p.outHeight, width: p.outWidth)
      }
    }
  }
}
