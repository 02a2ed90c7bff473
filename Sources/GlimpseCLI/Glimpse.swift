import ArgumentParser
import GlimpseTensor

import Glibc

let glimpseVersion = "0.1.0"

@main
struct Glimpse: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "glimpse",
    abstract: "Caption images and answer questions about them, trained and run on the CPU.",
    version: "glimpse \(glimpseVersion)",
    subcommands: [
      CaptionCommand.self, AttendCommand.self, AskCommand.self, TrainCommand.self, EvalCommand.self, ImageCommand.self,
      DataCommand.self, ClassifyCommand.self, FeaturesCommand.self, ServeCommand.self, BenchCommand.self,
      TuneCommand.self,
    ]
  )

  /// Errors are printed here and only here: `glimpse: error: FILE: reason`, exit 1 for bad
  /// input, 64 for bad usage (ArgumentParser's validation failures).
  static func main() {
    do {
      try checkVectorUnits()
      var command = try parseAsRoot()
      try command.run()
    } catch let code as ExitCode {
      Glibc.exit(code.rawValue)
    } catch {
      let code = exitCode(for: error)
      if code.isSuccess {
        print(fullMessage(for: error))
        Glibc.exit(code.rawValue)
      }
      var text = fullMessage(for: error)
      if text.hasPrefix("Error: ") { text.removeFirst("Error: ".count) }
      printError(text)
      Glibc.exit(code.rawValue)
    }
  }
}

func printError(_ message: String) {
  var stream = StandardError()
  print("glimpse: error: \(message)", to: &stream)
}

func printWarning(_ message: String) {
  var stream = StandardError()
  print("glimpse: warning: \(message)", to: &stream)
}

struct StandardError: TextOutputStream {
  mutating func write(_ string: String) {
    var bytes = Array(string.utf8)
    var offset = 0
    while offset < bytes.count {
      let written = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress! + offset, $0.count - offset) }
      if written <= 0 { return }
      offset += written
    }
  }
}
