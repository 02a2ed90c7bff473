import ArgumentParser

struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Measure how fast Glimpse runs on this machine.",
    subcommands: [BenchImageCommand.self, BenchKernelsCommand.self, BenchLoaderCommand.self]
  )
}
