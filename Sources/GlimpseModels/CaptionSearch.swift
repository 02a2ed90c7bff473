import GlimpseCore
import GlimpseLayers
import GlimpseTensor

/// A decoded caption: its words' ids (no `<start>`, no `<end>`), each token's log-probability
/// (including `<end>` when reached), and whether it reached `<end>`.
public struct DecodedCaption: Equatable, Sendable {
  public var tokens: [Int32]
  public var logProbabilities: [Float]
  public var finished: Bool

  /// Σ log p over the tokens scored (words and `<end>`).
  public var logProbability: Float { logProbabilities.reduce(0, +) }
  /// The length-normalised score beam search ranks by.
  public var normalisedScore: Float { logProbability / Float(max(logProbabilities.count, 1)) }
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// log softmax of one row of logits, into `out`.
func logSoftmax(_ logits: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count: Int) {
  var largest = logits[0]
  for i in 1..<count { largest = max(largest, logits[i]) }
  var sum: Double = 0
  for i in 0..<count { sum += Double(fastExp(logits[i] - largest)) }
  let shift = largest + Float(log(sum))
  for i in 0..<count { out[i] = logits[i] - shift }
}

/// Tokens a caption may contain or end with: never `<pad>` or `<start>`.
@inline(__always) func isEmittable(_ token: Int) -> Bool {
  Int32(token) != SpecialToken.pad && Int32(token) != SpecialToken.start
}

// The three searches share one rule for the length limit: a caption has at most `maxTokens`
// words (by default the model's: its training captions' length less `<start>` and `<end>`), so at most maxTokens + 1
// steps with its `<end>`. At the last step `<end>` finishes the
// caption if it is what the search picks; otherwise the caption stays unfinished at maxTokens
// words (and is still returned).

/// Greedy decoding of N images at once (rows of grid [N, L, D] and mean [N, D]): the most
/// likely token at every step. `observe` is called after each step with its index, while the
/// decoder's per-step state (such as its attention) is that step's.
public func greedyDecode(
  _ decoder: CaptionDecoder, grid: Tensor, mean: Tensor, maxTokens: Int? = nil,
  observe: (Int) -> Void = { _ in }
) -> [DecodedCaption] {
  let n = mean.size(0), v = decoder.vocabularySize, maxTokens = maxTokens ?? decoder.maxWords
  decoder.beginDecoding(grid: grid, mean: mean)
  var results = [DecodedCaption](repeating: DecodedCaption(tokens: [], logProbabilities: [], finished: false), count: n)
  var done = [Bool](repeating: false, count: n)
  var tokens = [Int32](repeating: SpecialToken.start, count: n)
  var logProbabilities = [Float](repeating: 0, count: v)
  for step in 0...maxTokens where done.contains(false) {
    let logits = decoder.decodeStep(tokens: tokens)
    observe(step)
    for row in 0..<n where !done[row] {
      logSoftmax(logits.pointer + row * v, &logProbabilities, count: v)
      var best = Int(SpecialToken.end)
      for token in 0..<v where isEmittable(token) && logProbabilities[token] > logProbabilities[best] { best = token }
      if Int32(best) == SpecialToken.end {
        results[row].logProbabilities.append(logProbabilities[best])
        results[row].finished = true
        done[row] = true
      } else if step == maxTokens {
        done[row] = true  // no room for another word: unfinished
      } else {
        results[row].logProbabilities.append(logProbabilities[best])
        results[row].tokens.append(Int32(best))
        tokens[row] = Int32(best)
      }
    }
  }
  return results
}

/// Greedy decoding with the rows shared out among `decoders` (a decoder and its replicas),
/// each share on its own core; the captions are those one decoder would give.
public func greedyDecode(
  _ decoders: [CaptionDecoder], grid: Tensor, mean: Tensor,
  maxTokens: Int? = nil
) -> [DecodedCaption] {
  decodeInParallel(decoders, rows: mean.size(0)) { decoder, rows in
    greedyDecode(decoder, grid: grid.slice(rows), mean: mean.slice(rows), maxTokens: maxTokens)
  }
}

/// The decoder and a replica of it for each further core, for `greedyDecode` and
/// `decodeInParallel`; with `ownGradients`, replicas that can train their share too.
public func decodersPerCore(_ decoder: CaptionDecoder, ownGradients: Bool = false) -> [CaptionDecoder] {
  [decoder] + (1..<ExecutionCores.count).map { _ in decoder.replica(ownGradients: ownGradients) }
}

/// The fewest rows `decodeInParallel` gives a share by default.
public let decodingShareMinimumRows = 4

/// Splits `rows` rows into one contiguous share per decoder and runs `body` for each share on
/// its own thread, with OpenBLAS on one thread meanwhile, and joins the results in row order.
/// A batch step's GEMMs are too small to split well across cores (each call would pack every
/// weight matrix and hand off between the threads), but whole shares of the batch split well.
/// Fewer than `minimumRows` rows per share run as one share on the calling thread.
public func decodeInParallel<Result>(
  _ decoders: [CaptionDecoder], rows: Int, minimumRows: Int = decodingShareMinimumRows,
  _ body: (CaptionDecoder, Range<Int>) -> [Result]
) -> [Result] {
  let shares = decodingShares(decoders, rows: rows, minimumRows: minimumRows)
  return inParallelShares(shares, rows: rows) { share, range in body(decoders[share], range) }.flatMap { $0 }
}

/// How many shares `decodeInParallel` makes of `rows` rows: one per decoder, each of at least
/// `minimumRows` rows, and at least one.
public func decodingShares(_ decoders: [CaptionDecoder], rows: Int, minimumRows: Int = decodingShareMinimumRows) -> Int
{
  max(1, min(decoders.count, rows / minimumRows))
}

/// Beam search over one image (grid [1, L, D], mean [1, D]) with `beams` hypotheses decoded
/// together as the rows of one batch. A hypothesis that picks `<end>` is set aside as
/// finished; the search stops when `beams` have finished or no live one is left. The best
/// finished hypothesis by length-normalised log-probability wins; if none finished, the best
/// unfinished one is returned rather than nothing. With one beam it is greedy decoding.
public func beamSearch(_ decoder: CaptionDecoder, grid: Tensor, mean: Tensor, beams: Int, maxTokens: Int? = nil)
  -> DecodedCaption
{
  precondition(beams >= 1 && mean.size(0) == 1, "beam search decodes one image")
  let v = decoder.vocabularySize, maxTokens = maxTokens ?? decoder.maxWords
  let (l, d) = (grid.size(1), grid.size(2))
  let rowsGrid = Tensor(zeros: [beams, l, d]), rowsMean = Tensor(zeros: [beams, d])
  for row in 0..<beams { rowsGrid.slice(row).assign(grid.slice(0)); rowsMean.slice(row).assign(mean.slice(0)) }
  decoder.beginDecoding(grid: rowsGrid, mean: rowsMean)

  var alive = [DecodedCaption(tokens: [], logProbabilities: [], finished: false)]  // one live row at first
  var finished = [DecodedCaption](), unfinished = [DecodedCaption]()
  var logProbabilities = [Float](repeating: 0, count: beams * v)
  var candidates = [(score: Float, row: Int, token: Int32)]()
  candidates.reserveCapacity(beams + 1)
  for step in 0...maxTokens {
    let lastTokens = (0..<beams).map { row in
      row < alive.count ? (alive[row].tokens.last ?? SpecialToken.start) : SpecialToken.pad
    }
    let logits = decoder.decodeStep(tokens: lastTokens)
    for row in 0..<alive.count { logSoftmax(logits.pointer + row * v, &logProbabilities[row * v], count: v) }
    bestExtensions(
      bases: alive.map(\.logProbability), logProbabilities: logProbabilities, vocabulary: v, count: beams,
      into: &candidates)
    var next = [DecodedCaption](), sources = [Int]()
    for candidate in candidates {
      var extended = alive[candidate.row]
      if candidate.token == SpecialToken.end {
        extended.logProbabilities.append(logProbabilities[candidate.row * v + Int(candidate.token)])
        extended.finished = true
        finished.append(extended)
      } else if step == maxTokens {
        unfinished.append(extended)  // no room for another word
      } else {
        extended.logProbabilities.append(logProbabilities[candidate.row * v + Int(candidate.token)])
        extended.tokens.append(candidate.token)
        next.append(extended)
        sources.append(candidate.row)
      }
    }
    if finished.count >= beams || next.isEmpty { break }
    alive = next
    decoder.reorderRows(sources + [Int](repeating: sources[0], count: beams - sources.count))
  }
  let pool = finished.isEmpty ? unfinished + alive : finished
  return pool.max { $0.normalisedScore < $1.normalisedScore }!
}

/// The `count` best extensions of the hypotheses whose log-probabilities are `bases` (row r's
/// next-token log-probabilities at logProbabilities[r·V...]), best first by total log-probability,
/// ties by row, then token: as sorting every extension would order them, but kept in a short
/// sorted list as the V·beams extensions pass (sorting them all took a millisecond a step at
/// V = 10,000).
func bestExtensions(
  bases: [Float], logProbabilities: [Float], vocabulary v: Int, count: Int,
  into best: inout [(score: Float, row: Int, token: Int32)]
) {
  best.removeAll(keepingCapacity: true)
  for (row, base) in bases.enumerated() {
    for token in 0..<v where isEmittable(token) {
      let score = base + logProbabilities[row * v + token]
      // Rows and tokens arrive in increasing order, so a tie never outranks a kept candidate.
      guard best.count < count || score > best[best.count - 1].score else { continue }
      var position = best.count
      while position > 0 && score > best[position - 1].score { position -= 1 }
      best.insert((score, row, Int32(token)), at: position)
      if best.count > count { best.removeLast() }
    }
  }
}

/// Sampling with a temperature: each token drawn from softmax(logits / temperature) over the
/// emittable tokens; the log-probabilities reported are the model's own (temperature 1).
public func sampleDecode(
  _ decoder: CaptionDecoder, grid: Tensor, mean: Tensor, temperature: Float, random: inout SeededGenerator,
  maxTokens: Int? = nil
) -> DecodedCaption {
  precondition(temperature > 0 && mean.size(0) == 1, "sampling decodes one image with a positive temperature")
  let v = decoder.vocabularySize, maxTokens = maxTokens ?? decoder.maxWords
  decoder.beginDecoding(grid: grid, mean: mean)
  var result = DecodedCaption(tokens: [], logProbabilities: [], finished: false)
  var scaled = [Float](repeating: 0, count: v), tempered = [Float](repeating: 0, count: v),
    logProbabilities = [Float](repeating: 0, count: v)
  var token = SpecialToken.start
  for step in 0...maxTokens {
    let logits = decoder.decodeStep(tokens: [token])
    logSoftmax(logits.pointer, &logProbabilities, count: v)
    for i in 0..<v { scaled[i] = isEmittable(i) ? logits.pointer[i] / temperature : -Float.infinity }
    logSoftmax(scaled, &tempered, count: v)
    var draw = random.nextUnit(), chosen = Int(SpecialToken.end)
    for i in 0..<v where isEmittable(i) {
      let p = fastExp(tempered[i])
      chosen = i
      if draw < p { break }
      draw -= p
    }
    if Int32(chosen) == SpecialToken.end {
      result.logProbabilities.append(logProbabilities[chosen])
      result.finished = true
      break
    }
    if step == maxTokens { break }  // no room for another word: unfinished
    result.logProbabilities.append(logProbabilities[chosen])
    result.tokens.append(Int32(chosen))
    token = Int32(chosen)
  }
  return result
}
