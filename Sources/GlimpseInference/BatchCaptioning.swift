import GlimpseCore
import GlimpseModels
import GlimpseTensor

/// What one image of a batch asks for: a beam width (1 is greedy decoding) and, with greedy
/// decoding from an attention model, each word's attention map.
public struct CaptionRequestOptions: Sendable, Equatable {
  public var beam: Int
  public var attention: Bool
  public init(beam: Int = 1, attention: Bool = false) { (self.beam, self.attention) = (beam, attention) }
}

/// One image's caption from a batch: the words, their log-probabilities, `<end>`'s, and, when
/// asked, one attention map per word over the grid (`gridSide` × `gridSide`, row-major).
public struct BatchCaption: Sendable, Equatable {
  public var words: [String]
  public var wordLogProbabilities: [Float]
  public var endLogProbability: Float?
  public var attention: [[Float]]?
  public var gridSide: Int
  public var text: String { words.joined(separator: " ") }
}

/// Captions batches of images with one model, as `captionImage` would one at a time: one
/// encoder pass for the batch, then the greedy rows decoded together (shared among the cores,
/// or on one decoder when a row wants its attention maps, which the decoder exposes a step at
/// a time) and the beam rows searched one by one. Not thread-safe: one caller at a time.
public final class BatchCaptioner {
  public let model: CaptionModel
  let decoders: [CaptionDecoder]

  public init(model: CaptionModel) throws {
    try loadBLAS()
    self.model = model
    decoders = decodersPerCore(model.decoder)
    for decoder in decoders { decoder.weightsFixed = true }
    model.encoder.weightsFixed = true  // the kernels measured fastest for fixed weights, as captionImage's
    if model.encoder is CNNEncoder { _ = CalibratedTuning.current }  // measured now if never, not in a request
  }

  /// The floats one image takes: [3, S, S].
  public var inputCount: Int { 3 * model.encoder.imageSize * model.encoder.imageSize }
  public var hasAttention: Bool { model.decoder is AttentionDecoder }

  /// `inputs[i]` is image i's model input (`Image.modelInput(size:)`), `inputCount` floats.
  public func caption(inputs: [[Float]], options: [CaptionRequestOptions]) -> [BatchCaption] {
    precondition(inputs.count == options.count && !inputs.isEmpty && inputs.allSatisfy { $0.count == inputCount })
    let (n, size) = (inputs.count, model.encoder.imageSize)
    model.encoder.forward(images: Tensor(shape: [n, 3, size, size], values: inputs.flatMap { $0 }))
    let (grid, mean) = (model.encoder.grid, model.encoder.mean)
    var decoded = [DecodedCaption?](repeating: nil, count: n)
    var maps = [[[Float]]?](repeating: nil, count: n)
    let greedyRows = (0..<n).filter { options[$0].beam == 1 }
    if !greedyRows.isEmpty {
      let rows = greedyRows.count == n ? nil : greedyRows
      let greedyGrid = rows.map { gatherRows(grid, $0) } ?? grid
      let greedyMean = rows.map { gatherRows(mean, $0) } ?? mean
      let wantsMaps = greedyRows.contains { options[$0].attention }
      if wantsMaps, let decoder = model.decoder as? AttentionDecoder {
        var steps = [[Float]]()  // per step, [rows, L]
        let results = greedyDecode(decoder, grid: greedyGrid, mean: greedyMean) { _ in
          steps.append(decoder.stepAttention.values)
        }
        let l = model.encoder.gridShape.locations
        for (k, row) in greedyRows.enumerated() {
          decoded[row] = results[k]
          guard options[row].attention else { continue }
          maps[row] = steps.prefix(results[k].tokens.count).map { Array($0[(k * l)..<((k + 1) * l)]) }
        }
      } else {
        for (k, result) in greedyDecode(decoders, grid: greedyGrid, mean: greedyMean).enumerated() {
          decoded[greedyRows[k]] = result
        }
      }
    }
    for row in 0..<n where options[row].beam > 1 {
      decoded[row] = beamSearch(
        model.decoder, grid: grid.slice(row..<(row + 1)), mean: mean.slice(row..<(row + 1)), beams: options[row].beam)
    }
    return (0..<n).map { row in
      let result = decoded[row]!
      let words = result.tokens.map { model.vocabulary.words[Int($0)] }
      return BatchCaption(
        words: words, wordLogProbabilities: Array(result.logProbabilities.prefix(words.count)),
        endLogProbability: result.finished ? result.logProbabilities.last : nil, attention: maps[row],
        gridSide: model.encoder.gridShape.side)
    }
  }
}

/// The rows `rows` of `tensor` [N, …], in that order, as a new tensor.
func gatherRows(_ tensor: Tensor, _ rows: [Int]) -> Tensor {
  let width = tensor.count / tensor.size(0)
  var shape = tensor.shape
  shape[0] = rows.count
  var values = [Float]()
  values.reserveCapacity(rows.count * width)
  let all = tensor.values
  for row in rows { values += all[(row * width)..<((row + 1) * width)] }
  return Tensor(shape: shape, values: values)
}
