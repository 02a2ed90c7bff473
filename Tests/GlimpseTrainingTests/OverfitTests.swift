import GlimpseCore
import GlimpseData
import GlimpseModels
import GlimpseTensor
import GlimpseTestSupport
import GlimpseTraining
import XCTest

/// Sizes small enough to train in seconds, large enough to tell 8 scenes apart.
let overfitSizes = ModelSizes(
  imageSize: 64, encoderChannels: [16, 32, 32, 64, 128], embedding: 32, hidden: 128, attention: 32,
  maxTokens: 16, hops: 2)

/// Each decoder, with the encoder, learns 8 images of the shipped sample (one caption each) to
/// near-zero loss: the whole training path (data, forward, loss, backward, clipping, Adam) works.
/// The decoders that see the image only through their initial state (lstm, gru) need the
/// glimpse-small encoder and more steps: at the small sizes the mean of the grid tells the 8
/// scenes apart too weakly for them to learn in a few hundred steps.
final class OverfitTests: XCTestCase {
  func overfit(_ kind: DecoderKind, sizes: ModelSizes = overfitSizes, steps: Int = 150, learningRate: Float = 1e-2)
    throws
  {
    let name = kind.rawValue
    var data = try loadCOCOCaptions(path: projectRoot + "/datasets/sample/captions.json")
    data.images = Array(data.images.prefix(8)).map {
      CaptionedImage(id: $0.id, path: $0.path, captions: [$0.captions[0]])
    }
    let vocabulary = Vocabulary.build(from: data.images.flatMap(\.captions).map(tokenize))
    let batches = try CaptionBatches(dataset: data, vocabulary: vocabulary, sizes: sizes)
    var random = SeededGenerator(seed: 1)
    let encoder = CNNEncoder(sizes: sizes)
    encoder.initialize(random: &random)
    let decoder = kind.make(vocabularySize: vocabulary.count, sizes: sizes)
    decoder.initialize(random: &random)
    let trainer = CaptionTrainer(encoder: encoder, decoder: decoder, learningRate: learningRate)
    let first = try trainer.step(batches, indices: Array(0..<8))
    var loss = first
    for _ in 0..<steps { loss = try trainer.step(batches, indices: Array(0..<8)) }
    print(
      """
      overfit \(name): cross-entropy \(first.crossEntropy) → \(loss.crossEntropy), penalty \(first.penalty) → \
      \(loss.penalty), \(steps + 1) steps on 8 captions
      """
    )
    // Cross-entropy only: the attention penalty has a floor above 0 (α cannot sum to 1 at every
    // location over a dozen words).
    XCTAssertLessThan(loss.crossEntropy, 0.02 * first.crossEntropy, "\(name) did not learn its 8 captions")
    XCTAssertLessThan(loss.crossEntropy, 0.5, "near zero: under 0.5 nats for a whole caption")
  }

  func testRNN() throws { try overfit(.rnn) }
  func testLSTM() throws { try overfit(.lstm, steps: 800, learningRate: 1e-3) }
  func testGRU() throws { try overfit(.gru, steps: 400, learningRate: 2e-3) }
  func testAttention() throws { try overfit(.attention) }
}
