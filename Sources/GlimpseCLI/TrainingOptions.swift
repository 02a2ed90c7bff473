import ArgumentParser
import GlimpseTraining

/// Options every training command takes.
struct TrainingOptions: ParsableArguments {
  @Option(help: "The model folder to write: the best model, metrics.json, loss.png and training-state.safetensors.")
  var out: String

  @Option(help: "Passes over the training examples.")
  var epochs = 10

  @Option(help: "Examples per step.")
  var batch = 32

  @Option(help: "Adam's learning rate.")
  var lr: Float = 1e-3

  @Option(help: "The random seed: initial weights and the order of each epoch.")
  var seed: UInt64 = 1

  @Option(help: "Write the training state every this many steps (and at each epoch's end and on Ctrl-C).")
  var checkpointEvery = 500

  @Flag(help: "Continue the run saved in --out where it stopped, with the same seed and data.")
  var resume = false

  @Flag(help: "Print a progress line per report even on a terminal (instead of one line updated in place).")
  var plainProgress = false

  func validate() throws {
    guard epochs > 0 else { throw ValidationError("--epochs must be positive") }
    guard (1...4096).contains(batch) else { throw ValidationError("--batch must be between 1 and 4096") }
    guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be a positive number") }
    guard checkpointEvery > 0 else { throw ValidationError("--checkpoint-every must be positive") }
  }
}
