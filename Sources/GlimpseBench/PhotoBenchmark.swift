import GlimpseCore
import GlimpseImage
import GlimpseLayers
import GlimpseModels
import GlimpseTensor
import GlimpseTraining

#if canImport(Glibc)
import Glibc
#endif

/// The photo configuration (`glimpse-photo.md`): EfficientNet-Lite0 with weights of the right
/// shapes (speed does not depend on their values, so no encoder folder is needed):
/// - `photo.encoder.forward.b1`: ms for one 224×224 image's grid;
/// - `photo.encoder.forward.b32`: images/s at batch 32, and its effective GFLOP/s;
/// - `photo.depthwise.1core`: the 16 depthwise layers of one image on one core, ms;
/// - `photo.train.attention`, `photo.train.lstm`: images/s of whole training steps of the decoder
///   on cached grids (D = 1,280, L = 49, V = 10,000, T = 22, batch 32);
/// - `photo.caption.attention.b1`: ms for the encoder and 21 greedy steps over V = 10,000,
///   `photo.caption.attention.b32`: images/s;
/// - `photo.features`: images/s of `glimpse features` on 640×480 JPEG files (decode, resize,
///   encode, write the cache).
public let photoVocabulary = 10_000
public func benchmarkPhotoEncoder(repeats: Int = 10) -> [Measurement] {
  var random = SeededGenerator(seed: 17)
  let encoder = benchPhotoEncoder(&random)
  let size = EfficientNetLite0.imageSize
  func images(_ batch: Int) -> Tensor {
    let t = Tensor(zeros: [batch, 3, size, size])
    for i in 0..<t.count { t.pointer[i] = random.nextUnit() }
    return t
  }
  let (one, batch) = (images(1), images(32))
  let single = timeRepeats(warmup: 3, repeats: 2 * repeats) { encoder.forward(images: one) }
  let many = timeRepeats(warmup: 1, repeats: max(3, repeats / 2)) { encoder.forward(images: batch) }
  let flops = Double(2 * encoder.forwardMultiplyAdds)
  return [
    Measurement(name: "photo.encoder.forward.b1", unit: "ms", samples: single.map { $0 * 1000 }),
    Measurement(name: "photo.encoder.forward.b32", unit: "images/s", samples: many.map { 32 / $0 }),
    Measurement(name: "photo.encoder.forward.b32.gflops", unit: "GFLOP/s", samples: many.map { 32 * flops / $0 / 1e9 }),
    benchmarkDepthwiseLayers(encoder, &random),
  ]
}

/// `photo.depthwise.1core`: the sum over Lite0's 16 depthwise layers of each one's median ms
/// (50 runs) for one image on one core, bias and ReLU6 included, as
/// `scripts/bench_depthwise_libraries.c` times oneDNN and XNNPACK.
func benchmarkDepthwiseLayers(_ encoder: EfficientNetLite0, _ random: inout SeededGenerator) -> Measurement {
  var total = 0.0
  for shape in encoder.depthwiseShapes {
    let input = Tensor(zeros: [shape.channels, shape.height, shape.width])
    for i in 0..<input.count { input.pointer[i] = random.nextSymmetric(1) }
    let filters = Tensor(zeros: [shape.channels, shape.kernel * shape.kernel])
    for i in 0..<filters.count { filters.pointer[i] = random.nextSymmetric(1) }
    let bias = Tensor(zeros: [shape.channels]), scratch = Tensor(zeros: [shape.scratchCount])
    let output = Tensor(zeros: [shape.channels, shape.outHeight, shape.outWidth])
    let seconds = timeRepeats(warmup: 5, repeats: 50) {
      depthwiseConvolutionReLU6(
        shape, input: input.pointer, filters: filters.pointer, bias: bias.pointer, output: output.pointer,
        channels: 0..<shape.channels, scratch: scratch.pointer)
    }
    total += Measurement(name: "", unit: "", samples: seconds).median * 1000
  }
  return Measurement(name: "photo.depthwise.1core", unit: "ms", samples: [total])
}

/// EfficientNet-Lite0 with random weights and batch-norm statistics of unit variance, folded.
func benchPhotoEncoder(_ random: inout SeededGenerator) -> EfficientNetLite0 {
  let encoder = EfficientNetLite0()
  for parameter in encoder.parameters + encoder.classifierParameters {
    let variance = parameter.name.hasSuffix("running_var")
    for i in 0..<parameter.value.count {
      parameter.value.pointer[i] = variance ? 1 : random.nextSymmetric(0.1)
    }
  }
  encoder.prepare()
  return encoder
}

/// Grids [batch, 49, 1280] and means [batch, 1280] of the photo configuration, non-negative as
/// the encoder's ReLU6 features are, in place of cached grids.
func randomPhotoGrids(_ batch: Int, _ random: inout SeededGenerator) -> (grid: Tensor, mean: Tensor) {
  let shape = ModelSizes.photo.grid
  let grid = Tensor(zeros: [batch, shape.locations, shape.features])
  for i in 0..<grid.count { grid.pointer[i] = 6 * random.nextUnit() }
  let mean = Tensor(zeros: [batch, shape.features])
  for i in 0..<mean.count { mean.pointer[i] = 3 * random.nextUnit() }
  return (grid, mean)
}

/// The decoders of the photo configuration on cached grids, and captioning photos.
public func benchmarkPhotoDecoders(repeats: Int = 10) -> [Measurement] {
  var random = SeededGenerator(seed: 18)
  let sizes = ModelSizes.photo
  let (batch, steps) = (32, sizes.maxTokens - 1)
  let (grid, mean) = randomPhotoGrids(batch, &random)
  let encoder = benchPhotoEncoder(&random)
  var results = [Measurement]()
  for kind in [DecoderKind.attention, .lstm] {
    let decoder = kind.make(vocabularySize: photoVocabulary, sizes: sizes)
    decoder.initialize(random: &random)
    let trainer = CaptionTrainer(encoder: encoder, decoder: decoder)
    let (inputs, targets) = randomCaptions(batch, steps: steps, below: photoVocabulary, &random)
    var adam = Adam(parameters: trainer.parameters.values)
    let seconds = timeRepeats(warmup: 1, repeats: max(3, repeats / 2)) {
      _ = trainer.computeGradients(grid: grid, mean: mean, inputs: inputs, targets: targets)
      _ = clipGradientNorm(trainer.parameters.gradients, maxNorm: 5)
      adam.update(parameters: trainer.parameters.values, gradients: trainer.parameters.gradients)
    }
    results.append(
      Measurement(name: "photo.train.\(kind.rawValue)", unit: "images/s", samples: seconds.map { Double(batch) / $0 }))
    if kind == .attention {
      let decoders = decodersPerCore(decoder)
      for decoder in decoders { decoder.weightsFixed = true }  // as a served model's are
      let size = EfficientNetLite0.imageSize
      let one = Tensor(zeros: [1, 3, size, size]), many = Tensor(zeros: [batch, 3, size, size])
      for i in 0..<many.count { many.pointer[i] = random.nextUnit() }
      one.assign(many.slice(0..<1))
      func caption(_ images: Tensor) {
        encoder.forward(images: images)
        greedySteps(decoders, grid: encoder.grid, mean: encoder.mean, steps: steps)
      }
      let wide = timeRepeats(warmup: 2, repeats: repeats) { caption(one) }
      results.append(Measurement(name: "photo.caption.attention.b1.f32", unit: "ms", samples: wide.map { $0 * 1000 }))
      holdAsShipped(decoders)
      let single = timeRepeats(warmup: 2, repeats: repeats) { caption(one) }
      results.append(Measurement(name: "photo.caption.attention.b1", unit: "ms", samples: single.map { $0 * 1000 }))
      let batched = timeRepeats(warmup: 1, repeats: max(3, repeats / 4)) { caption(many) }
      results.append(
        Measurement(name: "photo.caption.attention.b32", unit: "images/s", samples: batched.map { Double(batch) / $0 }))
    }
  }
  results.append(benchmarkFeatureExtraction(encoder, &random))
  return results
}

/// `glimpse features` on 64 photo-sized JPEG files (640×480, quality 90) in a temporary folder.
func benchmarkFeatureExtraction(_ encoder: EfficientNetLite0, _ random: inout SeededGenerator) -> Measurement {
  let folder = "/tmp/glimpse-bench-features-\(getpid())"
  mkdir(folder, 0o755)
  defer {
    for i in 0..<64 { unlink("\(folder)/\(i).jpg") }
    unlink(folder + "/features.glf")
    rmdir(folder)
  }
  let (width, height) = (640, 480)
  var paths = [String]()
  for i in 0..<64 {
    // Smooth gradients with noise: JPEG-compressible like a photo, different in every file.
    var pixels = [UInt8](repeating: 0, count: width * height * 3)
    let phase = Int(random.next() % 256)
    for p in 0..<(width * height) {
      let (x, y) = (p % width, p / width)
      pixels[3 * p] = UInt8(truncatingIfNeeded: x / 3 + phase)
      pixels[3 * p + 1] = UInt8(truncatingIfNeeded: y / 2 + Int(random.next() % 16))
      pixels[3 * p + 2] = UInt8(truncatingIfNeeded: (x + y) / 5)
    }
    let path = "\(folder)/\(i).jpg"
    try? writeJPEG(Image(width: width, height: height, channels: 3, pixels: pixels), to: path, quality: 90)
    paths.append(path)
  }
  let seconds = timeRepeats(warmup: 0, repeats: 3) {
    unlink(folder + "/features.glf")
    _ = try? updateFeatureCache(
      cachePath: folder + "/features.glf", paths: paths, encoder: encoder, encoderName: EfficientNetLite0.name)
  }
  return Measurement(name: "photo.features", unit: "images/s", samples: seconds.map { 64 / $0 })
}
