import GlimpseLayers
import GlimpseTensor

/// One MBConv block of EfficientNet-Lite: 1×1 expansion → BN → ReLU6 (when `expanded` ≠
/// `input`), depthwise k×k at `stride` → BN → ReLU6, 1×1 projection → BN, plus the block's input
/// when the stride is 1 and the channels match. No squeeze-excitation.
public struct MBConvBlock: Equatable, Sendable {
  public let input, expanded, output, kernel, stride: Int

  public var expands: Bool { expanded != input }
  public var hasResidual: Bool { stride == 1 && input == output }
}

/// A convolution with its batch norm folded in: out = weight ⋆ x + bias, per output channel.
struct FoldedConvolution {
  let weight: Tensor  // [Cout, Cin·k·k], or [C, k·k] for a depthwise one
  let bias: Tensor  // [Cout]
}

/// EfficientNet-Lite0 (`glimpse-photo.md`), frozen, in inference mode: stem conv 3×3 stride 2
/// (3→32) → BN → ReLU6, the 16 MBConv blocks, head conv 1×1 320→1280 → BN → ReLU6, read as the
/// grid [B, 49, 1280]; the ImageNet classifier (global mean, 1280→1000) beside it. Parameters are
/// named as the PyPI package's state dict under `encoder.` and `classifier.`; batch norm is folded
/// into the convolutions by `prepare()` after loading. Convolutions use TensorFlow "same" padding.
public final class EfficientNetLite0 {
  public static let name = "efficientnet-lite0"
  public static let imageSize = 224
  public static let features = 1280  // D
  public static let gridSide = 7
  public static let classes = 1000
  static let stemChannels = 32
  static let batchNormEpsilon: Float = 1e-3

  /// The seven stages (repeats, kernel, stride, expansion, input, output) as the package's block
  /// strings give them; a stage's later blocks take its output channels at stride 1.
  public static let blocks: [MBConvBlock] = {
    let stages = [
      (1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40), (3, 3, 2, 6, 40, 80),
      (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192), (1, 3, 1, 6, 192, 320),
    ]
    return stages.flatMap { repeats, kernel, stride, expansion, input, output in
      (0..<repeats).map { r in
        let from = r == 0 ? input : output
        return MBConvBlock(
          input: from, expanded: from * expansion, output: output, kernel: kernel, stride: r == 0 ? stride : 1)
      }
    }
  }()

  public var gridShape: GridShape { GridShape(side: Self.gridSide, features: Self.features) }

  public let parameters: [Parameter]  // `encoder.…`, as the package names them
  public let classifierParameters: [Parameter]  // `classifier.weight` [1000, 1280], `classifier.bias` [1000]

  /// The convolutions in the order they run (stem; per block expansion, depthwise, projection;
  /// head), with batch norm folded in; made by `prepare()`.
  var folded: [FoldedConvolution] = []
  /// Spatial plan for 224×224 input: each block's depthwise shape.
  public let depthwiseShapes: [DepthwiseShape]
  let stemSide: Int  // 112

  var execution = EfficientNetExecutionBuffers()
  /// Which kernels `forward` uses; `.preferred` unless a test or benchmark chooses.
  public var kernels = PhotoEncoderKernels.preferred
  /// Why oneDNN failed and `kernels` became `.own`, or nil.
  public internal(set) var oneDNNFailure: String?
  let dnnl = DNNLNetworks()
  public internal(set) var grid = Tensor(zeros: [0, 49, 1280])  // [B, L, D]
  public internal(set) var mean = Tensor(zeros: [0, 1280])  // [B, D]
  public internal(set) var logits = Tensor(zeros: [0, 1000])  // [B, classes]

  public init() {
    var p = [Parameter]()
    func batchNorm(_ prefix: String, _ channels: Int) {
      for field in ["weight", "bias", "running_mean", "running_var"] {
        p.append(Parameter("encoder.\(prefix).\(field)", [channels]))
      }
    }
    p.append(Parameter("encoder._conv_stem.weight", [Self.stemChannels, 3, 3, 3]))
    batchNorm("_bn0", Self.stemChannels)
    for (i, block) in Self.blocks.enumerated() {
      let b = "_blocks.\(i)"
      if block.expands {
        p.append(Parameter("encoder.\(b)._expand_conv.weight", [block.expanded, block.input, 1, 1]))
        batchNorm("\(b)._bn0", block.expanded)
      }
      p.append(Parameter("encoder.\(b)._depthwise_conv.weight", [block.expanded, 1, block.kernel, block.kernel]))
      batchNorm("\(b)._bn1", block.expanded)
      p.append(Parameter("encoder.\(b)._project_conv.weight", [block.output, block.expanded, 1, 1]))
      batchNorm("\(b)._bn2", block.output)
    }
    p.append(Parameter("encoder._conv_head.weight", [Self.features, Self.blocks.last!.output, 1, 1]))
    batchNorm("_bn1", Self.features)
    parameters = p
    classifierParameters = [
      Parameter("classifier.weight", [Self.classes, Self.features]), Parameter("classifier.bias", [Self.classes]),
    ]
    stemSide = SamePadding(input: Self.imageSize, kernel: 3, stride: 2).output
    var side = stemSide
    depthwiseShapes = Self.blocks.map { block in
      let shape = DepthwiseShape(
        channels: block.expanded, height: side, width: side, kernel: block.kernel, stride: block.stride)
      side = shape.outHeight
      return shape
    }
    precondition(side == Self.gridSide)
  }

  /// Multiply-adds of one image's forward pass (without the classifier): about 0.385 G.
  public var forwardMultiplyAdds: Int {
    var total = stemSide * stemSide * Self.stemChannels * 27
    for (block, depthwise) in zip(Self.blocks, depthwiseShapes) {
      let inputPixels = depthwise.height * depthwise.width
      let outputPixels = depthwise.outHeight * depthwise.outWidth
      if block.expands { total += inputPixels * block.input * block.expanded }
      total += depthwise.multiplyAdds + outputPixels * block.expanded * block.output
    }
    return total + Self.gridSide * Self.gridSide * Self.blocks.last!.output * Self.features
  }

  /// Folds each batch norm (inference mode, ε = 1e-3) into the convolution before it:
  /// w′ = w·γ/√(σ² + ε), b′ = β − μ·γ/√(σ² + ε). Call after loading the parameters (the first
  /// forward pass folds them if nothing has).
  public func prepare() {
    let byName = Dictionary(uniqueKeysWithValues: parameters.map { ($0.name, $0.value) })
    func fold(_ convolution: String, _ batchNorm: String) -> FoldedConvolution {
      let w = byName["encoder.\(convolution).weight"]!
      let outChannels = w.shape[0]
      let perChannel = w.count / outChannels
      let weight = Tensor(zeros: [outChannels, perChannel]), bias = Tensor(zeros: [outChannels])
      let gamma = byName["encoder.\(batchNorm).weight"]!, beta = byName["encoder.\(batchNorm).bias"]!
      let mu = byName["encoder.\(batchNorm).running_mean"]!, variance = byName["encoder.\(batchNorm).running_var"]!
      for o in 0..<outChannels {
        let scale = gamma.pointer[o] / (variance.pointer[o] + Self.batchNormEpsilon).squareRoot()
        for j in 0..<perChannel { weight.pointer[o * perChannel + j] = w.pointer[o * perChannel + j] * scale }
        bias.pointer[o] = beta.pointer[o] - mu.pointer[o] * scale
      }
      return FoldedConvolution(weight: weight, bias: bias)
    }
    var convolutions = [fold("_conv_stem", "_bn0")]
    for (i, block) in Self.blocks.enumerated() {
      if block.expands { convolutions.append(fold("_blocks.\(i)._expand_conv", "_blocks.\(i)._bn0")) }
      convolutions.append(fold("_blocks.\(i)._depthwise_conv", "_blocks.\(i)._bn1"))
      convolutions.append(fold("_blocks.\(i)._project_conv", "_blocks.\(i)._bn2"))
    }
    convolutions.append(fold("_conv_head", "_bn1"))
    folded = convolutions
    dnnl.reset()
  }
}
