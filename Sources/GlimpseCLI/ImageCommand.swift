import ArgumentParser

struct ImageCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "image",
    abstract: "Inspect and convert PNG and JPEG images.",
    subcommands: [ImageInfoCommand.self, ImageConvertCommand.self]
  )
}
