import ArgumentParser

struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Measure how fast Glimpse runs on this machine.",
    subcommands: [
      BenchSuiteCommand.self, BenchImageCommand.self, BenchKernelsCommand.self, BenchLoaderCommand.self,
      BenchAllreduceCommand.self, BenchOverlapCommand.self, BenchTextCommand.self,
    ],
    defaultSubcommand: BenchSuiteCommand.self
  )
}
