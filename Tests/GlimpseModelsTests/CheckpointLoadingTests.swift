import GlimpseCore
import GlimpseModels
import GlimpseTensor
import GlimpseTestSupport
import XCTest

final class CheckpointLoadingTests: XCTestCase {
  func contents(_ parameters: [Parameter]) -> SafeTensorsContents {
    SafeTensorsContents(tensors: parameters.named, metadata: [], dtypes: [:])
  }

  func testStrictLoadingNamesTheKey() {
    let decoder = LSTMDecoder(vocabularySize: 10)
    var random = SeededGenerator(seed: 1)
    decoder.initialize(random: &random)
    let source = LSTMDecoder(vocabularySize: 10)
    source.initialize(random: &random)
    XCTAssertNoThrow(try decoder.parameters.load(contents(source.parameters)))
    XCTAssertEqual(decoder.parameters[0].value.values, source.parameters[0].value.values)

    var missing = contents(source.parameters)
    missing.tensors.removeAll { $0.name == "decoder.lstm.bias_hh" }
    XCTAssertThrowsError(try decoder.parameters.load(missing)) {
      XCTAssertEqual("\($0)", "missing tensor 'decoder.lstm.bias_hh'")
    }
    var extra = contents(source.parameters)
    extra.tensors.append(("decoder.att_w.weight", Tensor(zeros: [1, 256])))
    XCTAssertThrowsError(try decoder.parameters.load(extra)) {
      XCTAssertEqual("\($0)", "unexpected tensor 'decoder.att_w.weight'")
    }
    let wrongVocabulary = LSTMDecoder(vocabularySize: 11)
    XCTAssertThrowsError(try wrongVocabulary.parameters.load(contents(source.parameters))) {
      XCTAssertEqual("\($0)", "tensor 'decoder.embed.weight' has shape [10, 256], expected [11, 256]")
    }
  }

  func testNamesAndShapesFollowTheSpec() {
    let attention = AttentionDecoder(vocabularySize: 64)
    let shapes = Dictionary(uniqueKeysWithValues: attention.parameters.map { ($0.name, $0.value.shape) })
    XCTAssertEqual(shapes["decoder.lstm.weight_ih"], [2048, 768])
    XCTAssertEqual(shapes["decoder.att_enc.weight"], [256, 512])
    XCTAssertEqual(shapes["decoder.att_w.weight"], [1, 256])
    XCTAssertEqual(shapes["decoder.beta.weight"], [512, 512])
    XCTAssertEqual(attention.parameters.count, 17)
    let rnn = RNNDecoder(vocabularySize: 64).parameters.map(\.name)
    XCTAssertEqual(
      rnn,
      [
        "decoder.embed.weight", "decoder.wxh.weight", "decoder.wxh.bias", "decoder.whh.weight",
        "decoder.wih.weight", "decoder.out.weight", "decoder.out.bias",
      ])
    XCTAssertEqual(CNNEncoder().parameters.map(\.value.shape)[8], [512, 256, 1, 1])
  }

  func testForgetGateBiasStartsAtOneInBiasIH() {
    let decoder = LSTMDecoder(vocabularySize: 10)
    var random = SeededGenerator(seed: 1)
    decoder.initialize(random: &random)
    let biasIH = decoder.parameters.first { $0.name == "decoder.lstm.bias_ih" }!.value.values
    XCTAssertEqual(Array(biasIH[0..<512]), [Float](repeating: 0, count: 512))
    XCTAssertEqual(Array(biasIH[512..<1024]), [Float](repeating: 1, count: 512))
    let biasHH = decoder.parameters.first { $0.name == "decoder.lstm.bias_hh" }!.value.values
    XCTAssertTrue(biasHH.allSatisfy { $0 == 0 })
  }
}
