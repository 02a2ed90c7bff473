import GlimpseImage
import GlimpseInference
import GlimpseTestSupport
import XCTest

/// The batch paths `glimpse serve` runs give each image what the one-image paths give it.
final class BatchInferenceTests: XCTestCase {
  let images = (1...4).map { projectRoot + "/datasets/sample/images/test_00000\($0).png" }

  func testMixedCaptionBatchMatchesOneImageAtATime() throws {
    let model = try CaptionModel.load(folder: projectRoot + "/models/caption-attention")
    let captioner = try BatchCaptioner(model: model)
    let options = [
      CaptionRequestOptions(beam: 1), CaptionRequestOptions(beam: 3), CaptionRequestOptions(beam: 1, attention: true),
      CaptionRequestOptions(beam: 2),
    ]
    let inputs = try images.map { try decodeImage(path: $0).image.modelInput(size: model.encoder.imageSize) }
    let batch = captioner.caption(inputs: inputs, options: options)
    for (k, path) in images.enumerated() {
      let one = try captionImage(path: path, model: model, decoding: .beam(options[k].beam))
      XCTAssertEqual(batch[k].words, one.words, path)
      XCTAssertEqual(batch[k].wordLogProbabilities.count, one.wordLogProbabilities.count)
      for (a, b) in zip(batch[k].wordLogProbabilities, one.wordLogProbabilities) {
        XCTAssertEqual(a, b, accuracy: 1e-4)
      }
      XCTAssertEqual(batch[k].endLogProbability == nil, one.endLogProbability == nil)
      XCTAssertEqual(batch[k].attention == nil, !options[k].attention)
    }
    let attended = try attendImage(path: images[2], model: model, modelFolder: "caption-attention")
    let maps = try XCTUnwrap(batch[2].attention)
    XCTAssertEqual(maps.count, attended.maps.count)
    for (a, b) in zip(maps.joined(), attended.maps.joined()) { XCTAssertEqual(a, b, accuracy: 1e-5) }
  }

  func testQuestionBatchMatchesOneAtATime() throws {
    let model = try AnsweringModel.load(folder: projectRoot + "/models/vqa-san")
    let answerer = try BatchAnswerer(model: model)
    let questions = ["what colour is the square?", "how many shapes are there", "what is left of the circle?", "shape"]
    var requests = [QuestionRequest]()
    for (path, question) in zip(images, questions) {
      let (ids, unknown) = try encodeAnswerableQuestion(question, vocabulary: model.vocabulary)
      let input = try decodeImage(path: path).image.modelInput(size: model.encoder.imageSize)
      requests.append(QuestionRequest(input: input, question: question, ids: ids, unknown: unknown))
    }
    let batch = answerer.answer(requests, top: 3)
    for (k, path) in images.enumerated() {
      let one = try ImageQuestions(path: path, model: model).ask(questions[k], top: 3)
      XCTAssertEqual(batch[k].top.map(\.answer), one.top.map(\.answer), questions[k])
      for (a, b) in zip(batch[k].top, one.top) { XCTAssertEqual(a.probability, b.probability, accuracy: 1e-5) }
      XCTAssertEqual(batch[k].unknownWords, one.unknownWords)
      XCTAssertEqual(batch[k].hopMaps.count, one.hopMaps.count)
      for (a, b) in zip(batch[k].hopMaps.joined(), one.hopMaps.joined()) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }
  }
}
