import Foundation
import GlimpseCore
import XCTest

@testable import GlimpseModels
import GlimpseTensor

/// The measured tuning choice (the batch from which Winograd runs) and its cache: each decision
/// for several CPUs' timings, and every bad case of the cache costs a measurement, never a crash
/// or another CPU's choice.
final class CalibratedTuningTests: XCTestCase {
  static let xeonKey =
    "Intel(R) Xeon(R) Processor (GenuineIntel family 6 model 207); avx2 fma; OpenBLAS SkylakeX; 2 cores"
  static let epycKey =
    "AMD EPYC 9R14 96-Core Processor (AuthenticAMD family 25 model 17); avx2 fma; OpenBLAS SkylakeX; 2 cores"

  func timings(_ rows: [(Int, Double, Double)]) -> [EncoderTiming] {
    rows.map { EncoderTiming(batch: $0.0, im2colMilliseconds: $0.1, winogradMilliseconds: $0.2) }
  }

  var folder = ""

  override func setUpWithError() throws {
    folder = NSTemporaryDirectory() + "glimpse-tuning-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws {
    try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder)
    try? FileManager.default.removeItem(atPath: folder)
  }

  func testWinogradBatchFromEachCPUsTimings() {
    // The Xeon (family 6 model 207), `glimpse tune` on 2026-11-30: the paths cross between 4 and 8.
    let xeon = timings([(2, 2.08, 3.27), (4, 3.77, 4.29), (8, 7.48, 7.10), (16, 15.13, 12.77)])
    XCTAssertEqual(EncoderCalibration.minimumBatch(xeon), 8)
    // Another run on the same Xeon: a tie at 8 (within 3%) is Winograd's.
    let xeonAgain = timings([(2, 2.10, 3.24), (4, 3.71, 4.44), (8, 7.31, 7.32), (16, 15.23, 12.90)])
    XCTAssertEqual(EncoderCalibration.minimumBatch(xeonAgain), 8)
    XCTAssertEqual(EncoderCalibration.minimumBatch(xeonAgain, tie: 0), 16)
    // A CPU with slower GEMMs against its memory, where Winograd already pays at 4.
    XCTAssertEqual(
      EncoderCalibration.minimumBatch(timings([(2, 3.0, 3.4), (4, 6.0, 5.1), (8, 12, 9), (16, 24, 17)])), 4)
    XCTAssertEqual(
      EncoderCalibration.minimumBatch(timings([(2, 3.0, 2.9), (4, 6.0, 5.1), (8, 12, 9), (16, 24, 17)])), 2)
    // Winograd never faster: only from 32, where it is always taken.
    XCTAssertEqual(EncoderCalibration.minimumBatch(timings([(2, 1, 2), (4, 2, 3), (8, 4, 5), (16, 8, 9)])), 32)
    // A win at 2 between losses is noise, not a crossing.
    XCTAssertEqual(EncoderCalibration.minimumBatch(timings([(2, 3, 2.9), (4, 3, 3.5), (8, 6, 6.5), (16, 8, 7)])), 16)
  }

  /// oneDNN for the served encoder only where it was clearly faster: near a tie, our kernels.
  func testOneDNNFromEachCPUsTimings() {
    // The Xeon (family 6 model 207), `glimpse tune` on 2026-11-30.
    XCTAssertTrue(
      EncoderCalibration.prefersOneDNN(KernelTiming(batch: 1, ownMilliseconds: 1.3, oneDNNMilliseconds: 0.4)))
    XCTAssertTrue(
      EncoderCalibration.prefersOneDNN(KernelTiming(batch: 8, ownMilliseconds: 7.4, oneDNNMilliseconds: 4.0)))
    // Its training, forward and backward at batch 16.
    XCTAssertTrue(
      EncoderCalibration.prefersOneDNN(KernelTiming(batch: 16, ownMilliseconds: 34.85, oneDNNMilliseconds: 26.77)))
    // A CPU where our Winograd beats oneDNN's direct convolutions, and a tie.
    XCTAssertFalse(
      EncoderCalibration.prefersOneDNN(KernelTiming(batch: 8, ownMilliseconds: 5.0, oneDNNMilliseconds: 5.6)))
    XCTAssertFalse(
      EncoderCalibration.prefersOneDNN(KernelTiming(batch: 8, ownMilliseconds: 5.0, oneDNNMilliseconds: 4.9)))
    XCTAssertTrue(
      EncoderCalibration.prefersOneDNN(KernelTiming(batch: 8, ownMilliseconds: 5.0, oneDNNMilliseconds: 4.9), tie: 0))
  }

  func testAnEntryIsReadBackAndOtherCPUsEntriesAreKept() throws {
    let cache = TuningCache(path: folder + "/deeper/still/tuning.json")
    let xeon = MeasuredTuning(
      winogradMinimumBatch: 8, timings: timings([(2, 2.08, 3.27), (8, 7.48, 7.1)]), oneDNNForOneImage: true,
      oneDNNForBatches: false,
      oneDNNTimings: [KernelTiming(batch: 1, ownMilliseconds: 1.3, oneDNNMilliseconds: 0.4)], oneDNNForTraining: true,
      oneDNNTrainingTimings: [KernelTiming(batch: 16, ownMilliseconds: 34.85, oneDNNMilliseconds: 26.77)],
      oneDNNDirectLayers: [0],
      oneDNNLayerTimings: [
        LayerTiming(layer: 0, chosenMilliseconds: 47.02, directMilliseconds: 39.62),
        LayerTiming(layer: 1, chosenMilliseconds: 47.02, directMilliseconds: 50.52),
      ], fewRowWideBlocks: true, fewRowTiming: BlockTiming(narrowMilliseconds: 0.445, wideMilliseconds: 0.296))
    let epyc = MeasuredTuning(winogradMinimumBatch: 4, timings: [])
    try cache.store(xeon, for: Self.xeonKey)
    try cache.store(epyc, for: Self.epycKey)
    XCTAssertEqual(try cache.entry(for: Self.xeonKey), xeon)
    XCTAssertEqual(try cache.entry(for: Self.epycKey), epyc)
    XCTAssertNil(try cache.entry(for: "another CPU"))
    let resolution = CalibratedTuning.resolve(cache: cache, key: Self.xeonKey) {
      XCTFail("a CPU with an entry is not measured again")
      return epyc
    }
    XCTAssertEqual(resolution.tuning, xeon)
    XCTAssertEqual(resolution.source, .cache)
    XCTAssertEqual(resolution.problems, [])
    // --refresh measures again and replaces only this CPU's entry.
    let refreshed = CalibratedTuning.resolve(cache: cache, key: Self.xeonKey, refresh: true) {
      MeasuredTuning(winogradMinimumBatch: 16, timings: [])
    }
    XCTAssertEqual(refreshed.source, .measured)
    XCTAssertEqual(try cache.entry(for: Self.xeonKey)?.winogradMinimumBatch, 16)
    XCTAssertEqual(try cache.entry(for: Self.epycKey), epyc)
  }

  func testAnotherCPUsEntryIsNotUsed() throws {
    let cache = TuningCache(path: folder + "/tuning.json")
    try cache.store(MeasuredTuning(winogradMinimumBatch: 2, timings: []), for: Self.epycKey)
    let resolution = CalibratedTuning.resolve(cache: cache, key: Self.xeonKey) {
      MeasuredTuning(winogradMinimumBatch: 8, timings: [])
    }
    XCTAssertEqual(resolution.tuning.winogradMinimumBatch, 8)
    XCTAssertEqual(resolution.source, .measured)
    XCTAssertEqual(try cache.entry(for: Self.xeonKey)?.winogradMinimumBatch, 8)
    XCTAssertEqual(try cache.entry(for: Self.epycKey)?.winogradMinimumBatch, 2)
  }

  func testACorruptFileIsMeasuredAgainAndReplaced() throws {
    let path = folder + "/tuning.json"
    for (text, reason) in [
      ("{\"format\": \"glimpse tuning 1\", \"machines\": [", "not valid JSON: "),
      ("[1, 2, 3]", "is not a glimpse tuning cache"),
      ("\u{0}\u{1}binary", "not valid JSON: "),
    ] {
      try text.write(toFile: path, atomically: false, encoding: .utf8)
      let resolution = CalibratedTuning.resolve(cache: TuningCache(path: path), key: Self.xeonKey) {
        MeasuredTuning(winogradMinimumBatch: 8, timings: [])
      }
      XCTAssertEqual(resolution.tuning.winogradMinimumBatch, 8)
      XCTAssertEqual(resolution.source, .measured)
      XCTAssertEqual(resolution.problems.count, 1)
      XCTAssertTrue(resolution.problems[0].hasPrefix("\(path): \(reason)"), resolution.problems[0])
      XCTAssertTrue(resolution.problems[0].hasSuffix("; measured again"), resolution.problems[0])
      XCTAssertEqual(try TuningCache(path: path).entry(for: Self.xeonKey)?.winogradMinimumBatch, 8)
    }
  }

  /// An entry without the oneDNN choices, or without the training one (as the version before
  /// it wrote them), is measured again.
  func testAnEntryWithoutTheOneDNNChoicesIsMeasuredAgain() throws {
    let path = folder + "/tuning.json"
    for choices in ["", ", \"onednn_one_image\": true, \"onednn_batches\": false"] {
      let text = """
        {"format": "glimpse tuning 2", "machines": [{"key": "\(Self.xeonKey)", "winograd_minimum_batch": 8\(choices)}]}
        """
      try text.write(toFile: path, atomically: false, encoding: .utf8)
      let resolution = CalibratedTuning.resolve(cache: TuningCache(path: path), key: Self.xeonKey) {
        MeasuredTuning(
          winogradMinimumBatch: 8, timings: [], oneDNNForOneImage: true, oneDNNForBatches: true, oneDNNForTraining: true
        )
      }
      XCTAssertEqual(
        resolution.problems,
        [
          "\(path): has no onednn_one_image, onednn_batches and onednn_training (true or false) for this CPU; "
            + "measured again"
        ])
      XCTAssertEqual(try TuningCache(path: path).entry(for: Self.xeonKey)?.oneDNNForBatches, true)
      XCTAssertEqual(try TuningCache(path: path).entry(for: Self.xeonKey)?.oneDNNForTraining, true)
    }
  }

  /// Entries the versions before the direct layers and the few-row blocks wrote are measured
  /// again, as is one whose direct layers are not layer numbers.
  func testAnEntryWithoutTheDirectLayersIsMeasuredAgain() throws {
    let path = folder + "/tuning.json"
    let choices = "\"onednn_one_image\": true, \"onednn_batches\": true, \"onednn_training\": true"
    for (direct, problem) in [
      ("", "has no onednn_direct_layers (a list of layers) for this CPU"),
      (
        ", \"onednn_direct_layers\": [0, -1]", "has onednn_direct_layers for this CPU that are not layer numbers from 0"
      ),
      (", \"onednn_direct_layers\": \"conv1\"", "has no onednn_direct_layers (a list of layers) for this CPU"),
    ] {
      let text = """
        {"format": "glimpse tuning 2", "machines": [{"key": "\(Self.xeonKey)", "winograd_minimum_batch": 8, \
        \(choices)\(direct), "few_row_wide_blocks": false}]}
        """
      try text.write(toFile: path, atomically: false, encoding: .utf8)
      let resolution = CalibratedTuning.resolve(cache: TuningCache(path: path), key: Self.xeonKey) {
        MeasuredTuning(winogradMinimumBatch: 8, timings: [], oneDNNDirectLayers: [0])
      }
      XCTAssertEqual(resolution.problems, ["\(path): \(problem); measured again"])
      XCTAssertEqual(try TuningCache(path: path).entry(for: Self.xeonKey)?.oneDNNDirectLayers, [0])
    }
  }

  /// The Xeon's timings take conv1 direct; a layer within 3% keeps oneDNN's choice.
  func testDirectLayersFromEachCPUsTimings() {
    let xeon = [(0, 39.62), (1, 50.52), (2, 50.58), (3, 48.31)].map {
      LayerTiming(layer: $0, chosenMilliseconds: 47.02, directMilliseconds: $1)
    }
    XCTAssertEqual(EncoderCalibration.directLayers(xeon), [0])
    let close = [(0, 46.0), (1, 40.0), (2, 47.5)].map {
      LayerTiming(layer: $0, chosenMilliseconds: 47.02, directMilliseconds: $1)
    }
    XCTAssertEqual(EncoderCalibration.directLayers(close), [1])
    XCTAssertEqual(EncoderCalibration.directLayers([]), [])
  }

  /// An entry the version before the few-row blocks' choice wrote is measured again.
  func testAnEntryWithoutTheFewRowChoiceIsMeasuredAgain() throws {
    let path = folder + "/tuning.json"
    let choices =
      "\"onednn_one_image\": true, \"onednn_batches\": true, \"onednn_training\": true, \"onednn_direct_layers\": []"
    let text = """
      {"format": "glimpse tuning 2", "machines": [{"key": "\(Self.xeonKey)", "winograd_minimum_batch": 8, \(choices)}]}
      """
    try text.write(toFile: path, atomically: false, encoding: .utf8)
    let resolution = CalibratedTuning.resolve(cache: TuningCache(path: path), key: Self.xeonKey) {
      MeasuredTuning(winogradMinimumBatch: 8, timings: [], fewRowWideBlocks: true)
    }
    XCTAssertEqual(
      resolution.problems, ["\(path): has no few_row_wide_blocks (true or false) for this CPU; measured again"])
    XCTAssertEqual(try TuningCache(path: path).entry(for: Self.xeonKey)?.fewRowWideBlocks, true)
    XCTAssertNil(try TuningCache(path: path).entry(for: Self.xeonKey)?.fewRowTiming)
  }

  /// The Xeon's timings (narrow 0.445 ms, wide 0.296) choose wide; a CPU within 3% keeps narrow.
  func testFewRowBlocksFromEachCPUsTimings() {
    XCTAssertTrue(FewRowBlocks.prefersWide(BlockTiming(narrowMilliseconds: 0.445, wideMilliseconds: 0.296)))
    XCTAssertFalse(FewRowBlocks.prefersWide(BlockTiming(narrowMilliseconds: 0.300, wideMilliseconds: 0.296)))
    XCTAssertFalse(FewRowBlocks.prefersWide(BlockTiming(narrowMilliseconds: 0.300, wideMilliseconds: 0.350)))
  }

  /// This process's choice is the one gemm follows, and a product of the measured shape is timed
  /// both ways where OpenBLAS multiplies small products directly.
  func testGEMMFollowsTheMeasuredFewRowChoice() throws {
    let tuning = CalibratedTuning.current.tuning
    XCTAssertEqual(FewRowBlocks.wideForPlainWeights, tuning.fewRowWideBlocks)
    let direct = RunTimeTuning.fewRowBlocks(openBLASCore: blasCoreName)
    let timing = FewRowBlocks.measure(repeats: 1)
    XCTAssertEqual(timing != nil, direct)
    if let timing {
      XCTAssertGreaterThan(timing.narrowMilliseconds, 0)
      XCTAssertGreaterThan(timing.wideMilliseconds, 0)
    }
  }

  func testAnInvalidEntryForThisCPUIsMeasuredAgain() throws {
    let path = folder + "/tuning.json"
    for value in ["7", "-1", "\"eight\"", "null"] {
      let text = """
        {"format": "glimpse tuning 2", "machines": [{"key": "\(Self.xeonKey)", "winograd_minimum_batch": \(value)}]}
        """
      try text.write(toFile: path, atomically: false, encoding: .utf8)
      let resolution = CalibratedTuning.resolve(cache: TuningCache(path: path), key: Self.xeonKey) {
        MeasuredTuning(winogradMinimumBatch: 4, timings: [])
      }
      XCTAssertEqual(resolution.tuning.winogradMinimumBatch, 4, value)
      XCTAssertEqual(
        resolution.problems,
        ["\(path): has a winograd_minimum_batch for this CPU that is not one of [2, 4, 8, 16, 32]; measured again"])
    }
  }

  /// A folder nobody can write (/proc/self, even for root), and a folder made read-only, which
  /// stops everyone but root: the measured choice is used, and the problem names the file.
  func testAFolderThatCannotBeWrittenKeepsTheMeasuredChoice() throws {
    let unwritable = "/proc/self/glimpse/tuning.json"
    let resolution = CalibratedTuning.resolve(cache: TuningCache(path: unwritable), key: Self.xeonKey) {
      MeasuredTuning(winogradMinimumBatch: 16, timings: [])
    }
    XCTAssertEqual(resolution.tuning.winogradMinimumBatch, 16)
    XCTAssertEqual(resolution.source, .measuredNotSaved)
    XCTAssertEqual(resolution.problems.count, 1)
    XCTAssertEqual(
      resolution.problems,
      [
        "/proc/self/glimpse: cannot create the folder: no such file or directory; the choice measured now is used, "
          + "and not saved"
      ])

    try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: folder)
    let readOnly = CalibratedTuning.resolve(cache: TuningCache(path: folder + "/tuning.json"), key: Self.xeonKey) {
      MeasuredTuning(winogradMinimumBatch: 4, timings: [])
    }
    XCTAssertEqual(readOnly.tuning.winogradMinimumBatch, 4)
    if geteuid() != 0 {
      XCTAssertEqual(readOnly.source, .measuredNotSaved)
      XCTAssertEqual(
        readOnly.problems,
        [
          "\(folder)/tuning.json: cannot create a temporary file: permission denied; the choice measured now is "
            + "used, and not saved"
        ])
    }

    let none = CalibratedTuning.resolve(cache: nil, key: Self.xeonKey) {
      MeasuredTuning(winogradMinimumBatch: 8, timings: [])
    }
    XCTAssertEqual(none.tuning.winogradMinimumBatch, 8)
    XCTAssertEqual(none.source, .measuredNotSaved)
  }

  func testTheCachePathFromTheEnvironment() {
    XCTAssertEqual(
      TuningCache.defaultPath(environment: ["GLIMPSE_TUNING_CACHE": "/x/t.json", "HOME": "/root"]), "/x/t.json")
    XCTAssertEqual(
      TuningCache.defaultPath(environment: ["XDG_CACHE_HOME": "/c", "HOME": "/root"]), "/c/glimpse/tuning.json")
    XCTAssertEqual(TuningCache.defaultPath(environment: ["HOME": "/root"]), "/root/.cache/glimpse/tuning.json")
    XCTAssertEqual(TuningCache.defaultPath(environment: ["HOME": "relative"]), nil)
    XCTAssertEqual(TuningCache.defaultPath(environment: [:]), nil)
  }

  /// The encoder takes this CPU's measured batch when none is set, and a set one otherwise.
  func testTheEncoderFollowsTheMeasuredBatch() {
    let minimum = CalibratedTuning.current.tuning.winogradMinimumBatch
    XCTAssertTrue(MeasuredTuning.candidates.contains(minimum))
    for batch in [1, 2, 4, 8, 16, 32] {
      let encoder = CNNEncoder()
      encoder.oneDNNTraining = false
      encoder.forward(images: Tensor(zeros: [batch, 3, 64, 64]))
      let expected = batch >= 32 || (batch >= 2 && batch >= minimum)
      XCTAssertEqual(encoder.execution.winogradForward[1] != nil, expected, "batch \(batch), Winograd from \(minimum)")
      encoder.winogradMinimumBatch = 1
      encoder.forward(images: Tensor(zeros: [batch, 3, 64, 64]))
      XCTAssertEqual(encoder.execution.winogradForward[1] != nil, batch >= 1, "batch \(batch), Winograd from 1")
    }
  }

  /// Fixed weights go through oneDNN as measured for one image and for batches; weights that
  /// change never do.
  func testTheFixedEncoderFollowsTheMeasuredOneDNNChoice() {
    let tuning = CalibratedTuning.current.tuning
    XCTAssertEqual(tuning.oneDNNTimings.map(\.batch), CNNEncoder.oneDNNPreferred ? [1, 8] : [])
    for (batch, expected) in [(1, tuning.oneDNNForOneImage), (8, tuning.oneDNNForBatches)] {
      let encoder = CNNEncoder()
      encoder.forward(images: Tensor(zeros: [batch, 3, 64, 64]))
      XCTAssertEqual(encoder.oneDNN.batchSizes, [], "weights not fixed, batch \(batch)")
      encoder.weightsFixed = true
      encoder.forward(images: Tensor(zeros: [batch, 3, 64, 64]))
      XCTAssertEqual(encoder.oneDNN.batchSizes, expected && CNNEncoder.oneDNNPreferred ? [batch] : [], "batch \(batch)")
      encoder.oneDNNForward = false
      encoder.weightsFixed = true  // forgets the networks
      encoder.forward(images: Tensor(zeros: [batch, 3, 64, 64]))
      XCTAssertEqual(encoder.oneDNN.batchSizes, [], "oneDNN refused, batch \(batch)")
    }
  }

  /// Weights that change go through oneDNN's training networks as measured, forward and backward,
  /// one per core's share, and through our kernels where oneDNN was not faster.
  func testTrainingFollowsTheMeasuredOneDNNChoice() {
    let chosen = CalibratedTuning.current.tuning.oneDNNForTraining && CNNEncoder.oneDNNPreferred
    XCTAssertEqual(
      CalibratedTuning.current.tuning.oneDNNTrainingTimings.map(\.batch), CNNEncoder.oneDNNPreferred ? [16] : [])
    for (setting, expected) in [(nil, chosen), (false, false), (true, CNNEncoder.oneDNNPreferred)] {
      let encoder = CNNEncoder()
      encoder.oneDNNTraining = setting
      encoder.forward(images: Tensor(zeros: [4, 3, 64, 64]))
      encoder.backward(dgrid: Tensor(zeros: [4, 64, 512]), dmean: nil)
      let shares: Set<Int> = ExecutionCores.count > 1 ? [2] : [4]
      XCTAssertEqual(encoder.oneDNNShareSizes, expected ? shares : [], "\(String(describing: setting))")
      XCTAssertEqual(encoder.oneDNN.batchSizes, [])
    }
  }
}
