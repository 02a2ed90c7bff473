import GlimpseCore
import GlimpseTensor

/// The spec's `lstm` decoder: the state starts from the image vector, the LSTM reads the
/// word embeddings, logits = W_out·h_t + b_out.
public final class LSTMDecoder: CaptionDecoder {
  let core: LSTMDecoderCore
  public var vocabularySize: Int { core.vocabularySize }
  public var sizes: ModelSizes { core.sizes }
  public let parameters: [Parameter]

  public convenience init(vocabularySize: Int, sizes: ModelSizes = .glimpseSmall) {
    self.init(vocabularySize: vocabularySize, sizes: sizes, make: ParameterMaker())
  }

  init(vocabularySize: Int, sizes: ModelSizes, make: ParameterMaker) {
    core = LSTMDecoderCore(vocabularySize: vocabularySize, sizes: sizes, inputSize: sizes.embedding, make: make)
    parameters = core.parameters
  }

  public var weightsFixed: Bool {
    get { core.tokenProjection.keepsRowsAcrossRuns }
    set { core.tokenProjection.keepsRowsAcrossRuns = newValue }
  }

  public func replica(ownGradients: Bool) -> CaptionDecoder {
    LSTMDecoder(
      vocabularySize: vocabularySize, sizes: core.sizes,
      make: ParameterMaker(sharing: parameters, ownGradients: ownGradients))
  }

  public func initialize(random: inout SeededGenerator) { core.initialize(random: &random) }

  public func forward(grid: Tensor, mean: Tensor, inputs: [Int32], batch: Int, steps: Int) -> Tensor {
    core.begin(mean: mean, inputs: inputs, batch: batch, steps: steps)
    for t in 0..<steps { core.sequence.step(t) }
    return core.finish()
  }

  public var earlyGradientGroups: [[Parameter]] { core.earlyGradientGroups }
  public var gradientGroupFinished: ((Int) -> Void)?

  public func backward(dlogits: Tensor, dgrid: Tensor, dmean: Tensor) {
    core.beginBackward(dlogits: dlogits)
    gradientGroupFinished?(0)
    for t in stride(from: core.steps - 1, through: 0, by: -1) { core.sequence.stepBackward(t) }
    core.weightGradients(dmean: dmean, finished: gradientGroupFinished)
    core.endBackward()
  }

  public func beginDecoding(grid: Tensor, mean: Tensor) {
    withOneBLASThread(when: mean.size(0) <= LSTMDecoderCore.rowsSplitAcrossCores) { core.beginDecoding(mean: mean) }
  }

  /// A step for a few rows runs h·W_hhᵀ in chunks on both cores, with OpenBLAS on one thread
  /// (`LSTMDecoderCore.rowsSplitAcrossCores`).
  public func decodeStep(tokens: [Int32]) -> Tensor {
    guard core.decoding.rows <= LSTMDecoderCore.rowsSplitAcrossCores else {
      core.beginStep(tokens: tokens)
      return core.finishStep()
    }
    return withOneBLASThread {
      core.beginStep(tokens: tokens)
      core.addToGatesOnBothCores(
        core.hiddenProduct, core.decoding.h, core.sequence.weightHH.value.pointer, ldw: sizes.hidden)
      return core.finishStep(hiddenProductAdded: true)
    }
  }

  public func reorderRows(_ sources: [Int]) {
    DecodingState.reorder([core.decoding.h, core.decoding.c], sources, scratch: core.decoding.scratch)
  }
}
