import GlimpseIO
import GlimpseTensor

/// A JSON file of measured choices, one entry per CPU (`MachineDescription.tuningKey`), so that
/// a machine measures once and a shared home folder serves several kinds of machine:
///
///     {"format": "glimpse tuning 2", "machines": [{"key": "…", "winograd_minimum_batch": 8,
///       "timings": [{"batch": 2, "im2col_ms": 1.9, "winograd_ms": 3.1}, …],
///       "onednn_one_image": true, "onednn_batches": true,
///       "onednn_timings": [{"batch": 1, "own_ms": 1.2, "onednn_ms": 0.5}, …],
///       "onednn_training": true, "onednn_training_timings": [{"batch": 16, …}],
///       "onednn_direct_layers": [0],
///       "onednn_layer_timings": [{"layer": 0, "chosen_ms": 46.4, "direct_ms": 40.4}, …],
///       "few_row_wide_blocks": true, "few_row_timing": {"narrow_ms": 0.43, "wide_ms": 0.29}}, …]}
public struct TuningCache: Sendable {
  public var path: String
  public init(path: String) { self.path = path }

  static let format = "glimpse tuning 2"

  /// `GLIMPSE_TUNING_CACHE` if set, else `tuning.json` in `$XDG_CACHE_HOME/glimpse` or
  /// `$HOME/.cache/glimpse`; nil when none of them is set (nothing is then saved).
  public static func defaultPath(environment: [String: String]) -> String? {
    if let path = environment["GLIMPSE_TUNING_CACHE"], !path.isEmpty { return path }
    if let folder = environment["XDG_CACHE_HOME"], folder.hasPrefix("/") { return folder + "/glimpse/tuning.json" }
    if let home = environment["HOME"], home.hasPrefix("/") { return home + "/.cache/glimpse/tuning.json" }
    return nil
  }

  /// The entry for `key`; nil when the file does not exist or has no entry for it. Throws a
  /// `FileError` naming the file when it cannot be read or its entry for `key` is not valid.
  public func entry(for key: String) throws -> MeasuredTuning? {
    guard let machines = try readMachines() else { return nil }
    guard let entry = machines.first(where: { $0["key"]?.string == key }) else { return nil }
    return try Self.tuning(from: entry, path: path)
  }

  /// Saves `tuning` as `key`'s entry, atomically, keeping the other CPUs' entries of a file that
  /// reads (a corrupt one is replaced). Creates the folder; throws a `FileError` naming the file.
  public func store(_ tuning: MeasuredTuning, for key: String) throws {
    let others = ((try? readMachines()) ?? nil)?.filter { $0["key"]?.string != key } ?? []
    let timings = tuning.timings.map { timing -> JSONValue in
      .object([
        ("batch", .integer(timing.batch)), ("im2col_ms", .number(timing.im2colMilliseconds)),
        ("winograd_ms", .number(timing.winogradMilliseconds)),
      ])
    }
    func kernelTimings(_ list: [KernelTiming]) -> JSONValue {
      .array(
        list.map { timing in
          .object([
            ("batch", .integer(timing.batch)), ("own_ms", .number(timing.ownMilliseconds)),
            ("onednn_ms", .number(timing.oneDNNMilliseconds)),
          ])
        })
    }
    let mine = JSONValue.object([
      ("key", .string(key)), ("winograd_minimum_batch", .integer(tuning.winogradMinimumBatch)),
      ("timings", .array(timings)), ("onednn_one_image", .bool(tuning.oneDNNForOneImage)),
      ("onednn_batches", .bool(tuning.oneDNNForBatches)), ("onednn_timings", kernelTimings(tuning.oneDNNTimings)),
      ("onednn_training", .bool(tuning.oneDNNForTraining)),
      ("onednn_training_timings", kernelTimings(tuning.oneDNNTrainingTimings)),
      ("onednn_direct_layers", .array(tuning.oneDNNDirectLayers.map(JSONValue.integer))),
      (
        "onednn_layer_timings",
        .array(
          tuning.oneDNNLayerTimings.map {
            .object([
              ("layer", .integer($0.layer)), ("chosen_ms", .number($0.chosenMilliseconds)),
              ("direct_ms", .number($0.directMilliseconds)),
            ])
          })
      ),
      ("few_row_wide_blocks", .bool(tuning.fewRowWideBlocks)),
      (
        "few_row_timing",
        tuning.fewRowTiming.map {
          .object([("narrow_ms", .number($0.narrowMilliseconds)), ("wide_ms", .number($0.wideMilliseconds))])
        } ?? .null
      ),
    ])
    let file = JSONValue.object([("format", .string(Self.format)), ("machines", .array(others + [mine]))])
    if let slash = path.lastIndex(of: "/"), slash != path.startIndex { try makeFolders(String(path[..<slash])) }
    try writeFileAtomically(path, Array((file.text + "\n").utf8))
  }

  /// The file's machine entries; nil when it does not exist.
  private func readMachines() throws -> [JSONValue]? {
    let value: JSONValue
    do {
      value = try readJSONFile(path, maxBytes: 1 << 20)
    } catch let error as FileError where error.reason == "no such file or directory" {
      return nil
    }
    guard value["format"]?.string == Self.format, let machines = value["machines"]?.array else {
      throw FileError(path, "is not a glimpse tuning cache (\"format\": \"\(Self.format)\" and \"machines\")")
    }
    return machines
  }

  private static func tuning(from entry: JSONValue, path: String) throws -> MeasuredTuning {
    guard let minimum = entry["winograd_minimum_batch"]?.integer, MeasuredTuning.candidates.contains(minimum) else {
      throw FileError(
        path, "has a winograd_minimum_batch for this CPU that is not one of \(MeasuredTuning.candidates)")
    }
    let timings = (entry["timings"]?.array ?? []).compactMap { timing -> EncoderTiming? in
      guard let batch = timing["batch"]?.integer, let im2col = timing["im2col_ms"]?.number,
        let winograd = timing["winograd_ms"]?.number
      else { return nil }
      return EncoderTiming(batch: batch, im2colMilliseconds: im2col, winogradMilliseconds: winograd)
    }
    guard let oneImage = entry["onednn_one_image"]?.bool, let batches = entry["onednn_batches"]?.bool,
      let training = entry["onednn_training"]?.bool
    else {
      throw FileError(
        path, "has no onednn_one_image, onednn_batches and onednn_training (true or false) for this CPU")
    }
    guard let directList = entry["onednn_direct_layers"]?.array else {
      throw FileError(path, "has no onednn_direct_layers (a list of layers) for this CPU")
    }
    let direct = directList.compactMap { $0.integer }.filter { $0 >= 0 }
    guard direct.count == directList.count else {
      throw FileError(path, "has onednn_direct_layers for this CPU that are not layer numbers from 0")
    }
    let layerTimings = (entry["onednn_layer_timings"]?.array ?? []).compactMap { timing -> LayerTiming? in
      guard let layer = timing["layer"]?.integer, let chosen = timing["chosen_ms"]?.number,
        let directTime = timing["direct_ms"]?.number
      else { return nil }
      return LayerTiming(layer: layer, chosenMilliseconds: chosen, directMilliseconds: directTime)
    }
    guard let wide = entry["few_row_wide_blocks"]?.bool else {
      throw FileError(path, "has no few_row_wide_blocks (true or false) for this CPU")
    }
    var fewRowTiming: BlockTiming?
    if let narrow = entry["few_row_timing"]?["narrow_ms"]?.number,
      let wide = entry["few_row_timing"]?["wide_ms"]?.number
    {
      fewRowTiming = BlockTiming(narrowMilliseconds: narrow, wideMilliseconds: wide)
    }
    func kernelTimings(_ name: String) -> [KernelTiming] {
      (entry[name]?.array ?? []).compactMap { timing -> KernelTiming? in
        guard let batch = timing["batch"]?.integer, let own = timing["own_ms"]?.number,
          let oneDNN = timing["onednn_ms"]?.number
        else { return nil }
        return KernelTiming(batch: batch, ownMilliseconds: own, oneDNNMilliseconds: oneDNN)
      }
    }
    return MeasuredTuning(
      winogradMinimumBatch: minimum, timings: timings, oneDNNForOneImage: oneImage, oneDNNForBatches: batches,
      oneDNNTimings: kernelTimings("onednn_timings"), oneDNNForTraining: training,
      oneDNNTrainingTimings: kernelTimings("onednn_training_timings"), oneDNNDirectLayers: direct,
      oneDNNLayerTimings: layerTimings, fewRowWideBlocks: wide,
      fewRowTiming: fewRowTiming)
  }
}
