import GlimpseCore
import CAllocationCounter
import GlimpseLayers
import GlimpseModels
@testable import GlimpseTensor
import GlimpseTestSupport
import XCTest

/// The decoders allocate nothing per time step: once their buffers exist for a shape, a whole
/// forward + backward makes as many heap allocations for 12 steps as for 6 (a few per call,
/// none per step). Counted by interposing malloc and friends (Tests/CAllocationCounter), with
/// OpenBLAS on one thread: its threaded driver mallocs a small job descriptor in every GEMM
/// call (measured: 13 allocations in 10 calls), which is the library's, not ours; and without
/// the few-row blocks, whose direct kernel for X·W mallocs a buffer on each call with beta ≠ 0.
final class AllocationTests: XCTestCase {
  func allocations(_ decoder: CaptionDecoder, steps: Int, batch: Int = 4) -> Int {
    var random = SeededGenerator(seed: 5)
    let grid = randomTensor([batch, 64, 512], &random), mean = randomTensor([batch, 512], &random)
    let inputs = (0..<(batch * steps)).map { Int32(1 + $0 % 9) }
    let (dgrid, dmean) = (Tensor(zeros: grid.shape), Tensor(zeros: mean.shape))
    let dlogits = randomTensor([batch, steps, decoder.vocabularySize], &random)
    func pass() {
      _ = decoder.forward(grid: grid, mean: mean, inputs: inputs, batch: batch, steps: steps)
      _ = decoder.auxiliaryLoss(targets: inputs, batch: batch)
      decoder.backward(dlogits: dlogits, dgrid: dgrid, dmean: dmean)
    }
    pass()  // allocates the buffers for this shape
    let threads = blasThreads
    blasThreads = 1
    fewRowBlocks = false
    defer { blasThreads = threads; fewRowBlocks = true }
    glimpse_allocations_start()
    pass()
    return glimpse_allocations_stop()
  }

  func check(_ make: () -> CaptionDecoder, _ name: String) {
    let short = allocations(make(), steps: 6)
    let long = allocations(make(), steps: 12)
    print("allocations per forward+backward, \(name): \(short) at 6 steps, \(long) at 12 steps")
    XCTAssertEqual(short, long, "\(name) allocates inside its per-step loop")
    XCTAssertGreaterThan(short, 0, "the counter sees allocations (it is really interposed)")
  }

  func testRNNDecoder() { check({ RNNDecoder(vocabularySize: 20) }, "rnn") }
  func testLSTMDecoder() { check({ LSTMDecoder(vocabularySize: 20) }, "lstm") }
  func testGRUDecoder() { check({ GRUDecoder(vocabularySize: 20) }, "gru") }
  func testAttentionDecoder() { check({ AttentionDecoder(vocabularySize: 20) }, "attention") }
}
