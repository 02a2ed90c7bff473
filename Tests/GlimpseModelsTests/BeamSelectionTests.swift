import GlimpseCore
import XCTest

@testable import GlimpseModels

/// Beam search keeps the best extensions in a short sorted list; they must be the first of the
/// full sort by score, then row, then token, ties included, and never a special token.
final class BeamSelectionTests: XCTestCase {
  func testBestExtensionsAreTheFullSortsFirst() {
    var random = SeededGenerator(seed: 11)
    let v = 12
    for trial in 0..<200 {
      let rows = 1 + trial % 3
      // Values on a coarse grid, so that many scores tie.
      let bases = (0..<rows).map { _ in Float(Int(random.next() % 3)) * -0.5 }
      let logProbabilities = (0..<(rows * v)).map { _ in Float(Int(random.next() % 4)) * -0.5 }
      var reference = [(score: Float, row: Int, token: Int32)]()
      for row in 0..<rows {
        for token in 0..<v where isEmittable(token) {
          reference.append((bases[row] + logProbabilities[row * v + token], row, Int32(token)))
        }
      }
      reference.sort { $0.score > $1.score || ($0.score == $1.score && ($0.row, $0.token) < ($1.row, $1.token)) }
      for count in [1, 3, 5] {
        var best = [(score: Float, row: Int, token: Int32)]()
        bestExtensions(bases: bases, logProbabilities: logProbabilities, vocabulary: v, count: count, into: &best)
        XCTAssertEqual(best.map(\.row), reference.prefix(count).map(\.row), "trial \(trial), \(count)")
        XCTAssertEqual(best.map(\.token), reference.prefix(count).map(\.token), "trial \(trial), \(count)")
        XCTAssertEqual(best.map(\.score), reference.prefix(count).map(\.score), "trial \(trial), \(count)")
      }
    }
  }
}
