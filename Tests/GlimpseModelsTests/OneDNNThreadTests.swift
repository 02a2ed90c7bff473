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

    /// `run` on a new thread, which has ended when this returns.
    func runOnANewThread() {
      let thread = Thread { self.run() }
      thread.start()
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
