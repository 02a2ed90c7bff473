import ArgumentParser

struct DataCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "data",
    abstract: "Generate datasets of scenes with captions and questions, and measure them.",
    subcommands: [DataGenerateCommand.self, DataStatsCommand.self]
  )
}
