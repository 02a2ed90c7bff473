import GlimpseCore
@testable import GlimpseModels
import GlimpseTensor
@testable import GlimpseTraining
import XCTest

/// A training step shares the decoder's rows out between the decoder and a replica with
/// gradients of its own: the loss and every gradient equal those of the decoder alone on the
/// whole batch (the cross-entropy and the attention penalty are still averaged over the whole
/// batch, not over a share). With 10 rows each core also runs its share through the encoder,
/// forward and backward, without waiting for the other; with 6 (too few to share out) the
/// encoder splits its batch and the decoder runs alone.
final class SharedTrainingTests: XCTestCase {
  func testSharedOutStepEqualsOneDecoder() {
    let sizes = ModelSizes.tiny
    let (steps, vocabulary) = (sizes.maxTokens - 1, 12)
    let (images, inputs, targets) = tinyBatch(vocabulary: vocabulary, seed: 9)
    for kind in DecoderKind.allCases {
      let name = kind.rawValue
      for smaller in [false, true] {
        var results = [(CaptionLoss, [[Float]])]()
        for shared in [true, false] {
          let trainer = tinyTrainer(kind, vocabulary: vocabulary)
          let (encoder, decoder) = (trainer.encoder, trainer.decoder)
          XCTAssertEqual(trainer.decoders.count, encoder.workers, name)
          if !shared { trainer.decoders = [decoder] }
          (decoder as? AttentionDecoder)?.penaltyWeight = 0.5  // after the replica was made: it reads the original's
          var loss = trainer.computeGradients(images: images, inputs: inputs, targets: targets)
          if smaller {
            // Too few rows to share out: the replica's gradients from the step before must not count.
            let rows = 6 * steps
            loss = trainer.computeGradients(
              images: images.slice(0..<6).copy(), inputs: Array(inputs[..<rows]), targets: Array(targets[..<rows]))
          }
          results.append(
            (
              loss,
              trainer.parameters.map {
                Array(UnsafeBufferPointer(start: $0.gradient.pointer, count: $0.gradient.count))
              }
            ))
        }
        let ((sharedLoss, sharedGradients), (aloneLoss, aloneGradients)) = (results[0], results[1])
        XCTAssertEqual(sharedLoss.crossEntropy, aloneLoss.crossEntropy, accuracy: 1e-5 * aloneLoss.crossEntropy, name)
        XCTAssertEqual(sharedLoss.penalty, aloneLoss.penalty, accuracy: 1e-5 * max(aloneLoss.penalty, 1), name)
        if name == "attention" { XCTAssertGreaterThan(aloneLoss.penalty, 0) }
        for (index, (found, expected)) in zip(sharedGradients, aloneGradients).enumerated() {
          let scale = expected.map(abs).max() ?? 0
          XCTAssertGreaterThan(scale, 0, "\(name) parameter \(index) has a gradient")
          for i in found.indices {
            XCTAssertEqual(found[i], expected[i], accuracy: 1e-4 * scale, "\(name) parameter \(index) at \(i)")
          }
        }
      }
    }
  }

  /// The encoder trained through oneDNN (each core's share through a network of its own, at sizes
  /// other than glimpse-small's: channels that fill no vector, a 2×2 grid) gives the loss and
  /// gradients of our kernels.
  func testTrainingThroughOneDNNEqualsOwnKernels() throws {
    let vocabulary = 12
    let (images, inputs, targets) = tinyBatch(vocabulary: vocabulary, seed: 9)
    for kind in [DecoderKind.lstm, .attention] {
      let trainers = [false, true].map { tinyTrainer(kind, vocabulary: vocabulary, oneDNN: $0) }
      let losses = trainers.map { $0.computeGradients(images: images, inputs: inputs, targets: targets) }
      let encoder = try XCTUnwrap(trainers[1].encoder as? CNNEncoder)
      XCTAssertNil(encoder.oneDNNTrainingFailure)
      XCTAssertEqual(encoder.oneDNNShareSizes, ExecutionCores.count > 1 ? [5] : [10])
      XCTAssertEqual(losses[1].total, losses[0].total, accuracy: 1e-5 * losses[0].total, kind.rawValue)
      for (ours, theirs) in zip(trainers[0].parameters, trainers[1].parameters) {
        let (expected, found) = (ours.gradient.values, theirs.gradient.values)
        let scale = expected.map(abs).max() ?? 0
        XCTAssertGreaterThan(scale, 0, "\(kind) \(ours.name) has a gradient")
        for i in found.indices where abs(found[i] - expected[i]) > 1e-4 * scale {
          XCTFail("\(kind) \(ours.name)[\(i)]: oneDNN \(found[i]), ours \(expected[i])")
          break
        }
      }
    }
  }

  /// A decoder whose weights were fixed (a loaded model that has captioned an image) can then be
  /// trained: the trainer unfixes them, so that decoding after a step (validation) uses the new
  /// weights, not projections or float16 copies of the old ones.
  func testTrainingUnfixesTheWeights() {
    let decoder = DecoderKind.attention.make(vocabularySize: 12, sizes: .tiny)
    decoder.weightsFixed = true
    let trainer = CaptionTrainer(encoder: makeImageEncoder(sizes: .tiny), decoder: decoder)
    XCTAssertFalse(trainer.decoder.weightsFixed)
  }
}

/// A trainer of the tiny sizes' cnn-small and a decoder of `kind`, their weights from seed 3; the
/// encoder on our kernels (shared out between the cores) unless `oneDNN`.
func tinyTrainer(_ kind: DecoderKind, vocabulary: Int, oneDNN: Bool = false) -> CaptionTrainer {
  var weights = SeededGenerator(seed: 3)
  let encoder = CNNEncoder(sizes: .tiny), decoder = kind.make(vocabularySize: vocabulary, sizes: .tiny)
  encoder.oneDNNTraining = oneDNN
  encoder.initialize(random: &weights)
  decoder.initialize(random: &weights)
  return CaptionTrainer(encoder: encoder, decoder: decoder)
}

/// Ten images of the tiny sizes and their captions (input and target tokens [10, T − 1]) of 2 to
/// T − 1 real tokens, then `<pad>`.
func tinyBatch(vocabulary: Int, seed: UInt64) -> (images: Tensor, inputs: [Int32], targets: [Int32]) {
  let sizes = ModelSizes.tiny
  let steps = sizes.maxTokens - 1
  var random = SeededGenerator(seed: seed)
  let images = Tensor(zeros: [10, 3, sizes.imageSize, sizes.imageSize])
  for i in 0..<images.count { images.pointer[i] = random.nextUnit() }
  var inputs = [Int32](), targets = [Int32]()
  for row in 0..<10 {
    let length = 2 + row % (steps - 1)
    let tokens = (0...steps).map { $0 <= length ? Int32(1 + random.next() % UInt64(vocabulary - 1)) : 0 }
    inputs += tokens.dropLast()
    targets += tokens.dropFirst()
  }
  return (images, inputs, targets)
}
