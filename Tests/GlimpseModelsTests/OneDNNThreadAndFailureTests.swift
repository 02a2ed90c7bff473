import Foundation
import GlimpseCore
@testable import GlimpseModels
import GlimpseTensor
import XCTest

/// oneDNN's networks run on whichever thread asks: a request's, a core's share's. oneDNN keeps its
/// own scratchpad per thread, and a primitive run on another thread than the one that made it
/// crashes, so glimpse gives each network a scratchpad of its own. Here the networks are made on a
/// thread that then ends, and run on others.
final class OneDNNThreadTests: XCTestCase {
  /// A served encoder's forward pass and a trained encoder's forward and backward passes through
  /// oneDNN; used by one thread at a time.
  final class Passes: @unchecked Sendable {
    let images = Tensor(zeros: [8, 3, 64, 64])
    let dgrid = Tensor(shape: [8, 64, 512], values: (0..<(8 * 64 * 512)).map { Float($0 % 83) / 83 - 0.5 })
    let (served, trained) = (CNNEncoder(), CNNEncoder())
    var results: [[Float]] = []

    init() {
      for i in 0..<images.count { images.pointer[i] = Float(i % 61) / 61 }
      var random = SeededGenerator(seed: 5)
      for encoder in [served, trained] { encoder.initialize(random: &random) }
      served.weightsFixed = true
      served.oneDNNForward = true
      trained.oneDNNTraining = true
    }

    func run() {
      served.forward(images: images)
      trained.parameters.zeroGradients()
      trained.forward(images: images)
      trained.backward(dgrid: dgrid, dmean: nil)
      results = [served.grid.values, trained.grid.values] + trained.parameters.map(\.gradient.values)
    }

    /// `run` on a new thread, which has ended when this returns (the semaphore orders its writes
    /// before the caller's reads).
    func runOnANewThread() {
      let done = DispatchSemaphore(value: 0)
      let thread = Thread {
        self.run()
        done.signal()
      }
      thread.start()
      done.wait()
      while !thread.isFinished { usleep(1000) }
    }
  }

  func testNetworksMadeOnAnEndedThreadRunOnOthers() throws {
    XCTAssertTrue(CNNEncoder.oneDNNPreferred, oneDNNLoadProblem ?? "GLIMPSE_SMALL_KERNELS=own")
    let passes = Passes()
    passes.runOnANewThread()
    let first = passes.results
    XCTAssertEqual(first.count, 12)
    for round in 0..<3 {
      passes.results = []
      passes.run()
      XCTAssertEqual(passes.results, first, "round \(round) on the main thread")
      passes.results = []
      passes.runOnANewThread()
      XCTAssertEqual(passes.results, first, "round \(round) on a new thread")
    }
    XCTAssertNil(passes.served.oneDNNFailure)
    XCTAssertNil(passes.trained.oneDNNTrainingFailure)
    XCTAssertEqual(passes.served.oneDNN.batchSizes, [8])
    XCTAssertFalse(passes.trained.oneDNNShareSizes.isEmpty)
  }
}

/// When oneDNN fails in training (a network that cannot be made or run), the share's pass runs on
/// glimpse's kernels, the gradients are those of glimpse's kernels, and the encoder trains on
/// them from then on, saying why.
final class OneDNNFailureTests: XCTestCase {
  func testAFailedPassFallsBackToOwnKernels() throws {
    XCTAssertTrue(CNNEncoder.oneDNNPreferred, oneDNNLoadProblem ?? "GLIMPSE_SMALL_KERNELS=own")
    let images = Tensor(zeros: [8, 3, 64, 64])
    for i in 0..<images.count { images.pointer[i] = Float(i % 53) / 53 }
    let dgrid = Tensor(shape: [8, 64, 512], values: (0..<(8 * 64 * 512)).map { Float($0 % 71) / 71 - 0.5 })
    let own = CNNEncoder()
    var random = SeededGenerator(seed: 8)
    own.initialize(random: &random)
    own.oneDNNTraining = false
    own.forward(images: images)
    own.backward(dgrid: dgrid, dmean: nil)
    for pass in [DNNLTrainers.Pass.forward, .backward] {
      let encoder = CNNEncoder()
      for (mine, theirs) in zip(encoder.parameters, own.parameters) { mine.value.assign(theirs.value) }
      encoder.oneDNNTraining = true
      encoder.forward(images: images)  // makes the networks
      encoder.backward(dgrid: dgrid, dmean: nil)
      XCTAssertNil(encoder.oneDNNTrainingFailure)
      encoder.parameters.zeroGradients()
      encoder.oneDNNTrainers[0].failNext = pass
      encoder.forward(images: images)
      encoder.backward(dgrid: dgrid, dmean: nil)
      XCTAssertEqual(
        encoder.oneDNNTrainingFailure, "oneDNN: the \(pass) pass failed (made to fail by a test)", "\(pass)")
      for (mine, theirs) in zip(encoder.parameters, own.parameters) {
        let (found, expected) = (mine.gradient.values, theirs.gradient.values)
        let scale = expected.map(abs).max() ?? 0
        XCTAssertGreaterThan(scale, 0)
        let worst = zip(found, expected).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThan(worst, 1e-4 * scale, "\(pass): \(mine.name)")
      }
      // From then on, glimpse's kernels.
      encoder.forward(images: images)
      XCTAssertTrue(encoder.oneDNNTrainers.allSatisfy { $0.lastShare == .own }, "\(pass)")
    }
  }
}
