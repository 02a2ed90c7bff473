import CDNNL
import GlimpseLayers
import GlimpseTensor

#if canImport(Glibc)
import Glibc
#endif

/// Which kernels run EfficientNet-Lite0's forward pass.
public enum PhotoEncoderKernels: Sendable {
  /// oneDNN, in the blocked layouts it picks for this CPU, every convolution fused with its bias,
  /// ReLU6 and residual: measured 4.6× faster than our depthwise kernel on Lite0's layers.
  case oneDNN
  /// Our own: OpenBLAS for the 1×1 layers, our depthwise kernel (`EfficientNetExecution.swift`).
  case own

  /// oneDNN where it loads, else our own (`GLIMPSE_PHOTO_KERNELS=own` chooses ours).
  public static let preferred: PhotoEncoderKernels = {
    if let chosen = getenv("GLIMPSE_PHOTO_KERNELS"), String(cString: chosen) == "own" { return .own }
    return oneDNNLoadProblem == nil ? .oneDNN : .own
  }()
}

/// Why oneDNN cannot be used here, or nil: for either encoder's oneDNN path.
public let oneDNNLoadProblem: String? = {
  var message = [CChar](repeating: 0, count: Int(GLIMPSE_DNNL_MESSAGE_LENGTH))
  if glimpse_dnnl_available(&message) != 0 { return nil }
  return OneDNNError(message: message).description
}()

/// Why a oneDNN network could not be made or run.
public struct OneDNNError: Error, CustomStringConvertible, Sendable {
  public var description: String

  init(description: String) { self.description = description }

  /// The shim's message, up to its terminating zero.
  init(message: [CChar]) {
    description = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}

/// An encoder as one oneDNN network per batch size (`glimpse_dnnl_create`), writing the grid
/// [B, L, D] directly; made from the encoder's convolutions the first time a batch size runs.
final class DNNLNetworks {
  private var networks: [Int: OpaquePointer] = [:]
  private var normalised = Tensor(zeros: [0])

  deinit { for network in networks.values { glimpse_dnnl_destroy(network) } }

  /// The batch sizes a network has been made for.
  var batchSizes: Set<Int> { Set(networks.keys) }

  /// input [n, channels, side, side] → grid, through the network for n images, made from
  /// `chain()` if there is none yet.
  func run(
    input: UnsafePointer<Float>, images n: Int, channels: Int, side: Int, grid: UnsafeMutablePointer<Float>,
    chain: () -> [glimpse_dnnl_conv]
  ) throws {
    var message = [CChar](repeating: 0, count: Int(GLIMPSE_DNNL_MESSAGE_LENGTH))
    if networks[n] == nil {
      let convs = chain()
      guard
        let made = convs.withUnsafeBufferPointer({
          glimpse_dnnl_create(Int32(n), Int32(channels), Int32(side), $0.baseAddress, Int32($0.count), &message)
        })
      else { throw OneDNNError(message: message) }
      networks[n] = made
    }
    guard glimpse_dnnl_run(networks[n]!, input, grid, &message) == 0 else { throw OneDNNError(message: message) }
  }

  /// The convolutions of `encoder` as the shim describes them; their weights are read while a
  /// network is made, their biases on every run (the folded tensors outlive the networks).
  static func chain(_ encoder: EfficientNetLite0) -> [glimpse_dnnl_conv] {
    var convs = [glimpse_dnnl_conv]()
    func add(
      _ folded: FoldedConvolution, _ input: Int, _ output: Int, kernel: Int, stride: Int, groups: Int, side: Int,
      residual: Int = -1, relu6: Bool
    ) {
      let inChannels = groups > 1 ? output : folded.weight.size(1) / (kernel * kernel)
      let padding = SamePadding(input: side, kernel: kernel, stride: stride)
      let total = max((padding.output - 1) * stride + kernel - side, 0)
      convs.append(
        glimpse_dnnl_conv(
          in_channels: Int32(inChannels), out_channels: Int32(output), kernel: Int32(kernel), stride: Int32(stride),
          groups: Int32(groups), pad_before: Int32(padding.before), pad_after: Int32(total - padding.before),
          input: Int32(input), residual: Int32(residual), relu6: relu6 ? 1 : 0, relu: 0, pool: 0,
          weights: UnsafePointer(folded.weight.pointer), bias: UnsafePointer(folded.bias.pointer), direct: 0))
    }
    var next = 0
    add(
      encoder.folded[next], -1, EfficientNetLite0.stemChannels, kernel: 3, stride: 2, groups: 1,
      side: EfficientNetLite0.imageSize, relu6: true)
    next += 1
    var blockInput = 0
    for (block, shape) in zip(EfficientNetLite0.blocks, encoder.depthwiseShapes) {
      if block.expands {
        add(
          encoder.folded[next], convs.count - 1, block.expanded, kernel: 1, stride: 1, groups: 1, side: shape.height,
          relu6: true)
        next += 1
      }
      add(
        encoder.folded[next], convs.count - 1, block.expanded, kernel: block.kernel, stride: block.stride,
        groups: block.expanded, side: shape.height, relu6: true)
      add(
        encoder.folded[next + 1], convs.count - 1, block.output, kernel: 1, stride: 1, groups: 1,
        side: shape.outHeight, residual: block.hasResidual ? blockInput : -1, relu6: false)
      next += 2
      blockInput = convs.count - 1
    }
    add(
      encoder.folded[next], convs.count - 1, EfficientNetLite0.features, kernel: 1, stride: 1, groups: 1,
      side: EfficientNetLite0.gridSide, relu6: true)
    return convs
  }

  /// Lite0's images [n, 3, 224, 224] in [0, 1] → grid [n, 49, 1280]: the stem, each block's
  /// expansion, depthwise and projection (the projection adding its block's input in place), the
  /// head writing the grid.
  func forward(_ encoder: EfficientNetLite0, images: Tensor, grid: UnsafeMutablePointer<Float>) throws {
    if normalised.count < images.count { normalised = Tensor(zeros: [images.count]) }
    for i in 0..<images.count { normalised.pointer[i] = images.pointer[i] * 2 - 1 }
    try run(
      input: normalised.pointer, images: images.size(0), channels: 3, side: EfficientNetLite0.imageSize, grid: grid
    ) { Self.chain(encoder) }
  }

  /// Forgets every network: the weights they hold are the old ones.
  func reset() {
    for network in networks.values { glimpse_dnnl_destroy(network) }
    networks = [:]
  }
}

extension EfficientNetLite0 {
  /// Images per oneDNN run: larger batches gained little, and the activations of a batch of 8
  /// already take some 150 MB.
  static let oneDNNChunk = 8

  /// The forward pass through oneDNN, in chunks; false (and `kernels` set to `.own`, with the
  /// reason in `oneDNNFailure`) if oneDNN could not run it.
  func forwardWithOneDNN(_ images: Tensor) -> Bool {
    let b = images.size(0)
    prepareExecution(batch: b)
    let (l, d) = (gridShape.locations, Self.features)
    do {
      for start in stride(from: 0, to: b, by: Self.oneDNNChunk) {
        let rows = start..<min(start + Self.oneDNNChunk, b)
        try dnnl.forward(self, images: images.slice(rows), grid: grid.pointer + start * l * d)
      }
    } catch {
      oneDNNFailure = "\(error)"
      kernels = .own
      return false
    }
    gridMean(grid.pointer, into: mean.pointer, rows: b, locations: l, features: d)
    return true
  }
}
