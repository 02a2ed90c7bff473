import GlimpseCore
import GlimpseLayers
@testable import GlimpseModels
import GlimpseTensor
import GlimpseTestSupport
import XCTest

final class DecodingTests: XCTestCase {
  let vocabulary = 15

  func decoders() -> [(String, CaptionDecoder)] {
    var random = SeededGenerator(seed: 31)
    let list = DecoderKind.allCases.map { ($0.rawValue, $0.make(vocabularySize: vocabulary, sizes: .glimpseSmall)) }
    for (_, decoder) in list {
      decoder.initialize(random: &random)
      // Confident, varied predictions, so that searches have real choices to make.
      for p in decoder.parameters where p.name.hasPrefix("decoder.out") {
        for i in 0..<p.value.count { p.value.pointer[i] = random.nextSymmetric(p.name.hasSuffix("bias") ? 1 : 0.5) }
      }
    }
    return list
  }

  func image(_ random: inout SeededGenerator, rows: Int = 1) -> (Tensor, Tensor) {
    (randomTensor([rows, 64, 512], &random), randomTensor([rows, 512], &random))
  }

  /// Step-by-step decoding computes exactly what teacher forcing computes: for one row and
  /// a beam's few (every decoder splits those steps' products between two threads)
  /// and for a batch.
  func testStepwiseLogitsEqualTeacherForcing() {
    var random = SeededGenerator(seed: 4)
    for rows in [1, 3, 6] {
      let (grid, mean) = image(&random, rows: rows)
      let inputs = (0..<(rows * 4)).map { _ in Int32(1 + random.next() % UInt64(vocabulary - 1)) }  // [B, S = 4]
      for (name, decoder) in decoders() {
        let forced = decoder.forward(grid: grid, mean: mean, inputs: inputs, batch: rows, steps: 4).copy()
        decoder.beginDecoding(grid: grid, mean: mean)
        for t in 0..<4 {
          let logits = decoder.decodeStep(tokens: (0..<rows).map { inputs[$0 * 4 + t] })
          for b in 0..<rows {
            for k in 0..<vocabulary {
              XCTAssertEqual(
                logits.pointer[b * vocabulary + k], forced.pointer[(b * 4 + t) * vocabulary + k], accuracy: 1e-5,
                "\(name), \(rows) rows, step \(t)")
            }
          }
        }
      }
    }
  }

  /// With a large vocabulary (V·H ≥ 2²⁰, here V = 16,384 at H = 64) a step for one row or a
  /// beam's few computes the logits on both cores; they equal teacher forcing's.
  func testLargeVocabularyStepsEqualTeacherForcing() {
    var random = SeededGenerator(seed: 6)
    for kind in [DecoderKind.attention, .lstm] {
      let decoder = kind.make(vocabularySize: largeVocabulary, sizes: largeVocabularySizes)
      decoder.initialize(random: &random)
      for p in decoder.parameters where p.name == "decoder.out.bias" {
        for i in 0..<p.value.count { p.value.pointer[i] = random.nextSymmetric(1) }
      }
      checkFewRowStepsEqualTeacherForcing(decoder, kind.rawValue, &random)
    }
  }

  /// With fixed weights that float16 holds (a shipped model's), the attention decoder's steps
  /// for one row and for three read float16 copies of W_hh, W_ih's context columns and W_out
  /// (V·H large enough for the output layer's split) and still equal teacher forcing; one
  /// weight float16 does not hold keeps every step on the float32 weights.
  func testAttentionStepsOnFloat16CopiesEqualTeacherForcing() throws {
    var random = SeededGenerator(seed: 8)
    let decoder = try XCTUnwrap(
      DecoderKind.attention.make(vocabularySize: largeVocabulary, sizes: largeVocabularySizes) as? AttentionDecoder)
    decoder.initialize(random: &random)
    for p in decoder.parameters {
      for i in 0..<p.value.count { p.value.pointer[i] = Float(Float16(p.value.pointer[i] + random.nextSymmetric(0.1))) }
    }
    decoder.weightsFixed = true
    XCTAssertNotNil(decoder.halfWeights)
    checkFewRowStepsEqualTeacherForcing(decoder, "float16 copies", &random)
    decoder.weightsFixed = false
    decoder.core.out.value.pointer[7] = 0.1  // float16 rounds 0.1
    decoder.weightsFixed = true
    XCTAssertNil(decoder.halfWeights)
  }

  let largeVocabulary = 16_384
  var largeVocabularySizes: ModelSizes {
    var sizes = ModelSizes.tiny
    sizes.hidden = 64
    return sizes
  }

  /// Two steps for one row and for three, each against teacher forcing on the same tokens.
  func checkFewRowStepsEqualTeacherForcing(_ decoder: CaptionDecoder, _ name: String, _ random: inout SeededGenerator) {
    let (sizes, words) = (decoder.sizes, decoder.vocabularySize)
    for rows in [1, 3] {
      let grid = randomTensor([rows, sizes.grid.locations, sizes.grid.features], &random)
      let mean = randomTensor([rows, sizes.grid.features], &random)
      let inputs = (0..<(rows * 2)).map { _ in Int32(1 + random.next() % UInt64(words - 1)) }  // [B, S = 2]
      let forced = decoder.forward(grid: grid, mean: mean, inputs: inputs, batch: rows, steps: 2).copy()
      decoder.beginDecoding(grid: grid, mean: mean)
      for t in 0..<2 {
        let logits = decoder.decodeStep(tokens: (0..<rows).map { inputs[$0 * 2 + t] })
        var worst: Float = 0
        for b in 0..<rows {
          for k in 0..<words {
            worst = max(worst, abs(logits.pointer[b * words + k] - forced.pointer[(b * 2 + t) * words + k]))
          }
        }
        XCTAssertLessThan(worst, 1e-5, "\(name), \(rows) rows, step \(t)")
      }
    }
  }

  /// Decoding caches each token's input projection; a new decoding run after the weights
  /// change (as validation does between training epochs) must use the new weights.
  func testDecodingRunAfterAWeightChangeUsesTheNewWeights() {
    var random = SeededGenerator(seed: 5)
    let (grid, mean) = image(&random)
    for (name, decoder) in decoders() {
      decoder.beginDecoding(grid: grid, mean: mean)
      _ = decoder.decodeStep(tokens: [3])
      for p in decoder.parameters
      where p.name == "decoder.embed.weight" || p.name.hasSuffix("bias_ih") || p.name == "decoder.wxh.bias" {
        for i in 0..<p.value.count { p.value.pointer[i] += random.nextSymmetric(0.5) }
      }
      let forced = decoder.forward(grid: grid, mean: mean, inputs: [3], batch: 1, steps: 1).copy()
      decoder.beginDecoding(grid: grid, mean: mean)
      let logits = decoder.decodeStep(tokens: [3])
      for k in 0..<vocabulary {
        XCTAssertEqual(logits.pointer[k], forced.pointer[k], accuracy: 1e-5, "\(name) logit \(k)")
      }
    }
  }

  /// With `weightsFixed` the projections a run computed serve the next runs: a second run's
  /// steps, over tokens met before and new ones, equal teacher forcing; and the kept rows are
  /// really kept (after a change to the embedding, which the contract forbids, a met token
  /// still gives the first run's logits).
  func testFixedWeightsKeepTokenProjectionsAcrossRuns() {
    var random = SeededGenerator(seed: 7)
    let (grid, mean) = image(&random, rows: 2)
    let inputs: [Int32] = [3, 5, 7, 3, 9, 5]  // [B = 2, S = 3]
    for (name, decoder) in decoders() {
      decoder.weightsFixed = true
      decoder.beginDecoding(grid: grid.slice(0..<1), mean: mean.slice(0..<1))
      let first = decoder.decodeStep(tokens: [3]).copy()
      let forced = decoder.forward(grid: grid, mean: mean, inputs: inputs, batch: 2, steps: 3).copy()
      decoder.beginDecoding(grid: grid, mean: mean)
      for t in 0..<3 {
        let logits = decoder.decodeStep(tokens: [inputs[t], inputs[3 + t]])
        for k in 0..<(2 * vocabulary) {
          let (b, word) = (k / vocabulary, k % vocabulary)
          XCTAssertEqual(
            logits.pointer[k], forced.pointer[(b * 3 + t) * vocabulary + word], accuracy: 1e-5, "\(name) step \(t)")
        }
      }
      let embed = decoder.parameters.first { $0.name == "decoder.embed.weight" }!
      for i in 0..<embed.value.count { embed.value.pointer[i] += 1 }
      decoder.beginDecoding(grid: grid.slice(0..<1), mean: mean.slice(0..<1))
      let kept = decoder.decodeStep(tokens: [3])
      for k in 0..<vocabulary { XCTAssertEqual(kept.pointer[k], first.pointer[k], "\(name) logit \(k)") }
    }
  }

  /// A replica reads the same weight tensors: changing the original changes what it computes.
  /// Greedy decoding shared out between a decoder and its replica gives the captions the
  /// decoder alone gives.
  func testReplicasShareWeightsAndSharedOutGreedyEqualsOneDecoder() {
    var random = SeededGenerator(seed: 6)
    let (grid, mean) = image(&random, rows: 11)
    for (name, decoder) in decoders() {
      let replica = decoder.replica(ownGradients: false)
      XCTAssertEqual(replica.parameters.map(\.name), decoder.parameters.map(\.name))
      for (mine, theirs) in zip(decoder.parameters, replica.parameters) {
        XCTAssertEqual(mine.value.pointer, theirs.value.pointer, "\(name): \(mine.name) is shared")
      }
      let alone = greedyDecode(decoder, grid: grid, mean: mean)
      let shared = greedyDecode([decoder, replica], grid: grid, mean: mean)
      XCTAssertEqual(shared.map(\.tokens), alone.map(\.tokens), name)
      XCTAssertEqual(shared.map(\.finished), alone.map(\.finished), name)
      for (a, b) in zip(shared, alone) { XCTAssertEqual(a.logProbability, b.logProbability, accuracy: 1e-4, name) }
    }
  }

  func testGreedyEqualsBeamSearchWithOneBeam() {
    var random = SeededGenerator(seed: 8)
    var longest = 0
    for (name, decoder) in decoders() {
      for _ in 0..<4 {
        let (grid, mean) = image(&random)
        let greedy = greedyDecode(decoder, grid: grid, mean: mean)[0]
        let beam = beamSearch(decoder, grid: grid, mean: mean, beams: 1)
        XCTAssertEqual(greedy.tokens, beam.tokens, name)
        XCTAssertEqual(greedy.finished, beam.finished, name)
        longest = max(longest, greedy.tokens.count)
        for (a, b) in zip(greedy.logProbabilities, beam.logProbabilities) { XCTAssertEqual(a, b, accuracy: 1e-5, name) }
      }
    }
    XCTAssertGreaterThan(longest, 2, "the captions compared are more than a word or two")
  }

  /// When `<end>` never wins, the searches return the best unfinished caption, full length.
  func testUnfinishedCaptionsAreReturned() {
    var random = SeededGenerator(seed: 9)
    let (grid, mean) = image(&random)
    for (name, decoder) in decoders() {
      let endBias = decoder.parameters.first { $0.name == "decoder.out.bias" }!
      endBias.value.pointer[Int(SpecialToken.end)] = -1e4
      let greedy = greedyDecode(decoder, grid: grid, mean: mean)[0]
      XCTAssertFalse(greedy.finished, name)
      XCTAssertEqual(greedy.tokens.count, 14, name)
      let beam = beamSearch(decoder, grid: grid, mean: mean, beams: 3)
      XCTAssertFalse(beam.finished, name)
      XCTAssertEqual(beam.tokens.count, 14, name)
      XCTAssertFalse(
        beam.tokens.contains { $0 == SpecialToken.pad || $0 == SpecialToken.start || $0 == SpecialToken.end }, name)
    }
  }

  func testBeamSearchFindsAFinishedCaptionAtLeastAsGoodAsGreedy() {
    var random = SeededGenerator(seed: 10)
    var compared = 0
    for (name, decoder) in decoders() {
      // A likelier <end>, so that captions finish, at varied lengths.
      decoder.parameters.first { $0.name == "decoder.out.bias" }!.value.pointer[Int(SpecialToken.end)] += 1.5
      for _ in 0..<6 {
        let (grid, mean) = image(&random)
        let greedy = greedyDecode(decoder, grid: grid, mean: mean)[0]
        let beam = beamSearch(decoder, grid: grid, mean: mean, beams: 4)
        if greedy.finished && beam.finished {
          // Not guaranteed in general with length normalisation, but a sound search over a
          // 15-word vocabulary with 4 beams finds at least greedy's hypothesis.
          XCTAssertGreaterThanOrEqual(beam.normalisedScore, greedy.normalisedScore - 1e-5, name)
          compared += 1
        }
      }
    }
    XCTAssertGreaterThan(compared, 8, "enough finished captions were compared")
  }

  /// Reordering rows moves each row's whole state: decode two images, swap, step again, and
  /// the logits are those of decoding the images in swapped order.
  func testReorderRowsMovesTheState() {
    var random = SeededGenerator(seed: 12)
    let (grid, mean) = image(&random, rows: 2)
    let swappedGrid = Tensor(zeros: grid.shape), swappedMean = Tensor(zeros: mean.shape)
    swappedGrid.slice(0).assign(grid.slice(1)); swappedGrid.slice(1).assign(grid.slice(0))
    swappedMean.slice(0).assign(mean.slice(1)); swappedMean.slice(1).assign(mean.slice(0))
    for (name, decoder) in decoders() {
      decoder.beginDecoding(grid: swappedGrid, mean: swappedMean)
      _ = decoder.decodeStep(tokens: [1, 1])
      let expected = decoder.decodeStep(tokens: [6, 8]).copy()
      decoder.beginDecoding(grid: grid, mean: mean)
      _ = decoder.decodeStep(tokens: [1, 1])
      decoder.reorderRows([1, 0])
      let reordered = decoder.decodeStep(tokens: [6, 8])
      for i in 0..<expected.count { XCTAssertEqual(reordered.pointer[i], expected.pointer[i], accuracy: 1e-5, name) }
    }
  }

  func testSamplingIsSeededAndColdSamplingIsGreedy() {
    var random = SeededGenerator(seed: 13)
    let (grid, mean) = image(&random)
    for (name, decoder) in decoders() {
      var first = SeededGenerator(seed: 1), second = SeededGenerator(seed: 1)
      let a = sampleDecode(decoder, grid: grid, mean: mean, temperature: 1, random: &first)
      let b = sampleDecode(decoder, grid: grid, mean: mean, temperature: 1, random: &second)
      XCTAssertEqual(a, b, name)
      var cold = SeededGenerator(seed: 2)
      let frozen = sampleDecode(decoder, grid: grid, mean: mean, temperature: 1e-3, random: &cold)
      XCTAssertEqual(frozen.tokens, greedyDecode(decoder, grid: grid, mean: mean)[0].tokens, name)
    }
  }
}
