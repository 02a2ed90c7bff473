import GlimpseIO
import GlimpseImage

/// Decode throughput of each file, in megapixels per second, from bytes already in memory
/// (so the figure is the decoder's, not the disk's).
public func benchmarkDecode(paths: [String], repeats: Int = 20) throws -> [Measurement] {
  try paths.map { path in
    let bytes = try readFileBytes(path)
    let first: DecodedImage
    do {
      first = try decodeImage(bytes: bytes)
    } catch let error as ImageError {
      throw FileError(path, error.reason)
    }
    let megapixels = Double(first.info.width * first.info.height) / 1e6
    let seconds = try timeRepeats(warmup: 2, repeats: repeats) { _ = try decodeImage(bytes: bytes) }
    let name = "decode." + (path.split(separator: "/").last.map(String.init) ?? path)
    return Measurement(name: name, unit: "MP/s", samples: seconds.map { megapixels / $0 })
  }
}
