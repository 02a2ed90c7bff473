import GlimpseCore
import GlimpseData
import GlimpseLayers
import GlimpseInference
import GlimpseModels
import GlimpseTensor
import GlimpseTraining
import GlimpseTestSupport
import XCTest

/// Each VQA model, with the encoder, learns 16 questions of the shipped sample to near-zero
/// loss, and then answers every one of them right: the whole VQA training path works.
/// vqa-concat gets 16 questions of different wording: asked the same question about the first
/// two images ("what color is the cross?": yellow, orange), it stays at 50/50 between the two
/// answers within 300 steps, seeing the images only through their mean vectors.
final class VQAOverfitTests: XCTestCase {
  @discardableResult
  func overfit(_ kind: VQAKind, steps: Int = 120, distinctQuestions: Bool = false, supervision: Float = 0) throws -> (
    VQASAN?, [[Int]]
  ) {
    var data = try QuestionSource(path: projectRoot + "/datasets/sample").dataset
    var seen = Set<String>()
    data.questions = Array(data.questions.filter { !distinctQuestions || seen.insert($0.question).inserted }.prefix(16))
    let vocabulary = Vocabulary.build(from: data.questions.map { tokenize($0.question) })
    let answers = try AnswerVocabulary.build(from: data.questions.map(\.answer), topK: 100)
    let scenes = try loadScenes(path: projectRoot + "/datasets/sample/scenes.json")
    let cells = questionObjectCells(data, scenes: scenes, gridSide: overfitSizes.grid.side)
    let batches = try QuestionBatches(
      dataset: data, vocabulary: vocabulary, answers: answers, imageSize: overfitSizes.imageSize,
      attentionCells: cells)
    var random = SeededGenerator(seed: 5)
    let model = AnsweringModel(
      kind: kind, sizes: overfitSizes, vocabulary: vocabulary, answers: answers, random: &random)
    let trainer = VQATrainer(model: model)
    trainer.supervisionWeight = supervision
    var adam = Adam(parameters: model.parameters.values, learningRate: 1e-2)
    let all = Array(0..<16)
    // The cross-entropy part: with supervision, the total also holds the hops' term.
    func crossEntropy(_ loss: TrainingLoss) -> Float { loss.parts.first { $0.name == "ce" }?.value ?? loss.total }
    let first = crossEntropy(try trainer.computeGradients(batches, indices: all))
    var loss = first
    for _ in 0..<steps {
      _ = clipGradientNorm(model.parameters.gradients, maxNorm: 5)
      adam.update(parameters: model.parameters.values, gradients: model.parameters.gradients)
      loss = crossEntropy(try trainer.computeGradients(batches, indices: all))
    }
    print("overfit vqa-\(kind.rawValue): loss \(first) → \(loss) in \(steps) steps on 16 questions")
    XCTAssertLessThan(loss, 0.05, "vqa-\(kind.rawValue) did not learn its 16 questions")
    let (scores, _) = scoreAnswers(try answerAll(batches, model: model), dataset: data, answers: answers)
    XCTAssertEqual(scores.accuracy, 1)
    return (model.head as? VQASAN, cells)
  }

  func testConcat() throws { try overfit(.concat, steps: 200, distinctQuestions: true) }
  func testSAN() throws { try overfit(.san) }

  /// With attention supervision (λ = 1) the loss is cross-entropy plus both hops' supervision,
  /// and after training each hop puts most of its weight on the asked-about object's cells.
  func testSANWithAttentionSupervision() throws {
    let (model, cells) = try overfit(.san, steps: 150, supervision: 1)
    let supervised = cells.indices.filter { !cells[$0].isEmpty }
    XCTAssertGreaterThanOrEqual(supervised.count, 6, "the sample's first 16 questions name objects")
    let weights = try XCTUnwrap(model).hopWeights  // of the last forward: the last 16-question chunk of answerAll
    for (hop, p) in weights.enumerated() {
      let masses = supervised.map { row in
        cells[row].map { p.pointer[row * overfitSizes.grid.locations + $0] }.reduce(0, +)
      }
      print("hop \(hop + 1) mass on the object: \(masses)")
      for (row, mass) in zip(supervised, masses) { XCTAssertGreaterThan(mass, 0.5, "hop \(hop + 1), question \(row)") }
    }
  }
}
