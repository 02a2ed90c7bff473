/// TensorFlow's "same" padding: the output is ⌈in / stride⌉ long, and the padding it needs is
/// split with the odd pixel after (bottom and right), as TensorFlow-trained networks expect.
public struct SamePadding: Equatable, Sendable {
  public let output: Int
  public let before: Int

  public init(input: Int, kernel: Int, stride: Int) {
    output = (input + stride - 1) / stride
    let total = max((output - 1) * stride + kernel - input, 0)
    before = total / 2
  }
}

/// One depthwise convolution over an image's planes: channel c of the output reads only channel c
/// of the input, through its own k×k filter, with TensorFlow "same" padding.
public struct DepthwiseShape: Equatable, Sendable {
  public let channels, height, width, kernel, stride: Int
  public let outHeight, outWidth, padTop, padLeft: Int
  /// The padded plane `depthwiseConvolutionReLU6` copies a channel into: its rows, and the width
  /// of each of its `stride` column phases (room for the last eight-wide block's reads).
  let paddedRows, phaseWidth: Int
  /// Per column phase, the columns j of the padded plane whose input column is inside the image.
  let insideColumns: [Range<Int>]
  /// Per filter tap (ky, kx), where it reads in the padded plane relative to an output row's start.
  let tapOffsets: [Int]

  public init(channels: Int, height: Int, width: Int, kernel: Int, stride: Int) {
    (self.channels, self.height, self.width, self.kernel, self.stride) = (channels, height, width, kernel, stride)
    let vertical = SamePadding(input: height, kernel: kernel, stride: stride)
    let horizontal = SamePadding(input: width, kernel: kernel, stride: stride)
    (outHeight, padTop, outWidth, padLeft) = (vertical.output, vertical.before, horizontal.output, horizontal.before)
    paddedRows = (outHeight - 1) * stride + kernel
    phaseWidth = (outWidth + 7) / 8 * 8 + (kernel - 1) / stride
    insideColumns = (0..<stride).map { [padLeft, phaseWidth] phase in
      // ix = j·stride + phase − padLeft must lie in [0, width).
      let first = min(max((padLeft - phase + stride - 1) / stride, 0), phaseWidth)
      let last = max(min((width + padLeft - phase + stride - 1) / stride, phaseWidth), first)
      return first..<last
    }
    tapOffsets = (0..<(kernel * kernel)).map { [paddedRows, phaseWidth] t in
      let (ky, kx) = (t / kernel, t % kernel)
      return (kx % stride) * paddedRows * phaseWidth + ky * phaseWidth + kx / stride
    }
  }

  /// Floats of workspace `depthwiseConvolutionReLU6` needs: the padded plane and one output row.
  public var scratchCount: Int { stride * paddedRows * phaseWidth + (outWidth + 7) / 8 * 8 + 8 * kernel * kernel }

  /// Multiply-adds for one image.
  public var multiplyAdds: Int { channels * outHeight * outWidth * kernel * kernel }
}

/// output[c] = min(max(bias[c] + Σ filter[c] ⋆ input[c], 0), 6) for the channels `channels`:
/// input [C, H, W], filters [C, k·k], bias [C], output [C, Ho, Wo]. Each channel is first copied
/// into `scratch` (`s.scratchCount` floats) with its padding as zeros and, at stride 2, its even
/// and odd columns apart: every filter tap then reads a contiguous run for eight outputs at once,
/// with no edge tests. The plane fits in L1/L2, so the copy costs one pass over the input.
public func depthwiseConvolutionReLU6(
  _ s: DepthwiseShape, input: UnsafePointer<Float>, filters: UnsafePointer<Float>, bias: UnsafePointer<Float>,
  output: UnsafeMutablePointer<Float>, channels: Range<Int>, scratch: UnsafeMutablePointer<Float>
) {
  let (taps, step, width) = (s.kernel * s.kernel, s.stride, s.phaseWidth)
  let phasePlane = s.paddedRows * width
  let rowWidth = (s.outWidth + 7) / 8 * 8
  let accumulator = scratch + step * phasePlane  // one output row, rounded up to eight
  let weights = accumulator + rowWidth  // [taps, 8]: each filter value broadcast
  s.tapOffsets.withUnsafeBufferPointer { offsets in
    for c in channels {
      copyPadded(s, plane: input + c * s.height * s.width, into: scratch)
      for t in 0..<taps { storeLanes(Lanes(repeating: filters[c * taps + t]), weights + 8 * t) }
      let b = Lanes(repeating: bias[c])
      for oy in 0..<s.outHeight {
        let top = scratch + oy * step * width
        // A row of whole eight-wide blocks is stored in place; another goes through `accumulator`.
        let row = output + (c * s.outHeight + oy) * s.outWidth
        let target = s.outWidth == rowWidth ? row : accumulator
        var block = 0
        // Four blocks at a time: four independent sums keep the FMA units busy.
        while block + 32 <= rowWidth {
          var (s0, s1, s2, s3) = (b, b, b, b)
          for t in 0..<taps {
            let (w, p) = (loadLanes(weights + 8 * t), top + offsets[t] + block)
            s0 = s0.addingProduct(w, loadLanes(p))
            s1 = s1.addingProduct(w, loadLanes(p + 8))
            s2 = s2.addingProduct(w, loadLanes(p + 16))
            s3 = s3.addingProduct(w, loadLanes(p + 24))
          }
          storeLanes(relu6(s0), target + block)
          storeLanes(relu6(s1), target + block + 8)
          storeLanes(relu6(s2), target + block + 16)
          storeLanes(relu6(s3), target + block + 24)
          block += 32
        }
        while block < rowWidth {
          var sum = b
          for t in 0..<taps { sum = sum.addingProduct(loadLanes(weights + 8 * t), loadLanes(top + offsets[t] + block)) }
          storeLanes(relu6(sum), target + block)
          block += 8
        }
        if target == accumulator { row.update(from: accumulator, count: s.outWidth) }
      }
    }
  }
}

@inline(__always) private func relu6(_ x: Lanes) -> Lanes {
  var y = x
  y.replace(with: 0, where: y .< 0)
  y.replace(with: 6, where: y .> 6)
  return y
}

/// Copies one channel [H, W] into the padded plane: zeros where the filter hangs over, and at
/// stride 2 the even columns and the odd columns as two planes.
private func copyPadded(_ s: DepthwiseShape, plane: UnsafePointer<Float>, into scratch: UnsafeMutablePointer<Float>) {
  let width = s.phaseWidth
  let phasePlane = s.paddedRows * width
  for r in 0..<s.paddedRows {
    let iy = r - s.padTop
    guard iy >= 0 && iy < s.height else {
      for phase in 0..<s.stride { (scratch + phase * phasePlane + r * width).update(repeating: 0, count: width) }
      continue
    }
    let source = plane + iy * s.width
    if s.stride == 1 {
      let target = scratch + r * width
      let inside = s.insideColumns[0]
      target.update(repeating: 0, count: inside.lowerBound)
      (target + inside.lowerBound).update(from: source + inside.lowerBound - s.padLeft, count: inside.count)
      (target + inside.upperBound).update(repeating: 0, count: width - inside.upperBound)
    } else {
      // Input column x goes to phase (x + padLeft) % 2 at (x + padLeft) / 2: a pair of columns
      // 2m, 2m + 1 splits into an even half and an odd half, each contiguous in its phase.
      let (evenPhase, oddPhase) = (s.padLeft % 2, (s.padLeft + 1) % 2)
      let even = scratch + evenPhase * phasePlane + r * width + s.padLeft / 2
      let odd = scratch + oddPhase * phasePlane + r * width + (s.padLeft + 1) / 2
      scratch.advanced(by: r * width).update(repeating: 0, count: width)
      scratch.advanced(by: phasePlane + r * width).update(repeating: 0, count: width)
      var m = 0
      while 2 * m + 16 <= s.width {
        let pairs = loadPairs(source + 2 * m)
        storeLanes(pairs.evenHalf, even + m)
        storeLanes(pairs.oddHalf, odd + m)
        m += 8
      }
      for x in (2 * m)..<s.width {
        if x % 2 == 0 { even[x / 2] = source[x] } else { odd[x / 2] = source[x] }
      }
    }
  }
}

/// The definition, one output element at a time with a bounds test per tap: the twin that
/// `depthwiseConvolutionReLU6` is tested against.
public func depthwiseConvolutionReLU6Plain(
  _ s: DepthwiseShape, input: UnsafePointer<Float>, filters: UnsafePointer<Float>, bias: UnsafePointer<Float>,
  output: UnsafeMutablePointer<Float>
) {
  for c in 0..<s.channels {
    for oy in 0..<s.outHeight {
      for ox in 0..<s.outWidth {
        var sum = bias[c]
        for ky in 0..<s.kernel {
          for kx in 0..<s.kernel {
            let iy = oy * s.stride + ky - s.padTop
            let ix = ox * s.stride + kx - s.padLeft
            guard iy >= 0, iy < s.height, ix >= 0, ix < s.width else { continue }
            sum += filters[(c * s.kernel + ky) * s.kernel + kx] * input[(c * s.height + iy) * s.width + ix]
          }
        }
        output[(c * s.outHeight + oy) * s.outWidth + ox] = min(max(sum, 0), 6)
      }
    }
  }
}
