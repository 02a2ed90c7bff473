import GlimpseCore
import GlimpseDistributed
import GlimpseModels
import GlimpseTensor
import Synchronization
@testable import GlimpseTraining
import XCTest

/// Two ranks, the other's gradients 0.75 times this one's: a sum makes v + 0.75·v, which tells a
/// gradient summed twice, or never, from one summed once. It records each sum's length, and
/// whether two threads ever called it at once.
final class TwinRanks: Communicator, @unchecked Sendable {
  let rank = 0, size = 2, callableFromAnyThread = true
  private let busy = Mutex(false)
  private(set) var sums = [Int]()
  private(set) var overlapped = false

  func sumOverRanks(_ values: UnsafeMutableBufferPointer<Float>) throws(DistributedError) {
    let entered = busy.withLock { busy in
      defer { busy = true }
      return !busy
    }
    if !entered { overlapped = true }
    for i in values.indices { values[i] += 0.75 * values[i] }
    sums.append(values.count)
    busy.withLock { $0 = false }
  }
  func broadcast(_ bytes: UnsafeMutableRawBufferPointer, from root: Int) throws(DistributedError) {}
  func gather(_ bytes: UnsafeRawBufferPointer) throws(DistributedError) -> [UInt8] { Array(bytes) }
  func finish() throws(DistributedError) {}
  func abortJob(code: Int32) -> Never { fatalError("abortJob(\(code))") }
}

/// The early exchange sums the output layer, the initial state and the LSTM over the ranks
/// during the backward pass; the step's gradients and loss are then bit for bit those of one
/// sum of everything after it, with the batch shared between cores (10 rows) or not (6 rows).
final class EarlyGradientExchangeTests: XCTestCase {
  func testEarlySumsEqualOneSumAfterTheBackwardPass() throws {
    let sizes = ModelSizes.tiny
    let (steps, vocabulary) = (sizes.maxTokens - 1, 12)
    let (images, inputs, targets) = tinyBatch(vocabulary: vocabulary, seed: 5)
    for kind in DecoderKind.allCases {
      var results = [[[Float]]]()
      for early in [false, true] {
        let trainer = tinyTrainer(kind, vocabulary: vocabulary)
        let decoder = trainer.decoder
        let twin = TwinRanks()
        let exchange = early ? trainer.exchangeEarly(over: twin) : nil
        XCTAssertEqual(exchange == nil, !early || [.rnn, .gru].contains(kind), kind.rawValue)
        let parameters = trainer.parameters
        let last = parameters.filter { !(exchange?.names.contains($0.name) ?? false) }
        let groups = decoder.earlyGradientGroups.map { $0.reduce(0) { $0 + $1.gradient.count } }
        var gradients = [[Float]]()
        for rows in [10, 6] {
          let tokens = rows * steps
          exchange?.weight = 0.5
          let loss = trainer.computeGradients(
            images: images.slice(0..<rows).copy(), inputs: Array(inputs[..<tokens]),
            targets: Array(targets[..<tokens]))
          try exchange?.wait()
          let sumsBefore = twin.sums.count
          _ = try GradientExchange(communicator: twin).sum(
            last, loss: TrainingLoss(total: loss.total), weight: 0.5, stop: false)
          if exchange != nil {
            XCTAssertEqual(Array(twin.sums[(sumsBefore - groups.count)..<sumsBefore]), groups, kind.rawValue)
          }
          gradients += parameters.map {
            Array(UnsafeBufferPointer(start: $0.gradient.pointer, count: $0.gradient.count))
          }
        }
        XCTAssertFalse(twin.overlapped, "two threads summed at once")
        results.append(gradients)
      }
      XCTAssertEqual(results[0].count, results[1].count)
      for (index, (fused, early)) in zip(results[0], results[1]).enumerated() {
        XCTAssertTrue(fused == early, "\(kind.rawValue): gradient \(index) differs")
        XCTAssertTrue(fused.contains { $0 != 0 }, "\(kind.rawValue): gradient \(index) is zero")
      }
    }
  }
}
