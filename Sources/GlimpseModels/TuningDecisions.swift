import GlimpseIO
import GlimpseTensor

/// One tuning choice as a machine makes it, and what decided it (`glimpse tune`).
public struct TuningDecision: Equatable, Sendable {
  public var choice: String
  public var value: String
  public var why: String
}

/// Every choice that depends on the CPU, for `machine` with the measured choices `resolution`:
/// the README's "Why the execution is as it is" lists the same, with the measurements behind them.
public func tuningDecisions(machine: MachineDescription, resolution: CalibratedTuning.Resolution) -> [TuningDecision] {
  let flags = Set(machine.vectorExtensions)
  let asked = RunTimeTuning.openBLASCoreType(flags: flags)
  let blocks = RunTimeTuning.fewRowBlocks(openBLASCore: machine.blasCore)
  let timings = resolution.tuning.timings.map {
    let (im2col, winograd) = (fixedPoint($0.im2colMilliseconds, 2), fixedPoint($0.winogradMilliseconds, 2))
    return "batch \($0.batch): im2col \(im2col) ms, Winograd \(winograd) ms"
  }
  let source: String
  switch resolution.source {
  case .cache: source = "measured on this CPU earlier, read from the tuning cache"
  case .measured: source = "measured on this CPU now, and saved in the tuning cache"
  case .measuredNotSaved: source = "measured on this CPU now; not saved"
  }
  return [
    TuningDecision(
      choice: "OpenBLAS kernels", value: machine.blasCore,
      why: asked.map { "glimpse asks for \($0) from the CPU's extensions, unless OPENBLAS_CORETYPE is set" }
        ?? "OpenBLAS's own choice: the CPU has neither AVX-512 (F, BW, VL, DQ) nor AVX2 with FMA"),
    TuningDecision(
      choice: "few-row products in blocks", value: blocks ? "yes" : "no",
      why: blocks
        ? "OpenBLAS's \(machine.blasCore) kernels multiply small products directly, slowly for deep ones"
        : "OpenBLAS's \(machine.blasCore) kernels pack every product"),
    fewRowShapeDecision(resolution.tuning, blocks: blocks, source: source),
    TuningDecision(
      choice: "float16 one-image steps",
      value: RunTimeTuning.halfProductVectorised(flags: flags) ? "vectorised" : "plain C",
      why: "vectorised with F16C, AVX2 and FMA"),
    TuningDecision(
      choice: "attention scores", value: RunTimeTuning.tanhScoresWide(flags: flags) ? "16 lanes" : "8 lanes",
      why: "16 with AVX-512 F, the same bits as 8"),
    TuningDecision(
      choice: "cores sharing the work", value: "\(machine.cores)", why: "the process's affinity mask at start"),
    TuningDecision(
      choice: "one image's steps on both cores", value: machine.cores > 1 ? "yes" : "no", why: "more than one core"),
    TuningDecision(
      choice: "Winograd from batch", value: "\(resolution.tuning.winogradMinimumBatch)",
      why: ([source] + timings).joined(separator: "; ")),
  ] + oneDNNDecisions(resolution.tuning, source: source) + [directLayersDecision(resolution.tuning, source: source)]
}

/// Whether fixed weights (the service's) run cnn-small through oneDNN, for one image and for a
/// batch, and whether training does.
func oneDNNDecisions(_ tuning: MeasuredTuning, source: String) -> [TuningDecision] {
  let kinds = [
    ("served encoder in oneDNN, one image", tuning.oneDNNForOneImage, tuning.oneDNNTimings.first, "forward"),
    ("served encoder in oneDNN, batches", tuning.oneDNNForBatches, tuning.oneDNNTimings.dropFirst().first, "forward"),
    ("trained encoder in oneDNN", tuning.oneDNNForTraining, tuning.oneDNNTrainingTimings.first, "forward and backward"),
  ]
  return kinds.map { choice, chosen, timing, passes in
    let why: String
    if let problem = oneDNNLoadProblem {
      why = problem
    } else if !CNNEncoder.oneDNNPreferred {
      why = "GLIMPSE_SMALL_KERNELS=own"
    } else if let timing {
      let (own, oneDNN) = (fixedPoint(timing.ownMilliseconds, 2), fixedPoint(timing.oneDNNMilliseconds, 2))
      why = "\(source); batch \(timing.batch), \(passes): ours \(own) ms, oneDNN \(oneDNN) ms"
    } else {
      why = "not measured: oneDNN did not load when this CPU was measured"
    }
    return TuningDecision(choice: choice, value: chosen && CNNEncoder.oneDNNPreferred ? "yes" : "no", why: why)
  }
}

/// How few-row products X·W (W as stored, the backward steps' products) are cut into blocks.
func fewRowShapeDecision(_ tuning: MeasuredTuning, blocks: Bool, source: String) -> TuningDecision {
  let choice = "few-row X·W blocks"
  guard blocks else { return TuningDecision(choice: choice, value: "none", why: "no products are cut into blocks") }
  let value = tuning.fewRowWideBlocks ? "whole rows" : "1024/M columns"
  guard let timing = tuning.fewRowTiming else {
    return TuningDecision(choice: choice, value: value, why: "not measured: OpenBLAS multiplied no product directly")
  }
  let (m, k, n) = FewRowBlocks.measuredShape
  let (narrow, wide) = (fixedPoint(timing.narrowMilliseconds, 3), fixedPoint(timing.wideMilliseconds, 3))
  return TuningDecision(
    choice: choice, value: value,
    why: "\(source); \(m)×\(k) by \(k)×\(n): 1024/M columns \(narrow) ms, whole rows \(wide) ms")
}

/// Which layers' training convolutions run direct rather than as oneDNN chooses.
func directLayersDecision(_ tuning: MeasuredTuning, source: String) -> TuningDecision {
  let choice = "trained layers direct in oneDNN"
  let value =
    tuning.oneDNNDirectLayers.isEmpty
    ? "none" : tuning.oneDNNDirectLayers.map { "conv\($0 + 1)" }.joined(separator: ", ")
  guard let first = tuning.oneDNNLayerTimings.first, oneDNNLoadProblem == nil, CNNEncoder.oneDNNPreferred else {
    return TuningDecision(choice: choice, value: "none", why: "not measured: training does not run through oneDNN")
  }
  let layers = tuning.oneDNNLayerTimings.map { "conv\($0.layer + 1) direct \(fixedPoint($0.directMilliseconds, 2)) ms" }
  return TuningDecision(
    choice: choice, value: value,
    why:
      "\(source); share of 16, forward and backward: as oneDNN chooses \(fixedPoint(first.chosenMilliseconds, 2)) ms, "
      + layers.joined(separator: ", "))
}
