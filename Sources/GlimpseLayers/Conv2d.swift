import GlimpseTensor

/// The sizes of one convolution over a batch: square kernel, same stride and padding on both axes.
public struct Conv2dShape: Equatable, Sendable {
  public var batch, inChannels, height, width, outChannels, kernel, stride, padding: Int

  public init(
    batch: Int, inChannels: Int, height: Int, width: Int, outChannels: Int, kernel: Int, stride: Int = 1,
    padding: Int = 0
  ) {
    (self.batch, self.inChannels, self.height, self.width) = (batch, inChannels, height, width)
    (self.outChannels, self.kernel, self.stride, self.padding) = (outChannels, kernel, stride, padding)
  }

  public var outHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
  public var outWidth: Int { (width + 2 * padding - kernel) / stride + 1 }
  /// Rows of the unfolded input: C·K·K.
  public var patch: Int { inChannels * kernel * kernel }
  /// Elements of one image's unfolded input [C·K·K, Ho·Wo]; the workspace the layer needs.
  public var columnsCount: Int { isPointwise ? 0 : patch * outHeight * outWidth }
  /// A 1×1 kernel with stride 1 and no padding reads the image as it is: no unfolding.
  public var isPointwise: Bool { kernel == 1 && stride == 1 && padding == 0 }
}

/// Unfolds one image [C, H, W] into columns [C·K·K, Ho·Wo] (zeros where the kernel hangs over).
/// With stride 1 each output row reads a contiguous run of an input row: one block copy and
/// zeroed edges instead of a bounds check per element.
func im2col(_ image: UnsafePointer<Float>, _ columns: UnsafeMutablePointer<Float>, _ s: Conv2dShape) {
  im2col(image, columns, s, rows: 0..<s.outHeight)
}

/// The same for output rows `rows` only: columns [C·K·K, rows·Wo].
func im2col(_ image: UnsafePointer<Float>, _ columns: UnsafeMutablePointer<Float>, _ s: Conv2dShape, rows: Range<Int>) {
  let ow = s.outWidth
  let width = rows.count * ow
  for c in 0..<s.inChannels {
    for ky in 0..<s.kernel {
      for kx in 0..<s.kernel {
        let row = columns + ((c * s.kernel + ky) * s.kernel + kx) * width
        let offset = kx - s.padding  // ix = x·stride + offset
        // Output columns whose input column is inside the image: [first, last).
        let first = s.stride == 1 ? min(max(-offset, 0), ow) : 0
        let last = s.stride == 1 ? max(min(s.width - offset, ow), first) : ow
        for y in rows {
          let iy = y * s.stride - s.padding + ky
          let target = row + (y - rows.lowerBound) * ow
          if iy < 0 || iy >= s.height {
            target.update(repeating: 0, count: ow)
            continue
          }
          let source = image + (c * s.height + iy) * s.width
          if s.stride == 1 {
            target.update(repeating: 0, count: first)
            (target + first).update(from: source + first + offset, count: last - first)
            (target + last).update(repeating: 0, count: ow - last)
          } else {
            for x in 0..<ow {
              let ix = x * s.stride + offset
              target[x] = (ix >= 0 && ix < s.width) ? source[ix] : 0
            }
          }
        }
      }
    }
  }
}

/// The adjoint of im2col: adds columns [C·K·K, Ho·Wo] back into one image's gradient [C, H, W].
/// With stride 1 each output row adds a contiguous run into an input row, as im2col copies one.
func col2imAdd(_ columns: UnsafePointer<Float>, _ image: UnsafeMutablePointer<Float>, _ s: Conv2dShape) {
  guard s.stride == 1 else { return col2imAddNaive(columns, image, s) }
  let (oh, ow) = (s.outHeight, s.outWidth)
  for c in 0..<s.inChannels {
    for ky in 0..<s.kernel {
      for kx in 0..<s.kernel {
        let row = columns + ((c * s.kernel + ky) * s.kernel + kx) * oh * ow
        let offset = kx - s.padding
        let first = min(max(-offset, 0), ow)
        let last = max(min(s.width - offset, ow), first)
        for y in 0..<oh {
          let iy = y - s.padding + ky
          if iy < 0 || iy >= s.height { continue }
          let target = image + (c * s.height + iy) * s.width + offset
          let source = row + y * ow
          for x in first..<last { target[x] += source[x] }
        }
      }
    }
  }
}

/// col2imAdd element by element with a bounds check on each: the reference for the fast path,
/// and the path for strides above 1.
func col2imAddNaive(_ columns: UnsafePointer<Float>, _ image: UnsafeMutablePointer<Float>, _ s: Conv2dShape) {
  let (oh, ow) = (s.outHeight, s.outWidth)
  for c in 0..<s.inChannels {
    for ky in 0..<s.kernel {
      for kx in 0..<s.kernel {
        let row = columns + ((c * s.kernel + ky) * s.kernel + kx) * oh * ow
        for y in 0..<oh {
          let iy = y * s.stride - s.padding + ky
          if iy < 0 || iy >= s.height { continue }
          let target = image + (c * s.height + iy) * s.width
          for x in 0..<ow {
            let ix = x * s.stride - s.padding + kx
            if ix >= 0 && ix < s.width { target[ix] += row[y * ow + x] }
          }
        }
      }
    }
  }
}

/// Σ row[0..<count], eight lanes at a time.
func rowSum(_ row: UnsafePointer<Float>, count: Int) -> Float {
  var lanes = Lanes()
  var p = 0
  while p + 8 <= count {
    lanes += loadLanes(row + p)
    p += 8
  }
  var sum = lanes.sum()
  while p < count { sum += row[p]; p += 1 }
  return sum
}

/// dbias[O] += Σ dout[B, O, Ho·Wo] over the images and positions: any convolution's bias gradient.
func addBiasGradient(_ dbias: Tensor, dout: Tensor, batch: Int, channels: Int, spatial: Int) {
  for b in 0..<batch {
    let gradient = dout.pointer + b * channels * spatial
    for o in 0..<channels { dbias.pointer[o] += rowSum(gradient + o * spatial, count: spatial) }
  }
}

/// out[B, O, Ho, Wo] = conv(inp[B, C, H, W], weight[O, C, K, K]) + bias[O], as im2col + GEMM
/// per image. `columns` is a workspace of `shape.columnsCount` floats.
public func conv2dForward(out: Tensor, inp: Tensor, weight: Tensor, bias: Tensor, shape s: Conv2dShape, columns: Tensor)
{
  let spatial = s.outHeight * s.outWidth
  precondition(inp.count == s.batch * s.inChannels * s.height * s.width, "conv2d input \(inp.shape) for \(s)")
  precondition(out.count == s.batch * s.outChannels * spatial && weight.count == s.outChannels * s.patch)
  precondition(columns.count >= s.columnsCount, "conv2d workspace too small")
  for b in 0..<s.batch {
    let image = inp.pointer + b * s.inChannels * s.height * s.width
    let target = out.pointer + b * s.outChannels * spatial
    for o in 0..<s.outChannels { (target + o * spatial).update(repeating: bias.pointer[o], count: spatial) }
    let unfolded = s.isPointwise ? UnsafePointer(image) : UnsafePointer(columns.pointer)
    if !s.isPointwise { im2col(image, columns.pointer, s) }
    gemm(
      transposeA: false, transposeB: false, m: s.outChannels, n: spatial, k: s.patch,
      a: weight.pointer, lda: s.patch, b: unfolded, ldb: spatial, beta: 1, c: target, ldc: spatial)
  }
}

/// Output rows `rows` of one image's convolution followed by ReLU: out[O, rows, Wo] =
/// max(conv(inp[C, H, W]) + bias, 0), the rows' unfolded input in `columns` (at least
/// C·K·K · rows·Wo floats). Two threads that take disjoint rows of the same image, each with
/// its own workspace, write disjoint parts of `out`: one image's layer on two cores.
public func conv2dReLUForward(
  out: Tensor, inp: Tensor, weight: Tensor, bias: Tensor, shape s: Conv2dShape,
  columns: Tensor, rows: Range<Int>
) {
  let (ow, spatial) = (s.outWidth, s.outHeight * s.outWidth)
  let (first, width) = (rows.lowerBound * ow, rows.count * ow)
  precondition(s.batch == 1 && inp.count == s.inChannels * s.height * s.width, "conv2d input \(inp.shape) for \(s)")
  precondition(
    out.count == s.outChannels * spatial && weight.count == s.outChannels * s.patch && rows.upperBound <= s.outHeight)
  precondition(s.isPointwise || columns.count >= s.patch * width, "conv2d workspace too small")
  for o in 0..<s.outChannels { (out.pointer + o * spatial + first).update(repeating: bias.pointer[o], count: width) }
  if s.isPointwise {
    gemm(
      transposeA: false, transposeB: false, m: s.outChannels, n: width, k: s.patch,
      a: weight.pointer, lda: s.patch, b: inp.pointer + first, ldb: spatial, beta: 1, c: out.pointer + first,
      ldc: spatial)
  } else {
    im2col(inp.pointer, columns.pointer, s, rows: rows)
    gemm(
      transposeA: false, transposeB: false, m: s.outChannels, n: width, k: s.patch,
      a: weight.pointer, lda: s.patch, b: columns.pointer, ldb: width, beta: 1, c: out.pointer + first, ldc: spatial)
  }
  for o in 0..<s.outChannels {
    let row = out.pointer + o * spatial + first
    for i in 0..<width { row[i] = max(row[i], 0) }
  }
}

/// dweight += dout_b · columnsᵀ; dbias += Σ dout; dinp += col2im(weightᵀ · dout_b).
/// `columns` and `dcolumns` are workspaces of `shape.columnsCount` floats.
public func conv2dBackward(
  dinp: Tensor?, dweight: Tensor, dbias: Tensor, dout: Tensor, inp: Tensor, weight: Tensor,
  shape s: Conv2dShape, columns: Tensor, dcolumns: Tensor
) {
  let spatial = s.outHeight * s.outWidth
  addBiasGradient(dbias, dout: dout, batch: s.batch, channels: s.outChannels, spatial: spatial)
  for b in 0..<s.batch {
    let image = inp.pointer + b * s.inChannels * s.height * s.width
    let gradient = dout.pointer + b * s.outChannels * spatial
    let unfolded = s.isPointwise ? UnsafePointer(image) : UnsafePointer(columns.pointer)
    if !s.isPointwise { im2col(image, columns.pointer, s) }
    gemm(
      transposeA: false, transposeB: true, m: s.outChannels, n: s.patch, k: spatial,
      a: gradient, lda: spatial, b: unfolded, ldb: spatial, beta: 1, c: dweight.pointer, ldc: s.patch)
    guard let dinp else { continue }
    let dimage = dinp.pointer + b * s.inChannels * s.height * s.width
    if s.isPointwise {
      gemm(
        transposeA: true, transposeB: false, m: s.patch, n: spatial, k: s.outChannels,
        a: weight.pointer, lda: s.patch, b: gradient, ldb: spatial, beta: 1, c: dimage, ldc: spatial)
    } else {
      gemm(
        transposeA: true, transposeB: false, m: s.patch, n: spatial, k: s.outChannels,
        a: weight.pointer, lda: s.patch, b: gradient, ldb: spatial, beta: 0, c: dcolumns.pointer, ldc: spatial)
      col2imAdd(dcolumns.pointer, dimage, s)
    }
  }
}

/// The convolution in plain nested loops: the reference the tests hold the GEMM path to.
public func conv2dNaive(out: Tensor, inp: Tensor, weight: Tensor, bias: Tensor, shape s: Conv2dShape) {
  let (oh, ow) = (s.outHeight, s.outWidth)
  for b in 0..<s.batch {
    for o in 0..<s.outChannels {
      for y in 0..<oh {
        for x in 0..<ow {
          var sum = Double(bias.pointer[o])
          for c in 0..<s.inChannels {
            for ky in 0..<s.kernel {
              for kx in 0..<s.kernel {
                let iy = y * s.stride - s.padding + ky
                let ix = x * s.stride - s.padding + kx
                guard iy >= 0 && iy < s.height && ix >= 0 && ix < s.width else { continue }
                let v = inp.pointer[((b * s.inChannels + c) * s.height + iy) * s.width + ix]
                let w = weight.pointer[((o * s.inChannels + c) * s.kernel + ky) * s.kernel + kx]
                sum += Double(v) * Double(w)
              }
            }
          }
          out.pointer[((b * s.outChannels + o) * oh + y) * ow + x] = Float(sum)
        }
      }
    }
  }
}
