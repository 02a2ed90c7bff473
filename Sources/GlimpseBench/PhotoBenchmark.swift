import GlimpseCore
import GlimpseModels
import GlimpseTensor

/// The photo configuration (`glimpse-photo.md`): EfficientNet-Lite0 with weights of the right
/// shapes (speed does not depend on their values, so no encoder folder is needed):
/// - `photo.encoder.forward.b1`: ms for one 224×224 image's grid;
/// - `photo.encoder.forward.b32`: images/s at batch 32, and its effective GFLOP/s.
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
  ]
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
