import GlimpseCore
import CAllocationCounter
import GlimpseLayers
@testable import GlimpseModels
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
  override func setUpWithError() throws {
    guard glimpse_allocations_counted() != 0 else {
      throw XCTSkip("allocations are not counted under a sanitizer (scripts/sanitize), which owns malloc")
    }
  }

  func allocations(_ decoder: CaptionDecoder, steps: Int, batch: Int = 4, sizes: ModelSizes = .glimpseSmall) -> Int {
    var random = SeededGenerator(seed: 5)
    let (l, d) = (sizes.grid.locations, sizes.grid.features)
    let grid = randomTensor([batch, l, d], &random), mean = randomTensor([batch, d], &random)
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

  func check(_ make: () -> CaptionDecoder, _ name: String, sizes: ModelSizes = .glimpseSmall) {
    let short = allocations(make(), steps: 6, sizes: sizes)
    let long = allocations(make(), steps: 12, sizes: sizes)
    print("allocations per forward+backward, \(name): \(short) at 6 steps, \(long) at 12 steps")
    XCTAssertEqual(short, long, "\(name) allocates inside its per-step loop")
    XCTAssertGreaterThan(short, 0, "the counter sees allocations (it is really interposed)")
  }

  func testRNNDecoder() { check({ RNNDecoder(vocabularySize: 20) }, "rnn") }
  func testLSTMDecoder() { check({ LSTMDecoder(vocabularySize: 20) }, "lstm") }
  func testGRUDecoder() { check({ GRUDecoder(vocabularySize: 20) }, "gru") }
  func testAttentionDecoder() { check({ AttentionDecoder(vocabularySize: 20) }, "attention") }

  /// The photo configuration: D = 1,280, L = 49, V = 10,000.
  func testPhotoAttentionDecoder() {
    check({ AttentionDecoder(vocabularySize: 10_000, sizes: .photo) }, "attention (photo)", sizes: .photo)
  }

  /// Greedy decoding steps of a batch at V = 10,000: no more allocations for 12 steps than for 6.
  func testPhotoDecodingSteps() {
    var random = SeededGenerator(seed: 6)
    let sizes = ModelSizes.photo
    for rows in [8] {
      let decoder = AttentionDecoder(vocabularySize: 10_000, sizes: sizes)
      decoder.initialize(random: &random)
      let grid = randomTensor([rows, sizes.grid.locations, sizes.grid.features], &random)
      let mean = randomTensor([rows, sizes.grid.features], &random)
      let tokens = (0..<12).map { step in [Int32](repeating: Int32(4 + step), count: rows) }
      func run(_ steps: Int) -> Int {
        decoder.beginDecoding(grid: grid, mean: mean)
        _ = decoder.decodeStep(tokens: tokens[0])
        glimpse_allocations_start()
        for step in 0..<steps { _ = decoder.decodeStep(tokens: tokens[step]) }
        return glimpse_allocations_stop()
      }
      let threads = blasThreads
      blasThreads = 1
      fewRowBlocks = false
      defer { blasThreads = threads; fewRowBlocks = true }
      let (short, long) = (run(6), run(12))
      print("allocations in greedy steps at V = 10,000, \(rows) rows: \(short) in 6 steps, \(long) in 12")
      XCTAssertLessThanOrEqual(long, short, "decoding \(rows) rows allocates in its per-step loop")
    }
  }

  /// One image's steps, whose products are split between the cores, allocate nothing per step,
  /// on float32 weights and on float16 copies (weights float16 holds, fixed): as many allocations
  /// for 12 steps as for 6. The copies are made once, when the weights are fixed.
  func testFloat16StepsAllocateNoMoreThanFloat32Steps() throws {
    var random = SeededGenerator(seed: 7)
    let sizes = ModelSizes.photo
    let grid = randomTensor([1, sizes.grid.locations, sizes.grid.features], &random)
    let mean = randomTensor([1, sizes.grid.features], &random)
    let tokens = (0..<12).map { [Int32(4 + $0)] }
    var counts = [Int]()
    for rounded in [false, true] {
      let decoder = AttentionDecoder(vocabularySize: 10_000, sizes: sizes)
      decoder.initialize(random: &random)
      if rounded {
        for p in decoder.parameters {
          for i in 0..<p.value.count { p.value.pointer[i] = Float(Float16(p.value.pointer[i])) }
        }
      }
      decoder.weightsFixed = true
      XCTAssertEqual(decoder.halfWeights != nil, rounded)
      func run(_ steps: Int) -> Int {
        decoder.beginDecoding(grid: grid, mean: mean)
        glimpse_allocations_start()
        for step in tokens.prefix(steps) { _ = decoder.decodeStep(tokens: step) }
        return glimpse_allocations_stop()
      }
      _ = run(12)  // meets every token once
      let (short, long) = (run(6), run(12))
      print("allocations in one-image steps at V = 10,000, float16 copies \(rounded): \(short) in 6, \(long) in 12")
      XCTAssertEqual(short, long, "a one-image step allocates (float16 copies: \(rounded))")
      counts.append(long)
    }
    XCTAssertLessThanOrEqual(counts[1], counts[0])
  }
}
