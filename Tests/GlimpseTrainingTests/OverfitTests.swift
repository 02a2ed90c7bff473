import GlimpseData
import GlimpseModels
import GlimpseTensor
import GlimpseTraining
import XCTest

let projectRoot: String = {
  var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
  parts.removeLast(3)
  return parts.joined(separator: "/")
}()

/// Each decoder, with the encoder, learns 8 images of the shipped sample (one caption each) to
/// near-zero loss: the whole training path (data, forward, loss, backward, clipping, Adam) works.
/// The lstm decoder, which sees the image only through its initial state, needs more steps.
final class OverfitTests: XCTestCase {
  func overfit(_ make: (Int) -> CaptionDecoder, _ name: String, steps: Int = 150) throws {
    var data = try loadCOCOCaptions(path: projectRoot + "/datasets/sample/captions.json")
    data.images = Array(data.images.prefix(8)).map { CaptionedImage(id: $0.id, path: $0.path, captions: [$0.captions[0]]) }
    let vocabulary = Vocabulary.build(from: data.images.flatMap(\.captions).map(tokenize))
    let batches = try CaptionBatches(dataset: data, vocabulary: vocabulary)
    var random = SeededGenerator(seed: 1)
    let encoder = CNNEncoder()
    encoder.initialize(random: &random)
    let decoder = make(vocabulary.count)
    decoder.initialize(random: &random)
    let trainer = CaptionTrainer(encoder: encoder, decoder: decoder)
    let first = try trainer.step(batches, indices: Array(0..<8))
    var loss = first
    for _ in 0..<steps { loss = try trainer.step(batches, indices: Array(0..<8)) }
    print("overfit \(name): cross-entropy \(first.crossEntropy) → \(loss.crossEntropy), penalty \(first.penalty) → \(loss.penalty), \(steps + 1) steps on 8 captions")
    // Cross-entropy only: the attention penalty has a floor above 0 (α cannot sum to 1 at every
    // location over a dozen words).
    XCTAssertLessThan(loss.crossEntropy, 0.02 * first.crossEntropy, "\(name) did not learn its 8 captions")
    XCTAssertLessThan(loss.crossEntropy, 0.5, "near zero: under 0.5 nats for a whole caption")
  }

  func testRNN() throws { try overfit({ RNNDecoder(vocabularySize: $0) }, "rnn") }
  func testLSTM() throws { try overfit({ LSTMDecoder(vocabularySize: $0) }, "lstm", steps: 400) }
  func testAttention() throws { try overfit({ AttentionDecoder(vocabularySize: $0) }, "attention") }
}
