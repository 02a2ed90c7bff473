import GlimpseCore
import GlimpseLayers
import GlimpseTensor

/// One layer of `cnn-small`: a convolution (stride 1, "same" padding), its ReLU, and a 2×2
/// max-pool where `pooled`.
struct EncoderLayer {
  let weight, bias: Parameter
  let inChannels, outChannels, kernel: Int
  /// The side of the square image the convolution reads and writes.
  let side: Int
  let pooled: Bool
  /// The side of the layer's output, after the pool.
  var outputSide: Int { pooled ? side / 2 : side }

  func shape(batch: Int) -> Conv2dShape {
    Conv2dShape(
      batch: batch, inChannels: inChannels, height: side, width: side, outChannels: outChannels,
      kernel: kernel, padding: kernel / 2)
  }
}

/// The spec's `cnn-small` at any size: images [B, 3, S, S] in [0, 1], normalised with mean 0.5
/// and std 0.25, through conv1–conv5 (3×3, 3×3, 3×3, 3×3, 1×1; the first three pooled), to the
/// grid [B, (S/8)², D] and its mean v [B, D]. glimpse-small has S = 64 and channels 32, 64,
/// 128, 256, 512. Forward, backward, the buffers and the FLOP count all walk `layers`; how the
/// work is shared between the cores is in CNNEncoderExecution.swift.
/// Sendable only as far as `forward` and `backward` need: their workers read the weights and
/// write disjoint image ranges of the activation buffers and their own gradient buffers.
public final class CNNEncoder: ImageEncoder, @unchecked Sendable {
  static let kernels = [3, 3, 3, 3, 1]
  static let pools = [true, true, true, false, false]
  static var layerCount: Int { kernels.count }
  /// How much smaller the grid's side is than the image's: 2 for each pool.
  static let downsampling = 8

  public let imageSize: Int
  public let gridShape: GridShape
  let layers: [EncoderLayer]
  public let parameters: [Parameter]

  public internal(set) var batch = 0
  var input = Tensor(zeros: [0])  // [B, 3, S, S], normalised
  var convOut: [Tensor] = [], dConvOut: [Tensor] = []  // per layer, after the ReLU: [B, C, side, side]
  var pooled: [Tensor?] = [], dPooled: [Tensor?] = []  // per pooled layer: [B, C, side/2, side/2]
  public private(set) var grid = Tensor(zeros: [0])  // [B, L, D]
  public private(set) var mean = Tensor(zeros: [0])  // [B, D]
  /// Execution state (CNNEncoderExecution.swift): workspaces and Winograd filters per worker.
  var execution = EncoderExecutionBuffers()
  /// With fixed weights, the forward pass runs through oneDNN where it loads (CNNEncoderDNNL.swift);
  /// its networks hold copies of the weights, forgotten whenever this is set.
  public var weightsFixed = false { didSet { oneDNN.reset() } }
  let oneDNN = DNNLNetworks()
  /// Whether fixed weights run through oneDNN; nil (the default) for the choice measured on this
  /// CPU (`CalibratedTuning`). The calibration sets it.
  public var oneDNNForward: Bool?
  /// Why oneDNN failed to run this encoder, after which it runs on its own kernels.
  public internal(set) var oneDNNFailure: String?
  /// Whether weights that change (training's) run forward and backward through oneDNN
  /// (CNNEncoderTrainingDNNL.swift); nil (the default) for the choice measured on this CPU.
  public var oneDNNTraining: Bool?
  /// The layers (0 for conv1) whose training convolutions run as oneDNN's direct ones rather than
  /// as it chooses; nil (the default) for the layers measured on this CPU. Read when a share
  /// size's network is made.
  public var oneDNNDirectLayers: Set<Int>?
  /// Per worker its oneDNN training networks, and what its last share ran through.
  let oneDNNTrainers = (0..<max(ExecutionCores.count, 1)).map { _ in DNNLTrainers() }

  public init(sizes: ModelSizes = .glimpseSmall) {
    precondition(sizes.problem == nil, sizes.problem ?? "")
    imageSize = sizes.imageSize
    gridShape = sizes.grid
    var list = [EncoderLayer]()
    var (inChannels, side) = (3, sizes.imageSize)
    for (index, outChannels) in sizes.encoderChannels.enumerated() {
      let k = Self.kernels[index]
      let layer = EncoderLayer(
        weight: Parameter("encoder.conv\(index + 1).weight", [outChannels, inChannels, k, k]),
        bias: Parameter("encoder.conv\(index + 1).bias", [outChannels]),
        inChannels: inChannels, outChannels: outChannels, kernel: k, side: side, pooled: Self.pools[index])
      list.append(layer)
      (inChannels, side) = (outChannels, layer.outputSide)
    }
    layers = list
    parameters = list.flatMap { [$0.weight, $0.bias] }
  }

  public func initialize(random: inout SeededGenerator) {
    for layer in layers {
      initHeUniform(layer.weight.value, random: &random)
      layer.bias.value.zero()
    }
  }

  public var forwardMultiplyAdds: Int {
    layers.reduce(0) { total, layer in
      total + layer.outChannels * layer.inChannels * layer.kernel * layer.kernel * layer.side * layer.side
    }
  }

  /// Each layer's im2col product for one image: [m, k]·[k, n] with m output channels, n output
  /// locations and k = input channels · kernel².
  public var layerProducts: [(m: Int, n: Int, k: Int)] {
    layers.map { ($0.outChannels, $0.side * $0.side, $0.inChannels * $0.kernel * $0.kernel) }
  }

  /// Layer i's output (after its pool) and that output's gradient; layer −1 is the input.
  func output(_ index: Int) -> Tensor { index < 0 ? input : pooled[index] ?? convOut[index] }
  func dOutput(_ index: Int) -> Tensor? { index < 0 ? nil : dPooled[index] ?? dConvOut[index] }

  func prepare(batch newBatch: Int) {
    guard newBatch != batch else { return }
    batch = newBatch
    convOut = layers.map { Tensor(zeros: [batch, $0.outChannels, $0.side, $0.side]) }
    dConvOut = layers.map { Tensor(zeros: [batch, $0.outChannels, $0.side, $0.side]) }
    pooled = layers.map { $0.pooled ? Tensor(zeros: [batch, $0.outChannels, $0.outputSide, $0.outputSide]) : nil }
    dPooled = layers.map { $0.pooled ? Tensor(zeros: [batch, $0.outChannels, $0.outputSide, $0.outputSide]) : nil }
    input = Tensor(zeros: [batch, 3, imageSize, imageSize])
    grid = Tensor(zeros: [batch, gridShape.locations, gridShape.features])
    mean = Tensor(zeros: [batch, gridShape.features])
    prepareExecution()
  }

  /// The input, normalised: what every share of a forward pass reads (with the Winograd filters).
  func normalise(images: Tensor) {
    prepare(batch: images.count / (3 * imageSize * imageSize))
    for i in 0..<images.count { input.pointer[i] = (images.pointer[i] - 0.5) / 0.25 }
  }

  /// The convolutions, ReLUs and pools for the images in `range`, then their rows of the grid;
  /// im2col throughout unless `winogradAllowed` (whose filters `beginForward` transformed).
  func forward(images range: Range<Int>, columns: Tensor, winograd: Tensor, winogradAllowed: Bool = true) {
    for (index, layer) in layers.enumerated() {
      let (x, out) = (output(index - 1).slice(range), convOut[index].slice(range))
      let s = layer.shape(batch: range.count)
      if winogradAllowed, let filters = execution.winogradForward[index] {
        conv2dWinogradForward(out: out, inp: x, filters: filters, bias: layer.bias.value, shape: s, workspace: winograd)
      } else {
        conv2dForward(out: out, inp: x, weight: layer.weight.value, bias: layer.bias.value, shape: s, columns: columns)
      }
      reluForward(out: out, inp: out)
      if let target = pooled[index]?.slice(range) {
        maxPool2Forward(
          out: target, inp: out, planes: range.count * s.outChannels, height: layer.side, width: layer.side)
      }
    }
    finishGrid(images: range)
  }

  /// The grid and mean rows of the images in `range` from the last layer's output.
  func finishGrid(images range: Range<Int>) {
    gridForward(
      grid: grid.slice(range), mean: mean.slice(range), featureMap: output(layers.count - 1).slice(range),
      batch: range.count, channels: gridShape.features, locations: gridShape.locations)
  }

  /// Clears what the backward pass of the images in `range` adds into (each layer's output
  /// gradient, where no pool's backward writes it whole), then the grid's gradient into the
  /// last layer's output gradient.
  func beginBackward(images range: Range<Int>, dgrid: Tensor?, dmean: Tensor?) {
    for index in layers.indices { dOutput(index)!.slice(range).zero() }
    gridBackward(
      dfeatureMap: dOutput(layers.count - 1)!.slice(range), dgrid: dgrid?.slice(range), dmean: dmean?.slice(range),
      batch: range.count, channels: gridShape.features, locations: gridShape.locations)
  }

  /// Backward through the layers, last first, for the images in `range`, accumulating the
  /// weight and bias gradients into `gradients` (weight, bias per layer, as `parameters`); as
  /// the forward pass ran, Winograd where allowed.
  func backward(
    images range: Range<Int>, gradients: [Tensor], columns: Tensor, dcolumns: Tensor, winograd: Tensor, sums: Tensor,
    winogradAllowed: Bool = true
  ) {
    for (index, layer) in layers.enumerated().reversed() {
      let (out, dout) = (convOut[index].slice(range), dConvOut[index].slice(range))
      let s = layer.shape(batch: range.count)
      if let dPooled = dPooled[index]?.slice(range) {
        maxPool2ReLUBackward(
          dinp: dout, dout: dPooled, inp: out, planes: range.count * s.outChannels, height: layer.side,
          width: layer.side)
      } else {
        reluMask(gradient: dout, out: out)
      }
      let (inp, dinp) = (output(index - 1).slice(range), dOutput(index - 1)?.slice(range))
      let (dweight, dbias) = (gradients[2 * index], gradients[2 * index + 1])
      if winogradAllowed, let adjoint = execution.winogradAdjoint[index] {
        conv2dWinogradBackward(
          dinp: dinp, dweight: dweight, dbias: dbias, dout: dout, inp: inp,
          adjointFilters: adjoint, shape: s, workspace: winograd, sums: sums)
      } else {
        conv2dBackward(
          dinp: dinp, dweight: dweight, dbias: dbias, dout: dout, inp: inp, weight: layer.weight.value,
          shape: s, columns: columns, dcolumns: dcolumns)
      }
    }
  }
}
