import ArgumentParser

struct DataCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "data",
    abstract: "Generate datasets of scenes with captions.",
    subcommands: [DataGenerateCommand.self]
  )
}
