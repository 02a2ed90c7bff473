import Dispatch
import GlimpseCore
import GlimpseData
import GlimpseImage
import GlimpseModels
import GlimpseTensor

/// The images of a dataset as the model reads them ([3, S, S] floats in [0, 1], each value a
/// whole 8-bit level k / 255, so that every way of loading gives the same numbers).
public protocol ImageSet: Sendable {
  var count: Int { get }
  /// S, the side the images are resized to.
  var imageSize: Int { get }
  /// Writes the images at `indices` into the rows of `out` [n, 3, S, S].
  func copyImages(_ indices: [Int], to out: Tensor) throws
  /// Starts preparing the images at `indices` for the next `copyImages` (in the background).
  func prefetch(_ indices: [Int])
}

/// Decodes and resizes one image file to the model's input as 8-bit levels.
func decodeLevels(_ path: String, size: Int, into out: UnsafeMutablePointer<UInt8>) throws {
  let values = try decodeImage(path: path).image.modelInput(size: size)
  for k in 0..<values.count { out[k] = UInt8((min(max(values[k], 0), 1) * 255).rounded()) }
}

/// Images held in memory for training and evaluation: each decoded and resized once to the
/// model's input (every core decoding) and kept as 8-bit levels, a quarter of the floats' size
/// (20,000 images of 64×64 take 246 MB). The first image that fails to decode is the error, naming the
/// entry that listed it; with `skipBad`, failures are kept in `failed` instead.
public struct ImageCache: ImageSet {
  let pixels: ImageLevels  // [N, 3, S, S], level k standing for k / 255
  public let imageSize: Int
  var imageValues: Int { 3 * imageSize * imageSize }
  public var count: Int { pixels.levels.count / imageValues }
  /// The images that could not be decoded (with `skipBad`): index and message.
  public private(set) var failed: [(index: Int, message: String)] = []

  /// `entries[i]` says where image i was listed, for error messages (e.g. "captions.json: image id 7").
  public init(paths: [String], imageSize: Int, entries: [String]? = nil, skipBad: Bool = false) throws {
    let count = paths.count
    self.imageSize = imageSize
    let perImage = 3 * imageSize * imageSize
    let levels = ImageLevels(count: count * perImage)
    let failures = FailureList(count: count)
    let workers = ExecutionCores.count
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
      for index in stride(from: worker, to: count, by: workers) {
        do {
          try decodeLevels(paths[index], size: imageSize, into: levels.levels.baseAddress! + index * perImage)
        } catch {
          failures.record(index, error)
        }
      }
    }
    pixels = levels
    for (index, error) in failures.all {
      let message = (entries.map { $0[index] + ": " } ?? "") + "\(error)"
      guard skipBad else { throw ImageCacheError(description: message) }
      failed.append((index, message))
    }
  }

  public func copyImages(_ indices: [Int], to out: Tensor) {
    let perImage = imageValues
    for (row, index) in indices.enumerated() {
      let (target, source) = (out.pointer + row * perImage, pixels.levels.baseAddress! + index * perImage)
      for k in 0..<perImage { target[k] = Float(source[k]) / 255 }
    }
  }

  public func prefetch(_ indices: [Int]) {}
}

/// Images decoded as they are needed, for datasets too large to hold: `prefetch` decodes the
/// next batch on a background thread while the current one trains, and `copyImages` takes it
/// (or decodes on the spot if it asked for other images). A file that fails to decode is an
/// error then, naming the entry that listed it.
public final class ImageStream: ImageSet, @unchecked Sendable {
  let paths: [String]
  let entries: [String]
  public let imageSize: Int
  let queue = DispatchQueue(label: "glimpse.prefetch")
  let group = DispatchGroup()
  let lock = DispatchQueue(label: "glimpse.prefetch.lock")
  var pending: (indices: [Int], levels: Result<[UInt8], Error>)? = nil

  public init(paths: [String], imageSize: Int, entries: [String]) {
    (self.paths, self.imageSize, self.entries) = (paths, imageSize, entries)
  }
  public var count: Int { paths.count }

  public func prefetch(_ indices: [Int]) {
    group.enter()
    queue.async { [self] in
      let result = Result { try decode(indices) }
      lock.sync { pending = (indices, result) }
      group.leave()
    }
  }

  public func copyImages(_ indices: [Int], to out: Tensor) throws {
    group.wait()
    let ready = lock.sync { () -> (indices: [Int], levels: Result<[UInt8], Error>)? in
      defer { pending = nil }
      return pending
    }
    let levels = try (ready?.indices == indices ? ready!.levels.get() : decode(indices))
    for k in 0..<levels.count { out.pointer[k] = Float(levels[k]) / 255 }
  }

  func decode(_ indices: [Int]) throws -> [UInt8] {
    let perImage = 3 * imageSize * imageSize
    var levels = [UInt8](repeating: 0, count: indices.count * perImage)
    try levels.withUnsafeMutableBufferPointer { buffer in
      for (row, index) in indices.enumerated() {
        do {
          try decodeLevels(paths[index], size: imageSize, into: buffer.baseAddress! + row * perImage)
        } catch {
          throw ImageCacheError(description: entries[index] + ": \(error)")
        }
      }
    }
    return levels
  }
}
