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
  /// Per filter column kx, the output columns whose input column (ox·stride + kx − padLeft) is inside.
  let insideColumns: [Range<Int>]

  public init(channels: Int, height: Int, width: Int, kernel: Int, stride: Int) {
    (self.channels, self.height, self.width, self.kernel, self.stride) = (channels, height, width, kernel, stride)
    let vertical = SamePadding(input: height, kernel: kernel, stride: stride)
    let horizontal = SamePadding(input: width, kernel: kernel, stride: stride)
    (outHeight, padTop, outWidth, padLeft) = (vertical.output, vertical.before, horizontal.output, horizontal.before)
    insideColumns = (0..<kernel).map { [outWidth, padLeft] kx in
      let offset = kx - padLeft
      let first = min(max((-offset + stride - 1) / stride, 0), outWidth)
      return first..<max(min((width - offset + stride - 1) / stride, outWidth), first)
    }
  }

  /// Multiply-adds for one image.
  public var multiplyAdds: Int { channels * outHeight * outWidth * kernel * kernel }
}

/// output[c] = min(max(bias[c] + Σ filter[c] ⋆ input[c], 0), 6) for the channels `channels`:
/// input [C, H, W], filters [C, k·k], bias [C], output [C, Ho, Wo]. Each output row is
/// accumulated in place one filter tap at a time over the run of columns whose input is inside
/// the image, so the padding costs no test per element and stride 1 runs as plain vector adds.
public func depthwiseConvolutionReLU6(
  _ s: DepthwiseShape, input: UnsafePointer<Float>, filters: UnsafePointer<Float>, bias: UnsafePointer<Float>,
  output: UnsafeMutablePointer<Float>, channels: Range<Int>
) {
  let (k, stride) = (s.kernel, s.stride)
  s.insideColumns.withUnsafeBufferPointer { inside in
    for c in channels {
      let plane = input + c * s.height * s.width
      let filter = filters + c * k * k
      for oy in 0..<s.outHeight {
        let row = output + (c * s.outHeight + oy) * s.outWidth
        row.update(repeating: bias[c], count: s.outWidth)
        for ky in 0..<k {
          let iy = oy * stride + ky - s.padTop
          if iy < 0 || iy >= s.height { continue }
          let source = plane + iy * s.width
          for kx in 0..<k {
            let w = filter[ky * k + kx]
            let from = source + kx - s.padLeft
            if stride == 1 {
              for ox in inside[kx] { row[ox] += w * from[ox] }
            } else {
              for ox in inside[kx] { row[ox] += w * from[ox * stride] }
            }
          }
        }
        for ox in 0..<s.outWidth { row[ox] = min(max(row[ox], 0), 6) }
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
