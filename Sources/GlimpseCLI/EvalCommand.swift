import ArgumentParser

struct EvalCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "eval",
    abstract: "Score a trained model on a dataset.",
    subcommands: [EvalCaptionCommand.self, EvalVQACommand.self]
  )
}
