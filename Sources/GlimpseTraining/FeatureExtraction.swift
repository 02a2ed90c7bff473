import GlimpseCore
import GlimpseIO
import GlimpseModels
import GlimpseTensor

#if canImport(Glibc)
import Glibc
#endif

/// What making a feature cache did: images run through the encoder, grids kept from the file
/// that was there, and why the old file's grids could not be kept (nil when they could).
public struct FeatureExtractionReport: Sendable {
  public var encoded: Int
  public var reused: Int
  public var replaced: String?
}

/// Brings the feature cache at `cachePath` up to date for `paths` (in that order) with a frozen
/// encoder: grids whose image is unchanged (same path, size and modification time) and whose
/// encoder had the same weights are kept; the others are computed, 32 images at a time, decoded
/// on every core and encoded on both. The file is rewritten atomically only when something
/// changed. A damaged cache file is an error and stays as it is.
public func updateFeatureCache(
  cachePath: String, paths: [String], encoder: ImageEncoder, encoderName: String,
  progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }
) throws -> FeatureExtractionReport {
  let keys = try paths.map { try FeatureKey.of(path: $0) }
  let digest = weightsDigest(encoder.parameters)
  let grid = encoder.gridShape
  var old: FeatureCache? = nil
  var replaced: String? = nil
  if fileExists(cachePath) {
    let existing = try FeatureCache(path: cachePath)
    if existing.encoder != encoderName || existing.weightsDigest != digest || existing.grid != grid {
      replaced = "written by another encoder (\(existing.encoder), weights \(existing.weightsDigest)); recomputed"
    } else {
      old = existing
    }
  }
  let previous = Dictionary(old?.keys.enumerated().map { ($1, $0) } ?? [], uniquingKeysWith: { first, _ in first })
  if let old, old.keys == keys { return FeatureExtractionReport(encoded: 0, reused: keys.count, replaced: nil) }
  let missing = keys.indices.filter { previous[keys[$0]] == nil }
  let size = encoder.imageSize
  let (l, d) = (grid.locations, grid.features)
  let chunk = 32
  var computed = [Int: Int]()  // entry → row of `grids` for the chunk being written
  var grids = [UInt16](repeating: 0, count: chunk * l * d)
  let images = Tensor(zeros: [chunk, 3, size, size])
  var done = 0
  progress(0, missing.count)
  // Entries are written in order; the missing ones of each stretch of 32 are computed first.
  var pending = missing[...]
  try writeFeatureCache(path: cachePath, encoder: encoderName, weightsDigest: digest, grid: grid, keys: keys) {
    index, out in
    if let entry = previous[keys[index]], let old {
      out.update(from: old.entry(entry), count: l * d)
      return
    }
    if computed[index] == nil {
      let batch = Array(pending.prefix(chunk))
      pending = pending.dropFirst(batch.count)
      try encodeImages(batch.map { paths[$0] }, size: size, into: images.slice(0..<batch.count))
      encoder.forward(images: images.slice(0..<batch.count))
      for row in 0..<batch.count {
        for k in 0..<(l * d) { grids[row * l * d + k] = Float16(encoder.grid.pointer[row * l * d + k]).bitPattern }
      }
      computed = Dictionary(uniqueKeysWithValues: batch.enumerated().map { ($1, $0) })
      done += batch.count
      progress(done, missing.count)
    }
    let row = computed[index]!
    grids.withUnsafeBufferPointer { out.update(from: $0.baseAddress! + row * l * d, count: l * d) }
  }
  return FeatureExtractionReport(encoded: missing.count, reused: keys.count - missing.count, replaced: replaced)
}

/// Decodes and resizes images into the rows of `out` [n, 3, S, S], every core decoding, each
/// value a whole 8-bit level as the training images are.
func encodeImages(_ paths: [String], size: Int, into out: Tensor) throws {
  let plane = 3 * size * size
  let levels = ImageLevels(count: paths.count * plane)
  let failures = inParallelShares(min(ExecutionCores.count, paths.count), rows: paths.count) { _, rows -> Error? in
    do {
      for i in rows { try decodeLevels(paths[i], size: size, into: levels.levels.baseAddress! + i * plane) }
      return nil
    } catch {
      return error
    }
  }
  if let failure = failures.compactMap({ $0 }).first { throw failure }
  for k in 0..<(paths.count * plane) { out.pointer[k] = Float(levels.levels[k]) / 255 }
}

private func fileExists(_ path: String) -> Bool {
  var status = stat()
  return stat(path, &status) == 0
}
