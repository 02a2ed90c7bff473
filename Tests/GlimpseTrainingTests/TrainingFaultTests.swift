import Foundation
import GlimpseIO
import GlimpseModels
import GlimpseTensor
import XCTest

@testable import GlimpseTraining

/// A least-squares fit of w to the examples' targets, whose loss can be made to go bad at a
/// chosen step: small enough to run many steps in a test, real enough to train.
final class ToyTask: TrainingTask {
  let weight = Parameter("w", [4])
  var badAt: Int?
  var poison: Float = .nan
  var steps = 0
  var parameters: [Parameter] { [weight] }
  var exampleCount: Int { 16 }

  init(badAt: Int? = nil) { self.badAt = badAt }

  func computeGradients(indices: [Int]) throws -> TrainingLoss {
    steps += 1
    var loss: Float = 0
    weight.gradient.pointer.update(repeating: 0, count: 4)
    for index in indices {
      for k in 0..<4 {
        let error = weight.value.pointer[k] - Float(index * (k + 1)) / 16
        loss += error * error / Float(indices.count)
        weight.gradient.pointer[k] += 2 * error / Float(indices.count)
      }
    }
    if steps == badAt { return TrainingLoss(total: poison) }
    return TrainingLoss(total: loss)
  }

  func prefetch(indices: [Int]) {}
  func validate() throws -> Validation? { nil }
  func saveModel(folder: String) throws {
    try writeSafeTensors(path: folder + "/model.safetensors", [("w", weight.value)])
  }
}

final class TrainingFaultTests: XCTestCase {
  var folder = ""

  override func setUpWithError() throws {
    folder = NSTemporaryDirectory() + "glimpse-faults-\(getpid())-\(UUID().uuidString)"
  }

  override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

  func settings(resume: Bool = false) -> TrainingSettings {
    TrainingSettings(
      out: folder, epochs: 3, batch: 4, learningRate: 0.05, seed: 7, checkpointEvery: 3, resume: resume,
      identity: [("task", "toy")])
  }

  func train(_ task: ToyTask, resume: Bool = false) throws -> [Float] {
    _ = try TrainingLoop(task: task, settings: settings(resume: resume)).run(events: { _ in })
    return task.weight.value.values
  }

  /// A NaN or infinite loss stops training before the update with an error naming the step,
  /// leaves the last checkpoint as it was, and `--resume` ends where an uninterrupted run does.
  func testANonFiniteLossStopsTrainingAndResumeContinues() throws {
    let uninterrupted = try train(ToyTask())
    try FileManager.default.removeItem(atPath: folder)
    for poison in [Float.nan, .infinity] {
      let bad = ToyTask(badAt: 8)
      bad.poison = poison
      XCTAssertThrowsError(try train(bad)) {
        XCTAssertEqual(
          ($0 as? TrainingError)?.description,
          """
          the loss is \(poison) at step 8 (epoch 2); the weights were not updated and the last checkpoint in \
          \(folder) (step 6) is intact: --resume continues from it (a lower --lr may help)
          """)
      }
      let state = try readSafeTensors(path: folder + "/" + TrainingLoop.stateFile)
      XCTAssertEqual(state.tensor("history.loss")?.count, 6, "the checkpoint of step 6 is the one on disk")
      XCTAssertTrue(state.tensor("w")!.values.allSatisfy(\.isFinite))
      XCTAssertEqual(try train(ToyTask(), resume: true), uninterrupted)
      try FileManager.default.removeItem(atPath: folder)
    }
  }
}
