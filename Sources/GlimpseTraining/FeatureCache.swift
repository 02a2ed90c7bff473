import GlimpseIO
import GlimpseLayers
import GlimpseModels
import GlimpseTensor
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What a cached grid is valid for: the image file as the dataset names it, its size and its
/// modification time. A changed image has another key, so its old grid is never served.
public struct FeatureKey: Hashable, Sendable {
  public var path: String
  public var size: Int
  public var modified: Int  // nanoseconds since the epoch

  /// The key of the file at `path` as it is now.
  public static func of(path: String) throws -> FeatureKey {
    var status = stat()
    guard stat(path, &status) == 0 else { throw FileError(path, "no such file or directory") }
    let nanoseconds = Int(status.st_mtim.tv_sec) * 1_000_000_000 + Int(status.st_mtim.tv_nsec)
    return FeatureKey(path: path, size: Int(status.st_size), modified: nanoseconds)
  }
}

/// A feature cache file: the grids a frozen encoder gave a list of images, computed once and
/// read by every later epoch and run. Layout: "GLFEAT01", the header's length (UInt64, little
/// endian), the JSON header (the encoder's name and weights digest, the grid's shape, each
/// entry's key), zeros up to a 64-byte boundary, then each entry's grid [L, D] as F16. The file
/// is memory-mapped, so a cache larger than memory streams from disk.
public final class FeatureCache: @unchecked Sendable {
  public static let magic = Array("GLFEAT01".utf8)
  public let path: String
  public let encoder: String
  public let weightsDigest: String
  public let grid: GridShape
  public let keys: [FeatureKey]
  private let mapping: UnsafeMutableRawPointer
  private let length: Int
  private let dataOffset: Int
  private let reads = Atomic<Int>(0)

  /// Grids copied out so far (every `copyGrids` row), for the training report.
  public var gridsRead: Int { reads.load(ordering: .relaxed) }
  var entryBytes: Int { grid.locations * grid.features * 2 }

  /// Opens and checks a cache file: any damage (a wrong signature, a header that is not the
  /// JSON described, a length that disagrees with the entries) is an error naming the file.
  public init(path: String) throws {
    let fd = Glibc.open(path, O_RDONLY)
    guard fd >= 0 else { throw FileError(path, "no such file or directory") }
    defer { close(fd) }
    var status = stat()
    guard fstat(fd, &status) == 0 else { throw FileError(path, "cannot read its size") }
    let length = Int(status.st_size)
    guard length >= 16 else { throw FileError(path, "not a feature cache (\(length) bytes, truncated)") }
    guard let base = mmap(nil, length, PROT_READ, MAP_SHARED, fd, 0), base != MAP_FAILED else {
      throw FileError(path, "cannot map it into memory")
    }
    var ok = false
    defer { if !ok { munmap(base, length) } }
    let bytes = UnsafeRawBufferPointer(start: base, count: length)
    guard Array(bytes.prefix(8)) == Self.magic else {
      throw FileError(path, "not a feature cache (no GLFEAT01 signature)")
    }
    let headerLength = Int(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
    guard headerLength <= length - 16, headerLength <= 1 << 30 else {
      throw FileError(path, "truncated feature cache (header of \(headerLength) bytes in a \(length)-byte file)")
    }
    let header: JSONValue
    do {
      header = try parseJSON(bytes[16..<(16 + headerLength)])
    } catch {
      throw FileError(path, "damaged feature cache header: \(error)")
    }
    guard let encoder = header["encoder"]?.string, let digest = header["weights"]?.string,
      let locations = header["locations"]?.integer, let features = header["features"]?.integer,
      let side = Optional(Int(Double(locations).squareRoot())), side * side == locations, features > 0,
      let entries = header["entries"]?.array
    else { throw FileError(path, "damaged feature cache header (encoder, weights, locations, features, entries)") }
    var keys = [FeatureKey]()
    keys.reserveCapacity(entries.count)
    for entry in entries {
      guard let file = entry["path"]?.string, let size = entry["size"]?.integer,
        let modified = entry["modified"]?.string.flatMap({ Int($0) })
      else { throw FileError(path, "damaged feature cache entry \(keys.count)") }
      keys.append(FeatureKey(path: file, size: size, modified: modified))
    }
    let dataOffset = (16 + headerLength + 63) / 64 * 64
    let expected = dataOffset + keys.count * locations * features * 2
    guard expected == length else {
      throw FileError(path, "truncated feature cache: \(length) bytes, \(keys.count) entries need \(expected)")
    }
    (self.path, self.encoder, self.weightsDigest, self.keys) = (path, encoder, digest, keys)
    grid = GridShape(side: side, features: features)
    (mapping, self.length, self.dataOffset) = (base, length, dataOffset)
    ok = true
  }

  deinit { munmap(mapping, length) }

  /// The F16 grid of entry `index`: [L, D].
  func entry(_ index: Int) -> UnsafePointer<UInt16> {
    (UnsafeRawPointer(mapping) + dataOffset + index * entryBytes).assumingMemoryBound(to: UInt16.self)
  }

  /// Copies the grids of `entries` into the rows of grid [n, L, D], and their means over the
  /// locations into mean [n, D].
  public func copyGrids(_ entries: [Int], grid out: Tensor, mean: Tensor) {
    let (l, d) = (grid.locations, grid.features)
    for (row, index) in entries.enumerated() {
      let (source, target) = (entry(index), out.pointer + row * l * d)
      for k in 0..<(l * d) { target[k] = Float(Float16(bitPattern: source[k])) }
    }
    gridMean(out.pointer, into: mean.pointer, rows: entries.count, locations: l, features: d)
    reads.add(entries.count, ordering: .relaxed)
  }
}

/// Writes a feature cache atomically (a temporary file renamed over `path` once complete):
/// `fill(i, grid)` gives entry i's grid [L, D] as F16 bit patterns.
func writeFeatureCache(
  path: String, encoder: String, weightsDigest: String, grid: GridShape, keys: [FeatureKey],
  fill: (Int, UnsafeMutablePointer<UInt16>) throws -> Void
) throws {
  let entries = keys.map { key -> JSONValue in
    .object([("path", .string(key.path)), ("size", .integer(key.size)), ("modified", .string(String(key.modified)))])
  }
  let header = JSONValue.object([
    ("encoder", .string(encoder)), ("weights", .string(weightsDigest)), ("locations", .integer(grid.locations)),
    ("features", .integer(grid.features)), ("dtype", .string("F16")), ("entries", .array(entries)),
  ])
  let headerBytes = Array(header.text.utf8)
  var prefix = FeatureCache.magic
  withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { prefix += $0 }
  prefix += headerBytes
  prefix += [UInt8](repeating: 0, count: (prefix.count + 63) / 64 * 64 - prefix.count)
  let temporary = path + ".tmp"
  let fd = Glibc.open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
  guard fd >= 0 else { throw FileError(path, "cannot write it: \(String(cString: strerror(errno)))") }
  var finished = false
  defer {
    close(fd)
    if !finished { unlink(temporary) }
  }
  func write(_ pointer: UnsafeRawPointer, _ count: Int) throws {
    var offset = 0
    while offset < count {
      let written = Glibc.write(fd, pointer + offset, count - offset)
      guard written > 0 else { throw FileError(path, "cannot write it: \(String(cString: strerror(errno)))") }
      offset += written
    }
  }
  try prefix.withUnsafeBytes { try write($0.baseAddress!, $0.count) }
  let buffer = UnsafeMutablePointer<UInt16>.allocate(capacity: grid.locations * grid.features)
  defer { buffer.deallocate() }
  for index in keys.indices {
    try fill(index, buffer)
    try write(buffer, grid.locations * grid.features * 2)
  }
  guard fsync(fd) == 0, rename(temporary, path) == 0 else {
    throw FileError(path, "cannot write it: \(String(cString: strerror(errno)))")
  }
  finished = true
}

/// A digest of an encoder's weights (FNV-1a, 64 bits, over every tensor's name and values):
/// a cache written by other weights has another digest and is recomputed, never served.
public func weightsDigest(_ parameters: [Parameter]) -> String {
  var hash: UInt64 = 0xcbf2_9ce4_8422_2325
  func mix(_ bytes: UnsafeRawBufferPointer) {
    for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
  }
  for parameter in parameters {
    Array(parameter.name.utf8).withUnsafeBytes(mix)
    mix(UnsafeRawBufferPointer(start: parameter.value.pointer, count: parameter.value.count * 4))
  }
  return String(hash, radix: 16).zeroPadded(16)
}
