import GlimpseCore
import GlimpseLayers
@testable import GlimpseModels
import GlimpseTensor
import XCTest

let modelFixtures: String = {
  var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
  parts.removeLast()
  return parts.joined(separator: "/") + "/Fixtures"
}()

/// Fills every parameter, in order of name, from one SeededGenerator: the same float32 values
/// as fill_fixture_weights in scripts/glimpse_reference.py (bounds are powers of two near
/// 1/√fan_in, so every value is exact in both languages).
func fillFixtureWeights(_ parameters: [Parameter], seed: UInt64) -> SeededGenerator {
  var random = SeededGenerator(seed: seed)
  for p in parameters.sorted(by: { $0.name < $1.name }) {
    let fanIn = p.value.shape.dropFirst().reduce(1, *)
    var bound: Float = 1
    while bound * bound * Float(fanIn) > 1 { bound /= 2 }
    for i in 0..<p.value.count { p.value.pointer[i] = random.nextSymmetric(bound) }
  }
  return random
}

/// Matches PyTorch's float64 results within 1e-4 relative, 1e-5 absolute, printing the worst
/// relative error of each tensor family.
final class PyTorchFixtureTests: XCTestCase {
  func compare(
    _ name: String, _ ours: Tensor, _ reference: Tensor, stride: Int = 1, worst: inout Double, line: UInt = #line
  ) {
    XCTAssertEqual((ours.count + stride - 1) / stride, reference.count, "\(name): element count", line: line)
    var failures = 0
    for (k, i) in Swift.stride(from: 0, to: ours.count, by: stride).enumerated() where k < reference.count {
      let (a, b) = (Double(ours.pointer[i]), Double(reference.pointer[k]))
      worst = max(worst, abs(a - b) / max(abs(b), 1e-1))
      if abs(a - b) > 1e-4 * abs(b) + 1e-5 {
        failures += 1
        if failures <= 3 { XCTFail("\(name)[\(i)]: glimpse \(a), PyTorch \(b)", line: line) }
      }
    }
  }

  /// Every parameter's gradient against the fixture's (sampled every k-th element, k from the
  /// metadata); the fixture must hold a gradient for each parameter and no other.
  func compareGradients(
    _ parameters: [Parameter], _ fixture: SafeTensorsContents, worst: inout Double, line: UInt = #line
  ) {
    let stride = Dictionary(
      uniqueKeysWithValues: fixture.metadata.compactMap { key, value in
        key.hasPrefix("stride.") ? (String(key.dropFirst(7)), Int(value) ?? 1) : nil
      })
    XCTAssertEqual(
      Set(stride.keys), Set(parameters.map(\.name)), "the fixture has a gradient for every parameter", line: line)
    for p in parameters {
      guard let reference = fixture.tensor("grad." + p.name), let step = stride[p.name] else {
        XCTFail("the fixture has no gradient for \(p.name)", line: line)
        continue
      }
      compare("grad." + p.name, p.gradient, reference, stride: step, worst: &worst, line: line)
    }
  }

  /// Both convolution paths: im2col, which batch 2 takes by default, and Winograd, which
  /// larger batches take; and one image alone, whose layers are split by rows between two
  /// threads.
  func testEncoderMatchesPyTorch() throws {
    for minimum in [8, 1] {
      let encoder = CNNEncoder()
      encoder.winogradMinimumBatch = minimum
      encoder.oneDNNTraining = false  // whatever this CPU's measurement chose
      try checkEncoder(encoder, path: minimum == 1 ? "winograd" : "im2col")
    }
    let fixture = try readSafeTensors(path: modelFixtures + "/encoder_b2.safetensors")
    let encoder = CNNEncoder()
    encoder.oneDNNTraining = false
    var random = fillFixtureWeights(encoder.parameters, seed: 1001)
    let images = Tensor(zeros: [2, 3, 64, 64])
    for i in 0..<images.count { images.pointer[i] = random.nextUnit() }
    var worst = 0.0
    for b in 0..<2 {
      encoder.forward(images: images.slice(b..<(b + 1)))
      compare(
        "grid of image \(b) alone", encoder.grid, fixture.tensor("output.grid")!.slice(b..<(b + 1)), worst: &worst)
      compare(
        "mean of image \(b) alone", encoder.mean, fixture.tensor("output.mean")!.slice(b..<(b + 1)), worst: &worst)
    }
    print("pytorch fixture encoder outputs (one image, rows on two threads): worst relative error \(worst)")
  }

  /// Weights in training run forward and backward through oneDNN (its blocked layouts, its
  /// max-pool's choices, ReLU's backward from its output), each core's share of the batch through
  /// a network of its own on that core alone: the same grid, mean and gradients as
  /// PyTorch's, the same bits on a second run, and the next forward pass reads new weights.
  func testEncoderTrainingThroughOneDNNMatchesPyTorch() throws {
    XCTAssertTrue(CNNEncoder.oneDNNPreferred, oneDNNLoadProblem ?? "GLIMPSE_SMALL_KERNELS=own")
    let encoder = CNNEncoder()
    encoder.oneDNNTraining = true  // whatever this CPU's measurement chose
    try checkEncoder(encoder, path: "oneDNN training")
    XCTAssertNil(encoder.oneDNNTrainingFailure)
    XCTAssertEqual(encoder.oneDNNShareSizes, ExecutionCores.count > 1 ? [1] : [2], "one share per core")
    let (grid, gradients) = (encoder.grid.values, encoder.parameters.map(\.gradient.values))
    for run in 0..<2 {
      try checkEncoder(encoder, path: "oneDNN training, run \(run + 2)")
      XCTAssertEqual(encoder.grid.values, grid, "the same grid on run \(run + 2)")
      XCTAssertEqual(encoder.parameters.map(\.gradient.values), gradients, "the same gradients on run \(run + 2)")
    }
    // Halved weights, as an optimiser step changes them: the next pass reads them. 32 images, so
    // that each share is large enough for oneDNN to choose its Winograd convolutions.
    for p in encoder.parameters { for i in 0..<p.value.count { p.value.pointer[i] *= 0.5 } }
    try checkAgainstOwnKernels(encoder)
    XCTAssertEqual(encoder.oneDNNShareSizes, ExecutionCores.count > 1 ? [1, 16] : [2, 32])
    // Every layer's convolutions as oneDNN chooses (Winograd for the 3×3 ones here), and every
    // layer's direct, whatever this CPU's measurement chose.
    for direct in [[], [0, 1, 2, 3]] as [Set<Int>] {
      let other = CNNEncoder()
      (other.oneDNNTraining, other.oneDNNDirectLayers) = (true, direct)
      for (mine, theirs) in zip(other.parameters, encoder.parameters) { mine.value.assign(theirs.value) }
      try checkAgainstOwnKernels(other, label: "direct layers \(direct.sorted())")
      XCTAssertNil(other.oneDNNTrainingFailure)
    }
  }

  /// 32 images forward and backward through `encoder` against our kernels with its weights.
  func checkAgainstOwnKernels(_ encoder: CNNEncoder, label: String = "measured direct layers") throws {
    let images = Tensor(zeros: [32, 3, 64, 64])
    for i in 0..<images.count { images.pointer[i] = Float(i % 97) / 97 }
    let dgrid = Tensor(shape: [32, 64, 512], values: (0..<(32 * 64 * 512)).map { Float($0 % 89) / 89 - 0.5 })
    let own = CNNEncoder()
    own.oneDNNTraining = false
    for (mine, theirs) in zip(own.parameters, encoder.parameters) { mine.value.assign(theirs.value) }
    var worst = 0.0
    for e in [encoder, own] {
      e.parameters.zeroGradients()
      e.forward(images: images)
      e.backward(dgrid: dgrid, dmean: Tensor(zeros: [32, 512]))
    }
    compare("grid after new weights", encoder.grid, own.grid, worst: &worst)
    for (mine, theirs) in zip(encoder.parameters, own.parameters) {
      compare("gradient of \(mine.name) after new weights", mine.gradient, theirs.gradient, worst: &worst)
    }
    print("oneDNN training (\(label)) against our kernels after new weights: worst relative error \(worst)")
  }

  /// Fixed weights run through oneDNN (its blocked layouts, fused ReLU, its max-pool), for a
  /// batch and for one image at a time: the same grid and mean as PyTorch's.
  func testEncoderWithFixedWeightsThroughOneDNNMatchesPyTorch() throws {
    XCTAssertTrue(CNNEncoder.oneDNNPreferred, oneDNNLoadProblem ?? "GLIMPSE_SMALL_KERNELS=own")
    let fixture = try readSafeTensors(path: modelFixtures + "/encoder_b2.safetensors")
    let encoder = CNNEncoder()
    var random = fillFixtureWeights(encoder.parameters, seed: 1001)
    encoder.weightsFixed = true
    encoder.oneDNNForward = true  // whatever this CPU's measurement chose
    let images = Tensor(zeros: [2, 3, 64, 64])
    for i in 0..<images.count { images.pointer[i] = random.nextUnit() }
    var worst = 0.0
    encoder.forward(images: images)
    XCTAssertNil(encoder.oneDNNFailure)
    compare("grid", encoder.grid, fixture.tensor("output.grid")!, worst: &worst)
    compare("mean", encoder.mean, fixture.tensor("output.mean")!, worst: &worst)
    for b in 0..<2 {
      encoder.forward(images: images.slice(b..<(b + 1)))
      compare("grid of image \(b)", encoder.grid, fixture.tensor("output.grid")!.slice(b..<(b + 1)), worst: &worst)
      compare("mean of image \(b)", encoder.mean, fixture.tensor("output.mean")!.slice(b..<(b + 1)), worst: &worst)
    }
    XCTAssertNil(encoder.oneDNNFailure)
    XCTAssertEqual(encoder.oneDNN.batchSizes, [1, 2])
    // New weights after weightsFixed is set again: the networks are made afresh from them.
    encoder.weightsFixed = false
    for p in encoder.parameters { for i in 0..<p.value.count { p.value.pointer[i] *= 0.5 } }
    encoder.forward(images: images)
    let own = encoder.grid.values
    encoder.weightsFixed = true
    encoder.forward(images: images)
    var halved = 0.0
    compare("grid after new weights", encoder.grid, Tensor(shape: encoder.grid.shape, values: own), worst: &halved)
    print("pytorch fixture encoder outputs (oneDNN, fixed weights): worst relative error \(worst)")
  }

  func checkEncoder(_ encoder: CNNEncoder, path: String) throws {
    let fixture = try readSafeTensors(path: modelFixtures + "/encoder_b2.safetensors")
    var random = fillFixtureWeights(encoder.parameters, seed: 1001)
    let images = Tensor(zeros: [2, 3, 64, 64])
    for i in 0..<images.count { images.pointer[i] = random.nextUnit() }
    let rGrid = Tensor(zeros: [2, 64, 512]), rMean = Tensor(zeros: [2, 512])
    for t in [rGrid, rMean] { for i in 0..<t.count { t.pointer[i] = random.nextSymmetric(1) } }
    encoder.forward(images: images)
    var worst = 0.0
    compare("grid", encoder.grid, fixture.tensor("output.grid")!, worst: &worst)
    compare("mean", encoder.mean, fixture.tensor("output.mean")!, worst: &worst)
    print("pytorch fixture encoder outputs (\(path)): worst relative error \(worst)")
    encoder.parameters.zeroGradients()
    encoder.backward(dgrid: rGrid, dmean: rMean)
    worst = 0
    compareGradients(encoder.parameters, fixture, worst: &worst)
    print("pytorch fixture encoder gradients (\(path)): worst relative error \(worst)")
  }

  /// A whole captioner (encoder and decoder) at `sizes`: the fixture `PREFIXdecoder_KIND`.
  func checkDecoder(_ kind: DecoderKind, sizes: ModelSizes = .glimpseSmall, prefix: String = "") throws {
    let fixture = try readSafeTensors(path: modelFixtures + "/\(prefix)decoder_\(kind.rawValue).safetensors")
    let encoder = CNNEncoder(sizes: sizes), decoder = kind.make(vocabularySize: 12, sizes: sizes)
    let parameters = encoder.parameters + decoder.parameters
    var random = fillFixtureWeights(parameters, seed: 2002)
    let images = Tensor(zeros: [2, 3, sizes.imageSize, sizes.imageSize])
    for i in 0..<images.count { images.pointer[i] = random.nextUnit() }
    let tokens: [[Int32]] = [[1, 5, 9, 6, 7, 2], [1, 8, 4, 2, 0, 0]]
    let inputs = tokens.flatMap { $0.dropLast() }, targets = tokens.flatMap { $0.dropFirst() }
    encoder.forward(images: images)
    let logits = decoder.forward(grid: encoder.grid, mean: encoder.mean, inputs: inputs, batch: 2, steps: 5)
    let probs = Tensor(zeros: logits.shape), dlogits = Tensor(zeros: logits.shape)
    let loss =
      maskedCrossEntropyForward(probs: probs, logits: logits, targets: targets, batch: 2)
      + decoder.auxiliaryLoss(targets: targets, batch: 2)
    var worst = 0.0
    compare("logits", logits, fixture.tensor("output.logits")!, worst: &worst)
    let reference = fixture.tensor("output.loss")!.pointer[0]
    XCTAssertEqual(loss, reference, accuracy: 1e-4 * abs(loss))
    print(
      "pytorch fixture \(prefix)\(kind) logits: worst relative error \(worst); loss \(loss) vs \(reference)"
    )
    parameters.zeroGradients()
    maskedCrossEntropyBackward(dlogits: dlogits, probs: probs, targets: targets, batch: 2)
    let (dgrid, dmean) = (Tensor(zeros: encoder.grid.shape), Tensor(zeros: encoder.mean.shape))
    decoder.backward(dlogits: dlogits, dgrid: dgrid, dmean: dmean)
    encoder.backward(dgrid: dgrid, dmean: dmean)
    worst = 0
    compareGradients(parameters, fixture, worst: &worst)
    print("pytorch fixture \(prefix)\(kind) gradients (encoder included): worst relative error \(worst)")
  }

  func testRNNDecoderMatchesPyTorch() throws { try checkDecoder(.rnn) }
  func testLSTMDecoderMatchesPyTorch() throws { try checkDecoder(.lstm) }
  func testAttentionDecoderMatchesPyTorch() throws { try checkDecoder(.attention) }

  /// Every decoder at the tiny sizes, every gradient element against float64 autograd.
  func testTinyCaptionersMatchPyTorch() throws {
    for kind in DecoderKind.allCases { try checkDecoder(kind, sizes: .tiny, prefix: "tiny_") }
  }
}

extension PyTorchFixtureTests {
  /// A whole VQA model (encoder and head) at `sizes`: the fixture `PREFIXvqa_KIND`.
  func checkVQA(_ kind: VQAKind, sizes: ModelSizes = .glimpseSmall, prefix: String = "") throws {
    let fixture = try readSafeTensors(path: modelFixtures + "/\(prefix)vqa_\(kind.rawValue).safetensors")
    let encoder = CNNEncoder(sizes: sizes), model = kind.make(questionVocabularySize: 10, answerCount: 6, sizes: sizes)
    let parameters = encoder.parameters + model.parameters
    var random = fillFixtureWeights(parameters, seed: 3003)
    let images = Tensor(zeros: [2, 3, sizes.imageSize, sizes.imageSize])
    for i in 0..<images.count { images.pointer[i] = random.nextUnit() }
    let questions: [Int32] = [4, 7, 5, 9, 0, 6, 5, 0, 0, 0]
    let answers: [Int32] = [3, 1]
    encoder.forward(images: images)
    let logits = model.forward(grid: encoder.grid, mean: encoder.mean, questions: questions, batch: 2, steps: 5)
    let probs = Tensor(zeros: logits.shape), dlogits = Tensor(zeros: logits.shape)
    let loss = maskedCrossEntropyForward(probs: probs, logits: logits, targets: answers, batch: 2, padID: -1)
    var worst = 0.0
    compare("logits", logits, fixture.tensor("output.logits")!, worst: &worst)
    let reference = fixture.tensor("output.loss")!.pointer[0]
    XCTAssertEqual(loss, reference, accuracy: 1e-4 * abs(loss))
    print(
      "pytorch fixture \(prefix)vqa-\(kind) logits: worst relative error \(worst); loss \(loss) vs \(reference)"
    )
    parameters.zeroGradients()
    maskedCrossEntropyBackward(dlogits: dlogits, probs: probs, targets: answers, batch: 2, padID: -1)
    let (dgrid, dmean) = (Tensor(zeros: encoder.grid.shape), Tensor(zeros: encoder.mean.shape))
    model.backward(dlogits: dlogits, dgrid: dgrid, dmean: dmean)
    encoder.backward(dgrid: dgrid, dmean: dmean)
    worst = 0
    compareGradients(parameters, fixture, worst: &worst)
    print("pytorch fixture \(prefix)vqa-\(kind) gradients (encoders included): worst relative error \(worst)")
  }

  func testVQAConcatMatchesPyTorch() throws { try checkVQA(.concat) }
  func testVQASANMatchesPyTorch() throws { try checkVQA(.san) }

  /// Both heads at the tiny sizes, every gradient element against float64 autograd.
  func testTinyAnswerersMatchPyTorch() throws {
    for kind in VQAKind.allCases { try checkVQA(kind, sizes: .tiny, prefix: "tiny_") }
  }
}
