import GlimpseCore
import GlimpseModels
import GlimpseTensor
import XCTest

/// One question, or three, run as a few-row decoding step does (OpenBLAS on one thread, the
/// question's LSTM steps and the head's products split between the cores); each gives the
/// logits its row gives in a batch of five, which runs the plain way.
final class FewQuestionsTests: XCTestCase {
  func testFewQuestionsGiveTheirLogitsInABatch() {
    var random = SeededGenerator(seed: 12)
    let (batch, steps, words, answers) = (5, 6, 30, 9)
    let heads: [(String, VQAHead)] = [
      ("vqa-concat", VQAConcat(questionVocabularySize: words, answerCount: answers)),
      ("vqa-san", VQASAN(questionVocabularySize: words, answerCount: answers)),
    ]
    let grid = Tensor(shape: [batch, 64, 512], values: (0..<(batch * 64 * 512)).map { _ in random.nextSymmetric(1) })
    let mean = Tensor(shape: [batch, 512], values: (0..<(batch * 512)).map { _ in random.nextSymmetric(1) })
    // Questions of 2 to 6 tokens, padded with <pad> = 0 at the end.
    let questions: [Int32] = (0..<batch).flatMap { b in
      (0..<steps).map { t in t < 2 + b ? Int32(4 + random.next() % UInt64(words - 4)) : 0 }
    }
    for (name, head) in heads {
      head.initialize(random: &random)
      let all = head.forward(grid: grid, mean: mean, questions: questions, batch: batch, steps: steps).copy()
      // The logits of freshly initialised heads are small (about 1e-4 for vqa-concat): relative to
      // the largest. Leaving out one chunk of a question step's product moves them by 1e-4 of it.
      let scale = all.values.map(abs).max()!
      for rows in [0..<1, 3..<4, 1..<4] {
        let logits = head.forward(
          grid: rowsOf(grid, rows), mean: rowsOf(mean, rows),
          questions: Array(questions[(rows.lowerBound * steps)..<(rows.upperBound * steps)]), batch: rows.count,
          steps: steps)
        for (row, b) in rows.enumerated() {
          for a in 0..<answers {
            XCTAssertEqual(
              logits.pointer[row * answers + a], all.pointer[b * answers + a], accuracy: 2e-5 * scale,
              "\(name), questions \(rows), answer \(a)")
          }
        }
      }
    }
  }

  /// The rows `rows` of t, as a tensor of their own.
  func rowsOf(_ t: Tensor, _ rows: Range<Int>) -> Tensor {
    let width = t.count / t.size(0)
    let values = t.values[(rows.lowerBound * width)..<(rows.upperBound * width)]
    return Tensor(shape: [rows.count] + t.shape.dropFirst(), values: Array(values))
  }
}
