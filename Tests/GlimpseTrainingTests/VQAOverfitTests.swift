import GlimpseData
import GlimpseLayers
import GlimpseModels
import GlimpseTensor
import GlimpseTraining
import XCTest

/// Each VQA model, with the encoder, learns 16 questions of the shipped sample to near-zero
/// loss, and then answers every one of them right: the whole VQA training path works.
/// vqa-concat gets 16 questions of different wording: asked the same question about the first
/// two images ("what color is the cross?": yellow, orange), it stays at 50/50 between the two
/// answers within 300 steps, seeing the images only through their mean vectors.
final class VQAOverfitTests: XCTestCase {
  func overfit(_ kind: VQAKind, steps: Int = 120, distinctQuestions: Bool = false) throws {
    var data = try QuestionSource(path: projectRoot + "/datasets/sample").dataset
    var seen = Set<String>()
    data.questions = Array(data.questions.filter { !distinctQuestions || seen.insert($0.question).inserted }.prefix(16))
    let vocabulary = Vocabulary.build(from: data.questions.map { tokenize($0.question) })
    let answers = try AnswerVocabulary.build(from: data.questions.map(\.answer), topK: 100)
    let batches = try QuestionBatches(dataset: data, vocabulary: vocabulary, answers: answers)
    var random = SeededGenerator(seed: 5)
    let model = AnsweringModel(kind: kind, vocabulary: vocabulary, answers: answers, random: &random)
    let trainer = VQATrainer(model: model)
    var adam = Adam(parameters: model.parameters.values)
    let all = Array(0..<16)
    let first = try trainer.computeGradients(batches, indices: all)
    var loss = first
    for _ in 0..<steps {
      _ = clipGradientNorm(model.parameters.gradients, maxNorm: 5)
      adam.update(parameters: model.parameters.values, gradients: model.parameters.gradients)
      loss = try trainer.computeGradients(batches, indices: all)
    }
    print("overfit vqa-\(kind.rawValue): loss \(first) → \(loss) in \(steps) steps on 16 questions")
    XCTAssertLessThan(loss, 0.05, "vqa-\(kind.rawValue) did not learn its 16 questions")
    let (scores, _) = scoreAnswers(try answerAll(batches, model: model), dataset: data, answers: answers)
    XCTAssertEqual(scores.accuracy, 1)
  }

  func testConcat() throws { try overfit(.concat, steps: 200, distinctQuestions: true) }
  func testSAN() throws { try overfit(.san) }
}
