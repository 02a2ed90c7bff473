#if canImport(Glibc)
import Glibc
#endif

#if GLIMPSE_FUZZING
/// The target of this process, from GLIMPSE_FUZZ_TARGET (scripts/fuzz sets it).
private let target: FuzzTarget = {
  let name = getenv("GLIMPSE_FUZZ_TARGET").map { String(cString: $0) } ?? ""
  guard let target = FuzzTarget(rawValue: name) else {
    let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
    printError("GLIMPSE_FUZZ_TARGET must be one of \(names) (got '\(name)')")
    exit(2)
  }
  return target
}()

/// libFuzzer's entry: one input through the chosen target.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  target.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
  return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
  _ argc: UnsafeMutablePointer<Int32>,
  _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
  _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// SwiftPM links an executable's entry as GlimpseFuzz_main; it hands libFuzzer the arguments.
@_cdecl("GlimpseFuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
  var count = argc
  var arguments = argv
  return runFuzzerDriver(&count, &arguments) { data, size in fuzzOneInput(data, size) }
}
#else
/// Without libFuzzer: `GlimpseFuzz TARGET FILE...` runs each file through the target once, as
/// a crash reproducer or a corpus check.
@main
struct FuzzReplay {
  static func main() {
    let arguments = CommandLine.arguments.dropFirst()
    guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
      let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
      printError("usage: GlimpseFuzz \(names) FILE...")
      exit(64)
    }
    for path in arguments.dropFirst() {
      guard let file = fopen(path, "rb") else {
        printError("\(path): cannot open")
        exit(1)
      }
      var bytes = [UInt8](), buffer = [UInt8](repeating: 0, count: 65536)
      while case let n = fread(&buffer, 1, buffer.count, file), n > 0 { bytes += buffer[0..<n] }
      fclose(file)
      target.run(bytes)
    }
  }
}
#endif

private func printError(_ text: String) {
  let line = Array((text + "\n").utf8)
  _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}
