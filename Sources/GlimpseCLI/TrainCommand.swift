import ArgumentParser

struct TrainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Train a captioning or VQA model on the CPU.",
    subcommands: [TrainCaptionCommand.self, TrainVQACommand.self]
  )
}
