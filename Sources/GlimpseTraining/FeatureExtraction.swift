import GlimpseCore
import GlimpseDistributed
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
/// changed. A damaged cache file is an error and stays as it is. Over the ranks of a job (every
/// rank calls it), each stretch of 32 images per rank is shared out, the grids gathered, and
/// rank 0 alone writes the file.
public func updateFeatureCache(
  cachePath: String, paths: [String], encoder: ImageEncoder, encoderName: String,
  communicator: Communicator = SingleProcess(), progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }
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
  let perRank = 32
  let chunk = perRank * communicator.size
  var computed = [Int: Int]()  // entry → row of `grids` for the chunk being written
  var grids = [UInt16](repeating: 0, count: chunk * l * d)
  var local = [UInt16](repeating: 0, count: perRank * l * d)
  let images = Tensor(zeros: [perRank, 3, size, size])
  var done = 0
  /// The grids of the entries `batch` into the rows of `grids`: this rank's share encoded here,
  /// the other ranks' gathered from them.
  func encode(_ batch: [Int]) throws {
    let share = communicator.share(of: batch.count)
    let mine = batch[share]
    if !mine.isEmpty {
      try encodeImages(mine.map { paths[$0] }, size: size, into: images.slice(0..<mine.count))
      encoder.forward(images: images.slice(0..<mine.count))
      for k in 0..<(mine.count * l * d) { local[k] = Float16(encoder.grid.pointer[k]).bitPattern }
    }
    guard communicator.size > 1 else {
      grids.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: local, count: mine.count * l * d) }
      return
    }
    let gathered = try local.withUnsafeBytes { try communicator.gather($0) }
    gathered.withUnsafeBytes { all in
      for rank in 0..<communicator.size {
        let rows = communicator.share(of: batch.count, rank: rank)
        let from = all.baseAddress!.assumingMemoryBound(to: UInt16.self) + rank * perRank * l * d
        grids.withUnsafeMutableBufferPointer {
          ($0.baseAddress! + rows.lowerBound * l * d).update(from: from, count: rows.count * l * d)
        }
      }
    }
  }
  progress(0, missing.count)
  // Rank 0 says when the file is in place, for the other ranks to read it.
  var written: UInt8 = 1
  guard communicator.isRoot else {
    for start in stride(from: 0, to: missing.count, by: chunk) {
      try encode(Array(missing[start..<min(start + chunk, missing.count)]))
    }
    try withUnsafeMutableBytes(of: &written) { try communicator.broadcast($0, from: 0) }
    return FeatureExtractionReport(encoded: missing.count, reused: keys.count - missing.count, replaced: replaced)
  }
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
      try encode(batch)
      computed = Dictionary(uniqueKeysWithValues: batch.enumerated().map { ($1, $0) })
      done += batch.count
      progress(done, missing.count)
    }
    let row = computed[index]!
    grids.withUnsafeBufferPointer { out.update(from: $0.baseAddress! + row * l * d, count: l * d) }
  }
  try withUnsafeMutableBytes(of: &written) { try communicator.broadcast($0, from: 0) }
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
