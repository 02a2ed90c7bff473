import GlimpseCore
import GlimpseLayers
import GlimpseModels
import GlimpseTensor

/// The numeric kernels against the hardware: the encoder's forward and backward at batch 32 and
/// the LSTM step's recurrent GEMM, each as GFLOP/s next to raw cblas_sgemm on the same shapes,
/// and the sgemm ceiling (1024³). Names follow `glimpse bench --json`. The encoder's FLOPs are
/// im2col's count; Winograd (conv2–conv4 at batch 8 and above) does fewer, so its effective
/// GFLOP/s can pass raw sgemm's.
public func benchmarkKernels(repeats: Int = 10, batch: Int = 32) -> [Measurement] {
  var random = SeededGenerator(seed: 1)
  let encoder = CNNEncoder(sizes: benchSizes)
  encoder.initialize(random: &random)
  let images = randomImages(batch, &random)
  let forwardFlop = 2 * Double(encoder.forwardMultiplyAdds) * Double(batch)
  var results = [Measurement]()

  // The same GEMMs as the forward pass (one per image per layer), alone, on ready buffers.
  let shapes = encoder.layerProducts.map { ($0.m, $0.n, $0.k) }
  let buffers = shapes.map { (m, n, k) in (Tensor(zeros: [m * k]), Tensor(zeros: [k * n]), Tensor(zeros: [m * n])) }
  for (a, b, _) in buffers { for t in [a, b] { for i in 0..<t.count { t.pointer[i] = random.nextSymmetric(1) } } }
  let gemmFlop = Double(batch) * shapes.reduce(0.0) { $0 + 2 * Double($1.0 * $1.1 * $1.2) }
  func rawGEMMs() {
    for _ in 0..<batch {
      for ((m, n, k), (a, b, c)) in zip(shapes, buffers) {
        gemm(
          transposeA: false, transposeB: false, m: m, n: n, k: k, a: a.pointer, lda: k, b: b.pointer, ldb: n, beta: 0,
          c: c.pointer, ldc: n)
      }
    }
  }
  // Interleaved, one of each per repeat, so both see the same machine (a shared one can swing
  // by a factor of two between runs).
  var forward = [Double](), raw = [Double]()
  for round in 0..<(repeats + 2) {
    let encoderSeconds = timeRepeats(warmup: 0, repeats: 1) { encoder.forward(images: images) }[0]
    let rawSeconds = timeRepeats(warmup: 0, repeats: 1, rawGEMMs)[0]
    if round >= 2 { forward.append(encoderSeconds); raw.append(rawSeconds) }
  }
  results.append(
    Measurement(name: "encoder.forward.b\(batch)", unit: "GFLOP/s", samples: forward.map { forwardFlop / $0 / 1e9 }))
  results.append(Measurement(name: "sgemm.encoder-shapes", unit: "GFLOP/s", samples: raw.map { gemmFlop / $0 / 1e9 }))
  results.append(
    Measurement(
      name: "encoder.forward.b\(batch).share-of-sgemm", unit: "%",
      samples: zip(forward, raw).map { 100 * (forwardFlop / $0) / (gemmFlop / $1) }))
  results.append(
    Measurement(name: "encoder.forward.b\(batch).images", unit: "images/s", samples: forward.map { Double(batch) / $0 })
  )

  let grid = encoder.gridShape
  let dgrid = Tensor(zeros: [batch, grid.locations, grid.features]), dmean = Tensor(zeros: [batch, grid.features])
  for i in 0..<dgrid.count { dgrid.pointer[i] = random.nextSymmetric(1) }
  // Backward: a weight-gradient GEMM for every layer (dout · columnsᵀ) and an input-gradient
  // GEMM for all but conv1 (weightᵀ · dout), one of each per image; raw sgemm on those shapes
  // interleaved with it.
  let conv1MultiplyAdds = shapes[0].0 * shapes[0].1 * shapes[0].2
  let backwardFlop = 2 * Double(2 * encoder.forwardMultiplyAdds - conv1MultiplyAdds) * Double(batch)
  let gradientBuffers = shapes.map { (m, n, k) in
    (Tensor(zeros: [m * n]), Tensor(zeros: [k * n]), Tensor(zeros: [m * k]), Tensor(zeros: [k * n]))
  }
  func rawBackwardGEMMs() {
    for _ in 0..<batch {
      for (layer, ((m, n, k), (dout, columns, dweight, dcolumns))) in zip(shapes, gradientBuffers).enumerated() {
        gemm(
          transposeA: false, transposeB: true, m: m, n: k, k: n, a: dout.pointer, lda: n, b: columns.pointer, ldb: n,
          beta: 1, c: dweight.pointer, ldc: k)
        if layer > 0 {
          gemm(
            transposeA: true, transposeB: false, m: k, n: n, k: m, a: buffers[layer].0.pointer, lda: k, b: dout.pointer,
            ldb: n,
            beta: 0, c: dcolumns.pointer, ldc: n)
        }
      }
    }
  }
  var backward = [Double](), rawBackward = [Double]()
  for round in 0..<(repeats + 2) {
    let encoderSeconds = timeRepeats(warmup: 0, repeats: 1) { encoder.backward(dgrid: dgrid, dmean: dmean) }[0]
    let rawSeconds = timeRepeats(warmup: 0, repeats: 1, rawBackwardGEMMs)[0]
    if round >= 2 { backward.append(encoderSeconds); rawBackward.append(rawSeconds) }
  }
  results.append(
    Measurement(name: "encoder.backward.b\(batch)", unit: "GFLOP/s", samples: backward.map { backwardFlop / $0 / 1e9 }))
  results.append(
    Measurement(
      name: "sgemm.encoder-backward-shapes", unit: "GFLOP/s", samples: rawBackward.map { backwardFlop / $0 / 1e9 }))

  // The LSTM step: hPrev [B, H] · W_hhᵀ [H, 4H] plus the gate arithmetic, and the GEMM alone.
  let (h, h4) = (benchSizes.hidden, 4 * benchSizes.hidden)
  let whh = Tensor(zeros: [h4, h]), hPrev = Tensor(zeros: [batch, h]), cPrev = Tensor(zeros: [batch, h])
  for t in [whh, hPrev, cPrev] { for i in 0..<t.count { t.pointer[i] = random.nextSymmetric(0.1) } }
  let gates = Tensor(zeros: [batch, h4]), c = Tensor(zeros: [batch, h]), tanhC = Tensor(zeros: [batch, h]),
    hOut = Tensor(zeros: [batch, h])
  let inputPart = Tensor(zeros: [batch, h4])  // x_t·W_ihᵀ + biases, which each real step starts from
  for i in 0..<inputPart.count { inputPart.pointer[i] = random.nextSymmetric(1) }
  let stepFlop = 2 * Double(batch * h4 * h)
  let stepsPerRepeat = 100
  let step = timeRepeats(warmup: 2, repeats: repeats) {
    for _ in 0..<stepsPerRepeat {
      gates.assign(inputPart)
      lstmStepForward(gates: gates, c: c, tanhC: tanhC, h: hOut, cPrev: cPrev, hPrev: hPrev, whh: whh)
    }
  }
  results.append(
    Measurement(
      name: "lstm.step.b\(batch)", unit: "GFLOP/s", samples: step.map { stepFlop * Double(stepsPerRepeat) / $0 / 1e9 }))
  let stepGemm = timeRepeats(warmup: 2, repeats: repeats) {
    for _ in 0..<stepsPerRepeat {
      gates.assign(inputPart)
      gemm(
        transposeA: false, transposeB: true, m: batch, n: h4, k: h, a: hPrev.pointer, lda: h, b: whh.pointer, ldb: h,
        beta: 1, c: gates.pointer, ldc: h4)
    }
  }
  results.append(
    Measurement(
      name: "sgemm.lstm-step-shape", unit: "GFLOP/s",
      samples: stepGemm.map { stepFlop * Double(stepsPerRepeat) / $0 / 1e9 }))
  results.append(sgemmCeiling(repeats: repeats))
  return results
}

/// Raw cblas_sgemm on 1024×1024×1024 with OpenBLAS's threads: what the hardware gives.
public func sgemmCeiling(repeats: Int = 10, size n: Int = 1024) -> Measurement {
  var random = SeededGenerator(seed: 2)
  let a = Tensor(zeros: [n, n]), b = Tensor(zeros: [n, n]), c = Tensor(zeros: [n, n])
  for t in [a, b] { for i in 0..<t.count { t.pointer[i] = random.nextSymmetric(1) } }
  let seconds = timeRepeats(warmup: 2, repeats: repeats) {
    gemm(
      transposeA: false, transposeB: false, m: n, n: n, k: n, a: a.pointer, lda: n, b: b.pointer, ldb: n, beta: 0,
      c: c.pointer, ldc: n)
  }
  let flop = 2 * Double(n * n * n)
  return Measurement(name: "sgemm.ceiling", unit: "GFLOP/s", samples: seconds.map { flop / $0 / 1e9 })
}
