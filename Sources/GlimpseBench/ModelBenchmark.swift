import GlimpseCore
import GlimpseData
import GlimpseInference
import GlimpseLayers
import GlimpseModels
import GlimpseTensor
import GlimpseTraining

#if canImport(Glibc)
import Glibc
#endif

/// The glimpse-small models on synthetic inputs (V = 64 words, 32 answers, captions of the
/// spec's 16 tokens, questions of 8 words), as `glimpse bench` reports them:
/// - `train.<model>`: images/s of a whole training step (forward, backward, clipping, Adam) at
///   batch 32, and `train.<model>.gflops`: 3 × the forward pass's multiply-adds × 2 per image;
/// - `caption.<decoder>.b1`: ms to caption one image (encoder + 16 greedy steps, no early stop),
///   `caption.attention.beam3.b1`, `caption.attention.b32` (images/s); the attention decoder's
///   on weights float16 holds, as a shipped model's, and `caption.attention.b1.f32` on others;
/// - `vqa.<model>.b1`: ms to answer one question about one image;
/// - `train.peak-rss`: the process's peak resident memory after the training figures (MiB).
public enum BenchModel: String, CaseIterable, Sendable {
  case rnn, lstm, gru, attention
  case vqaConcat = "vqa-concat", vqaSAN = "vqa-san"
}

public let benchVocabulary = 64, benchAnswers = 32, benchQuestionWords = 8
/// The benchmarks compare glimpse-small, the spec's reference sizes.
let benchSizes = ModelSizes.glimpseSmall

/// Multiply-adds of one image's forward pass, counted from the layer shapes of the spec
/// (T = 15 decoder steps for the 16-token captions, 8 question words).
public func forwardMultiplyAdds(_ model: BenchModel) -> Int {
  let (e, h, a, v) = (benchSizes.embedding, benchSizes.hidden, benchSizes.attention, benchVocabulary)
  let (l, d) = (benchSizes.grid.locations, benchSizes.grid.features)
  let steps = benchSizes.maxTokens - 1
  let lstmStep = { (input: Int) in 4 * h * (input + h) }
  let question = benchQuestionWords * lstmStep(e)
  var total = CNNEncoder(sizes: benchSizes).forwardMultiplyAdds
  switch model {
  case .rnn: total += h * d + steps * (h * e + h * h + v * h)
  case .lstm: total += 2 * h * d + steps * (lstmStep(e) + v * h)
  case .gru: total += h * d + steps * (3 * h * (e + h) + v * h)
  case .attention: total += 2 * h * d + l * a * d + steps * (a * h + l * a + l * d + d * h + lstmStep(e + d) + v * h)
  case .vqaConcat: total += question + h * d + h * h + h * h + benchAnswers * h
  case .vqaSAN: total += question + d * h + 2 * (l * a * d + a * d + l * a + l * d) + benchAnswers * d
  }
  return total
}

func randomImages(_ batch: Int, _ random: inout SeededGenerator) -> Tensor {
  let images = Tensor(zeros: [batch, 3, benchSizes.imageSize, benchSizes.imageSize])
  for i in 0..<images.count { images.pointer[i] = random.nextUnit() }
  return images
}

func randomTokens(_ count: Int, _ random: inout SeededGenerator, below limit: Int) -> [Int32] {
  (0..<count).map { _ in Int32(4 + Int(random.next() % UInt64(limit - 4))) }
}

/// Teacher forcing's inputs and targets [batch, steps] for random captions of steps − 1 words.
func randomCaptions(_ batch: Int, steps: Int, below limit: Int, _ random: inout SeededGenerator) -> (
  inputs: [Int32], targets: [Int32]
) {
  var inputs = [Int32](), targets = [Int32]()
  for _ in 0..<batch {
    let words = randomTokens(steps - 1, &random, below: limit)
    inputs += [SpecialToken.start] + words
    targets += words + [SpecialToken.end]
  }
  return (inputs, targets)
}

/// images/s of training steps at `batch` for one model, and its effective GFLOP/s.
public func benchmarkTraining(_ model: BenchModel, batch: Int = 32, repeats: Int = 5) -> [Measurement] {
  var random = SeededGenerator(seed: 11)
  let images = randomImages(batch, &random)
  let step: () -> Void
  switch model {
  case .rnn, .lstm, .gru, .attention:
    let kind = DecoderKind(rawValue: model.rawValue)!
    let encoder = CNNEncoder(sizes: benchSizes)
    encoder.initialize(random: &random)
    let decoder = kind.make(vocabularySize: benchVocabulary, sizes: benchSizes)
    decoder.initialize(random: &random)
    let trainer = CaptionTrainer(encoder: encoder, decoder: decoder)
    let steps = benchSizes.maxTokens - 1
    let (inputs, targets) = randomCaptions(batch, steps: steps, below: benchVocabulary, &random)
    var adam = Adam(parameters: trainer.parameters.values)
    step = {
      _ = trainer.computeGradients(images: images, inputs: inputs, targets: targets)
      _ = clipGradientNorm(trainer.parameters.gradients, maxNorm: 5)
      adam.update(parameters: trainer.parameters.values, gradients: trainer.parameters.gradients)
    }
  case .vqaConcat, .vqaSAN:
    let vocabulary = Vocabulary.build(from: [(0..<(benchVocabulary - 4)).map { "w\($0)" }])
    let answers = try! AnswerVocabulary(answers: (0..<benchAnswers).map { "a\($0)" })
    let answering = AnsweringModel(
      kind: model == .vqaSAN ? .san : .concat, vocabulary: vocabulary, answers: answers, random: &random)
    let trainer = VQATrainer(model: answering)
    let questions = randomTokens(batch * benchQuestionWords, &random, below: benchVocabulary)
    let targets = (0..<batch).map { _ in Int32(random.next() % UInt64(benchAnswers)) }
    var adam = Adam(parameters: answering.parameters.values)
    step = {
      _ = trainer.computeGradients(images: images, questions: questions, steps: benchQuestionWords, targets: targets)
      _ = clipGradientNorm(answering.parameters.gradients, maxNorm: 5)
      adam.update(parameters: answering.parameters.values, gradients: answering.parameters.gradients)
    }
  }
  let seconds = timeRepeats(warmup: 2, repeats: repeats, step)
  let flop = 3 * 2 * Double(forwardMultiplyAdds(model)) * Double(batch)
  return [
    Measurement(name: "train.\(model.rawValue)", unit: "images/s", samples: seconds.map { Double(batch) / $0 }),
    Measurement(name: "train.\(model.rawValue).gflops", unit: "GFLOP/s", samples: seconds.map { flop / $0 / 1e9 }),
  ]
}

/// Captioning latency and throughput with untrained weights: greedy steps always run all 16
/// steps (the argmax is fed back, `<end>` or not), so every run does the same work. The
/// decoders keep token projections across runs, as a loaded model's do, so the warm-ups
/// leave every token the timed runs meet projected (untrained weights repeat a few tokens,
/// and a run from an empty cache would depend on how many).
public func benchmarkCaptioning(repeats: Int = 20) -> [Measurement] {
  var random = SeededGenerator(seed: 12)
  var results = [Measurement]()
  let encoder = CNNEncoder(sizes: benchSizes)
  encoder.initialize(random: &random)
  encoder.weightsFixed = true  // as a served model's are
  let one = randomImages(1, &random), batch = randomImages(32, &random)
  func greedy(_ decoders: [CaptionDecoder], _ images: Tensor) {
    encoder.forward(images: images)
    greedySteps(decoders, grid: encoder.grid, mean: encoder.mean, steps: benchSizes.maxTokens)
  }
  for kind in DecoderKind.allCases {
    let decoder = kind.make(vocabularySize: benchVocabulary, sizes: benchSizes)
    decoder.initialize(random: &random)
    let decoders = decodersPerCore(decoder)
    for decoder in decoders { decoder.weightsFixed = true }  // as a served model's are
    let seconds = timeRepeats(warmup: 3, repeats: repeats) { greedy(decoders, one) }
    let weights = kind == .attention ? ".f32" : ""  // the attention decoder's is measured as shipped below
    results.append(
      Measurement(name: "caption.\(kind.rawValue).b1\(weights)", unit: "ms", samples: seconds.map { $0 * 1000 }))
    if kind == .attention {
      holdAsShipped(decoders)
      let shipped = timeRepeats(warmup: 3, repeats: repeats) { greedy(decoders, one) }
      results.append(Measurement(name: "caption.attention.b1", unit: "ms", samples: shipped.map { $0 * 1000 }))
      let beam = timeRepeats(warmup: 3, repeats: repeats) {
        encoder.forward(images: one)
        _ = beamSearch(decoder, grid: encoder.grid, mean: encoder.mean, beams: 3)
      }
      results.append(Measurement(name: "caption.attention.beam3.b1", unit: "ms", samples: beam.map { $0 * 1000 }))
      let many = timeRepeats(warmup: 2, repeats: max(3, repeats / 4)) { greedy(decoders, batch) }
      results.append(Measurement(name: "caption.attention.b32", unit: "images/s", samples: many.map { 32 / $0 }))
    }
  }
  return results
}

/// Rounds the decoder's weights to float16, as a shipped (F16) model holds them, and fixes them
/// again, so that the attention decoder's few-row steps read its float16 copies. `.f32`
/// figures are the same steps before, on weights float16 does not hold.
func holdAsShipped(_ decoders: [CaptionDecoder]) {
  for decoder in decoders { decoder.weightsFixed = false }
  for parameter in decoders[0].parameters {
    for i in 0..<parameter.value.count { parameter.value.pointer[i] = Float(Float16(parameter.value.pointer[i])) }
  }
  for decoder in decoders { decoder.weightsFixed = true }
}

/// `steps` greedy steps for every row of grid [B, L, D], shared out among the cores as
/// `captionAll` does; the argmax is fed back whether it is `<end>` or not.
func greedySteps(_ decoders: [CaptionDecoder], grid: Tensor, mean: Tensor, steps: Int) {
  let vocabulary = decoders[0].vocabularySize
  _ = decodeInParallel(decoders, rows: grid.size(0)) { decoder, rows -> [Int32] in
    decoder.beginDecoding(grid: grid.slice(rows), mean: mean.slice(rows))
    var tokens = [Int32](repeating: SpecialToken.start, count: rows.count)
    for _ in 0..<steps {
      let logits = decoder.decodeStep(tokens: tokens)
      for row in 0..<tokens.count {
        let p = logits.pointer + row * vocabulary
        var best = 0
        for k in 1..<vocabulary where p[k] > p[best] { best = k }
        tokens[row] = Int32(best)
      }
    }
    return tokens
  }
}

/// One VQA answer: encoder and head on one image and an 8-word question, in ms.
public func benchmarkAnswering(repeats: Int = 20) -> [Measurement] {
  var random = SeededGenerator(seed: 13)
  let vocabulary = Vocabulary.build(from: [(0..<(benchVocabulary - 4)).map { "w\($0)" }])
  let answers = try! AnswerVocabulary(answers: (0..<benchAnswers).map { "a\($0)" })
  let image = randomImages(1, &random)
  let question = randomTokens(benchQuestionWords, &random, below: benchVocabulary)
  return [VQAKind.concat, .san].map { kind in
    let model = AnsweringModel(kind: kind, vocabulary: vocabulary, answers: answers, random: &random)
    model.encoder.weightsFixed = true  // as a served model's are
    let seconds = timeRepeats(warmup: 3, repeats: repeats) {
      model.encoder.forward(images: image)
      _ = model.head.forward(
        grid: model.encoder.grid, mean: model.encoder.mean, questions: question, batch: 1, steps: benchQuestionWords)
    }
    return Measurement(name: "vqa.\(kind.rawValue).b1", unit: "ms", samples: seconds.map { $0 * 1000 })
  }
}

/// The process's peak resident memory so far, in MiB (a single figure).
public func peakResidentMiB(name: String) -> Measurement {
  var usage = rusage()
  getrusage(RUSAGE_SELF.rawValue, &usage)
  return Measurement(name: name, unit: "MiB", samples: [Double(usage.ru_maxrss) / 1024])
}

/// The parts of the suite, in the order `glimpse bench` runs them: each model's training figures,
/// then captioning, VQA, the kernels (the encoder and sgemm) and the photo configuration.
public let benchSuiteParts =
  BenchModel.allCases.map { "train.\($0.rawValue)" } + ["caption", "vqa", "kernels", "photo"]

/// The suite's `parts` (all by default), in the order `glimpse bench` prints them; `progress`
/// hears each part's name. The peak resident memory follows the training figures.
public func benchmarkSuite(parts: [String] = benchSuiteParts, repeats: Int = 5, progress: (String) -> Void = { _ in })
  -> [Measurement]
{
  var results = [Measurement]()
  for model in BenchModel.allCases where parts.contains("train.\(model.rawValue)") {
    progress("train.\(model.rawValue)")
    results += benchmarkTraining(model, repeats: repeats)
  }
  if parts.contains(where: { $0.hasPrefix("train.") }) { results.append(peakResidentMiB(name: "train.peak-rss")) }
  if parts.contains("caption") {
    progress("caption")
    results += benchmarkCaptioning(repeats: 4 * repeats)
  }
  if parts.contains("vqa") {
    progress("vqa")
    results += benchmarkAnswering(repeats: 4 * repeats)
  }
  if parts.contains("kernels") {
    progress("encoder and sgemm")
    let kernels = benchmarkKernels(repeats: 2 * repeats)
    let first = ["encoder.forward.b32", "sgemm.encoder-shapes", "sgemm.ceiling"]
    results += kernels.filter { first.contains($0.name) } + kernels.filter { !first.contains($0.name) }
  }
  if parts.contains("photo") {
    progress("photo")
    results += benchmarkPhotoEncoder(repeats: 2 * repeats) + benchmarkPhotoDecoders(repeats: 2 * repeats)
  }
  return results
}
