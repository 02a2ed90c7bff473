import GlimpseCore
import GlimpseLayers
import GlimpseTensor
import GlimpseTestSupport
import XCTest

final class EmbeddingTests: XCTestCase {
  var random = SeededGenerator(seed: 2024)

  func testEmbeddingPadRowGetsNoGradient() {
    let table = randomTensor([6, 3], &random)
    let ids: [Int32] = [1, 0, 4, 4, 0, 2]
    let out = Tensor(zeros: [6, 3]), dtable = Tensor(zeros: table.shape)
    let r = randomTensor(out.shape, &random)
    embeddingForward(out: out, ids: ids, table: table)
    embeddingBackward(dtable: dtable, dout: r, ids: ids)
    XCTAssertEqual(Array(dtable.values[0..<3]), [0, 0, 0], "<pad> row")
    XCTAssertEqual(dtable.pointer[4 * 3], r.pointer[2 * 3] + r.pointer[3 * 3], accuracy: 1e-6, "a repeated id sums")
    // Away from the pad row the gradient is exact: check rows 1 to 5 numerically.
    let rows = table.slice(1..<6), drows = dtable.slice(1..<6)
    checkGradients("embedding", [("table", rows, drows)]) {
      embeddingForward(out: out, ids: ids, table: table)
      return projection(out, r)
    }
  }
}
