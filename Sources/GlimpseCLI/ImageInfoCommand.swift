import ArgumentParser
import GlimpseIO
import GlimpseImage

struct ImageInfoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "info",
    abstract: "Decode each file fully and print its format, size, channels, bit depth and colour type.",
    discussion: "Formats are told apart by content, not by extension. Exits 1 if any file fails."
  )

  @Argument(help: "PNG or JPEG files.")
  var files: [String]

  @Flag(help: "Print one JSON object per file.")
  var json = false

  @OptionGroup var decode: DecodeOptions

  func validate() throws {
    guard !files.isEmpty else { throw ValidationError("give at least one image file") }
  }

  func run() throws {
    var failed = false
    for file in files {
      do {
        let info = try decodeImage(path: file, maxPixels: decode.maxPixels).info
        print(json ? info.jsonLine(file: file) : info.textLine(file: file))
      } catch {
        printError("\(error)")
        failed = true
      }
    }
    if failed { throw ExitCode.failure }
  }
}

extension ImageInfo {
  func textLine(file: String) -> String {
    var fields = [
      "format=\(format.rawValue)", "width=\(width)", "height=\(height)", "channels=\(channels)",
      "bit_depth=\(bitDepth)", "color_type=\(colorType)",
      "\(format == .png ? "interlaced" : "progressive")=\(interlaced ? "yes" : "no")",
    ]
    if format == .jpeg {
      fields.append("arithmetic=\(arithmetic ? "yes" : "no")")
      fields.append("orientation=\(orientation)")
    }
    return "\(file): " + fields.joined(separator: " ")
  }

  func jsonLine(file: String) -> String {
    var fields: [(String, JSONValue)] = [
      ("file", .string(file)), ("format", .string(format.rawValue)), ("width", .integer(width)),
      ("height", .integer(height)),
      ("channels", .integer(channels)), ("bit_depth", .integer(bitDepth)), ("color_type", .string("\(colorType)")),
      ("interlaced", .bool(interlaced)),
    ]
    if format == .jpeg {
      fields.append(("arithmetic", .bool(arithmetic)))
      fields.append(("orientation", .integer(orientation)))
    }
    return JSONValue.object(fields).text
  }
}
