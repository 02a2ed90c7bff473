import GlimpseCore
import GlimpseLayers
import GlimpseTensor

/// How `EfficientNetLite0` runs on the machine's cores, apart from what it computes:
/// - a batch goes in per-core shares, each running its images through the whole network with
///   single-threaded GEMMs (images are independent: the result is the same);
/// - one image has every layer halved between this thread and `SpinningWorker.shared`: a block's
///   expansion and depthwise convolution by expanded channel (channel c of the depthwise layer
///   reads only channel c of the expansion, so the halves need no exchange), its projection by
///   output channel, the stem by output row and the head by feature.
struct EfficientNetExecutionBuffers {
  var batch = -1
  var activations: [[Tensor]] = []  // per worker: block input, block output, expanded, depthwise
  var columns: [Tensor] = []  // per worker (or per half of one image): the stem's unfolded input
  var depthwiseScratch: [Tensor] = []  // per worker (or half): one padded channel plane
  var images = Tensor(zeros: [0])  // the batch `beginForward` was given, for `forwardShare`
}

extension EfficientNetLite0 {
  public var workers: Int { ExecutionCores.count }

  func prepareExecution(batch: Int) {
    guard batch != execution.batch else { return }
    let buffers = max(workers, 2)
    if execution.activations.isEmpty {
      var largest = Self.stemChannels * stemSide * stemSide
      for (block, shape) in zip(Self.blocks, depthwiseShapes) {
        largest = max(largest, block.expanded * shape.height * shape.width)
      }
      execution.activations = (0..<buffers).map { _ in (0..<4).map { _ in Tensor(zeros: [largest]) } }
      execution.columns = (0..<buffers).map { _ in Tensor(zeros: [27 * stemSide * stemSide]) }
      let scratch = depthwiseShapes.map(\.scratchCount).max()!
      execution.depthwiseScratch = (0..<buffers).map { _ in Tensor(zeros: [scratch]) }
    }
    grid = Tensor(zeros: [batch, gridShape.locations, Self.features])
    mean = Tensor(zeros: [batch, Self.features])
    logits = Tensor(zeros: [batch, Self.classes])
    execution.batch = batch
  }

  /// images [B, 3, 224, 224] in [0, 1] → `grid` [B, 49, 1280] and `mean` [B, 1280].
  public func forward(images: Tensor) {
    precondition(images.shape.dropFirst() == [3, Self.imageSize, Self.imageSize])
    if folded.isEmpty { prepare() }
    if kernels == .oneDNN && forwardWithOneDNN(images) { return }
    let b = images.shape[0]
    prepareExecution(batch: b)
    if b == 1 && workers > 1 {
      withOneBLASThread { forwardImage(0, images: images, worker: 0, parts: 2) }
    } else {
      _ = inParallelShares(min(workers, b), rows: b) { worker, range in
        for i in range { forwardImage(i, images: images, worker: worker, parts: 1) }
      }
    }
  }

  /// `forward`, then the ImageNet classifier on the mean: `logits` [B, 1000].
  public func classify(images: Tensor) {
    forward(images: images)
    let b = images.shape[0]
    let weight = classifierParameters[0].value, bias = classifierParameters[1].value
    gemm(
      transposeA: false, transposeB: true, m: b, n: Self.classes, k: Self.features, a: mean.pointer,
      lda: Self.features, b: weight.pointer, ldb: Self.features, beta: 0, c: logits.pointer, ldc: Self.classes)
    for i in 0..<b {
      for c in 0..<Self.classes { logits.pointer[i * Self.classes + c] += bias.pointer[c] }
    }
  }

  /// Runs body(part) for each of `parts` (1 or 2) halves of a layer: the second on the worker.
  private func split(_ parts: Int, _ body: (Int) -> Void) {
    if parts == 1 { body(0) } else { SpinningWorker.shared.run(body) }
  }

  func forwardImage(_ index: Int, images: Tensor, worker: Int, parts: Int) {
    let buffers = execution.activations[worker]
    var (x, y) = (buffers[0].pointer, buffers[1].pointer)  // [C, H, W]: block input and output
    let (expanded, depthwise) = (buffers[2].pointer, buffers[3].pointer)
    let pixels = Self.imageSize * Self.imageSize
    let image = images.pointer + index * 3 * pixels
    let side = stemSide
    let stem = folded[0]
    split(parts) { part in
      let rows = contiguousShare(side, part: part, of: parts)
      let columns = execution.columns[worker + part].pointer  // [27, rows·112]
      unfoldStem(image, columns, rows: rows)
      gemm(
        transposeA: false, transposeB: false, m: Self.stemChannels, n: rows.count * side, k: 27,
        a: stem.weight.pointer, lda: 27, b: columns, ldb: rows.count * side, beta: 0, c: x + rows.lowerBound * side,
        ldc: side * side)
      let positions = (rows.lowerBound * side)..<(rows.upperBound * side)
      addBiasReLU6(
        x, channels: 0..<Self.stemChannels, pixels: side * side, positions: positions, bias: stem.bias.pointer)
    }
    var next = 1
    for (block, shape) in zip(Self.blocks, depthwiseShapes) {
      let inPixels = shape.height * shape.width, outPixels = shape.outHeight * shape.outWidth
      let expansion = block.expands ? folded[next] : nil
      if block.expands { next += 1 }
      let (filters, projection) = (folded[next], folded[next + 1])
      next += 2
      let (input, residual) = (x, block.hasResidual ? x : nil)
      split(parts) { part in
        let channels = contiguousShare(block.expanded, part: part, of: parts)
        if let expansion {
          gemm(
            transposeA: false, transposeB: false, m: channels.count, n: inPixels, k: block.input,
            a: expansion.weight.pointer + channels.lowerBound * block.input, lda: block.input, b: input,
            ldb: inPixels, beta: 0, c: expanded + channels.lowerBound * inPixels, ldc: inPixels)
          addBiasReLU6(
            expanded, channels: channels, pixels: inPixels, positions: 0..<inPixels, bias: expansion.bias.pointer)
        }
        depthwiseConvolutionReLU6(
          shape, input: block.expands ? expanded : input, filters: filters.weight.pointer,
          bias: filters.bias.pointer, output: depthwise, channels: channels,
          scratch: execution.depthwiseScratch[worker + part].pointer)
      }
      let output = y
      split(parts) { part in
        let channels = contiguousShare(block.output, part: part, of: parts)
        gemm(
          transposeA: false, transposeB: false, m: channels.count, n: outPixels, k: block.expanded,
          a: projection.weight.pointer + channels.lowerBound * block.expanded, lda: block.expanded, b: depthwise,
          ldb: outPixels, beta: 0, c: output + channels.lowerBound * outPixels, ldc: outPixels)
        addBias(output, channels: channels, pixels: outPixels, bias: projection.bias.pointer, residual: residual)
      }
      swap(&x, &y)
    }
    let head = folded[next]
    let (locations, inChannels) = (gridShape.locations, Self.blocks.last!.output)
    let gridOut = grid.pointer + index * locations * Self.features
    let meanOut = mean.pointer + index * Self.features
    let input = x
    split(parts) { part in
      let features = contiguousShare(Self.features, part: part, of: parts)
      // grid [49, features] = xᵀ [49, 320] · W[features, 320]ᵀ
      gemm(
        transposeA: true, transposeB: true, m: locations, n: features.count, k: inChannels, a: input,
        lda: locations, b: head.weight.pointer + features.lowerBound * inChannels, ldb: inChannels, beta: 0,
        c: gridOut + features.lowerBound, ldc: Self.features)
      for f in features { meanOut[f] = 0 }
      for l in 0..<locations {
        let row = gridOut + l * Self.features
        for f in features {
          row[f] = min(max(row[f] + head.bias.pointer[f], 0), 6)
          meanOut[f] += row[f]
        }
      }
      for f in features { meanOut[f] /= Float(locations) }
    }
  }

  /// The stem's input unfolded for output rows `rows`: columns [3·3·3, rows·112], each pixel as
  /// x·2 − 1, zero where the kernel hangs over (TensorFlow "same": none before, one after).
  private func unfoldStem(_ image: UnsafePointer<Float>, _ columns: UnsafeMutablePointer<Float>, rows: Range<Int>) {
    let (size, side) = (Self.imageSize, stemSide)
    let pad = SamePadding(input: size, kernel: 3, stride: 2).before
    let width = rows.count * side
    for c in 0..<3 {
      for ky in 0..<3 {
        for kx in 0..<3 {
          let row = columns + ((c * 3 + ky) * 3 + kx) * width
          for oy in rows {
            let iy = oy * 2 + ky - pad
            let target = row + (oy - rows.lowerBound) * side
            guard iy >= 0 && iy < size else {
              target.update(repeating: 0, count: side)
              continue
            }
            let source = image + (c * size + iy) * size
            for ox in 0..<side {
              let ix = ox * 2 + kx - pad
              target[ox] = ix >= 0 && ix < size ? source[ix] * 2 - 1 : 0
            }
          }
        }
      }
    }
  }
}

/// out[c, p] = min(max(out[c, p] + bias[c], 0), 6) for the channels and positions given.
private func addBiasReLU6(
  _ out: UnsafeMutablePointer<Float>, channels: Range<Int>, pixels: Int, positions: Range<Int>,
  bias: UnsafePointer<Float>
) {
  for c in channels {
    let row = out + c * pixels, b = bias[c]
    for p in positions { row[p] = min(max(row[p] + b, 0), 6) }
  }
}

/// out[c, p] += bias[c] (+ residual[c, p]) for the channels given.
private func addBias(
  _ out: UnsafeMutablePointer<Float>, channels: Range<Int>, pixels: Int, bias: UnsafePointer<Float>,
  residual: UnsafeMutablePointer<Float>?
) {
  for c in channels {
    let row = out + c * pixels, b = bias[c]
    if let residual {
      let from = residual + c * pixels
      for p in 0..<pixels { row[p] += b + from[p] }
    } else {
      for p in 0..<pixels { row[p] += b }
    }
  }
}
