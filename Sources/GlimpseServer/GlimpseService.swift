import GlimpseData
import GlimpseIO
import GlimpseImage
import GlimpseInference
import Hummingbird

/// The service behind the routes: the models it was started with, the queue in front of them,
/// and what each route answers. Handlers decode and check a request on its own task (so that
/// images are decoded on all cores at once) and hand only the model's work to the queue.
public final class GlimpseService: Sendable {
  let configuration: ServerConfiguration
  let metrics = ServerMetrics()
  let queue: InferenceQueue
  let captionInfo: ModelInfo?, vqaInfo: ModelInfo?

  /// What /v1/models says of a model and what a handler needs to prepare its input.
  struct ModelInfo: Sendable {
    var name: String
    var config: JSONValue
    var imageSize: Int
    var gridSide: Int
    var hasAttention: Bool
    var vocabulary: Vocabulary?
  }

  /// Loads the models named in `configuration` (every failure names its folder) and starts
  /// the model thread.
  public init(configuration: ServerConfiguration) throws {
    self.configuration = configuration
    let captioner = try configuration.captionModel.map { try BatchCaptioner(model: CaptionModel.load(folder: $0)) }
    let answerer = try configuration.vqaModel.map { try BatchAnswerer(model: AnsweringModel.load(folder: $0)) }
    captionInfo = try captioner.map { c in
      try ModelInfo(
        name: folderName(configuration.captionModel!), config: readModelConfig(folder: configuration.captionModel!).0,
        imageSize: c.model.encoder.imageSize, gridSide: c.model.encoder.gridShape.side, hasAttention: c.hasAttention,
        vocabulary: nil)
    }
    vqaInfo = try answerer.map { a in
      try ModelInfo(
        name: folderName(configuration.vqaModel!), config: readModelConfig(folder: configuration.vqaModel!).0,
        imageSize: a.model.encoder.imageSize, gridSide: a.model.encoder.gridShape.side, hasAttention: false,
        vocabulary: a.model.vocabulary)
    }
    let metrics = metrics
    queue = InferenceQueue(
      captioner: captioner, answerer: answerer, limit: configuration.queueLimit, maxBatch: configuration.maxBatch,
      windowMilliseconds: configuration.batchWindowMilliseconds,
      observer: InferenceObserver(
        batchRan: { metrics.batchRan(route: $0, size: $1) }, depthChanged: { metrics.queueDepth.set(to: Double($0)) }))
  }

  /// Lets the queued work finish and stops the model thread.
  public func shutDown() { queue.stop() }

  func caption(_ request: Request) async throws -> JSONValue {
    let start = monotonicNanoseconds()
    guard let info = captionInfo else {
      throw ServiceError(
        status: .notFound, message: "this server has no captioning model (start it with --caption-model)")
    }
    let caption: BatchCaption = try await queue.prepareAndSubmit {
      let body = try await readBody(
        request, limit: configuration.maxBodyBytes, timeoutSeconds: configuration.bodyTimeoutSeconds)
      let fields = try RequestFields(request: request, body: body, acceptsJSON: false)
      let beam = try fields.integer("beam", default: 1, in: 1...configuration.maxBeam)
      let attention = try fields.flag("attention")
      if attention && !info.hasAttention {
        throw ServiceError.badRequest("the model '\(info.name)' has no attention; leave out 'attention'")
      }
      if attention && beam > 1 { throw ServiceError.badRequest("attention maps come with greedy decoding; use beam 1") }
      let input = try fields.decodedImage(maxPixels: configuration.maxPixels).modelInput(size: info.imageSize)
      let options = CaptionRequestOptions(beam: beam, attention: attention)
      return { .caption(input: input, options: options, reply: $0) }
    }
    var members: [(String, JSONValue)] = [
      ("caption", .string(caption.text)),
      (
        "tokens",
        .array(
          zip(caption.words, caption.wordLogProbabilities).map {
            .object([("word", .string($0)), ("logprob", .float($1))])
          })
      ),
    ]
    if let maps = caption.attention {
      members.append(
        (
          "attention",
          .object([("grid", .number(Double(caption.gridSide))), ("maps", .array(maps.map(JSONValue.floats)))])
        ))
    }
    members += [("model", .string(info.name)), ("ms", milliseconds(since: start))]
    return .object(members)
  }

  func ask(_ request: Request) async throws -> JSONValue {
    let start = monotonicNanoseconds()
    guard let info = vqaInfo, let vocabulary = info.vocabulary else {
      throw ServiceError(status: .notFound, message: "this server has no VQA model (start it with --vqa-model)")
    }
    let answered: AnsweredQuestion = try await queue.prepareAndSubmit {
      let body = try await readBody(
        request, limit: configuration.maxBodyBytes, timeoutSeconds: configuration.bodyTimeoutSeconds)
      let fields = try RequestFields(request: request, body: body, acceptsJSON: true)
      guard let question = fields.values["question"] else {
        throw ServiceError.badRequest("no question: send the field 'question'")
      }
      let encoded: (ids: [Int32], unknown: [String])
      do { encoded = try encodeAnswerableQuestion(question, vocabulary: vocabulary) } catch let error as QuestionError {
        throw ServiceError.badRequest(error.description)
      }
      let input = try fields.decodedImage(maxPixels: configuration.maxPixels).modelInput(size: info.imageSize)
      let job = QuestionRequest(input: input, question: question, ids: encoded.ids, unknown: encoded.unknown)
      return { .ask(job, reply: $0) }
    }
    var members: [(String, JSONValue)] = [
      ("answer", .string(answered.answer)),
      ("top", .array(answered.top.map { .object([("answer", .string($0.answer)), ("p", .float($0.probability))]) })),
      ("unknown_words", .array(answered.unknownWords.map(JSONValue.string))),
    ]
    if !answered.hopMaps.isEmpty {
      members.append(
        (
          "hops",
          .object([
            ("grid", .number(Double(answered.gridSide))), ("maps", .array(answered.hopMaps.map(JSONValue.floats))),
          ])
        ))
    }
    members += [("model", .string(info.name)), ("ms", milliseconds(since: start))]
    return .object(members)
  }

  var models: JSONValue {
    func describe(_ info: ModelInfo?) -> JSONValue {
      guard let info else { return .null }
      return .object([("name", .string(info.name)), ("config", info.config)])
    }
    return .object([("caption", describe(captionInfo)), ("vqa", describe(vqaInfo))])
  }
}

private func milliseconds(since start: UInt64) -> JSONValue {
  .number((Double(monotonicNanoseconds() - start) / 1e4).rounded() / 100)
}

private func folderName(_ path: String) -> String {
  String(path.split(separator: "/").last ?? Substring(path))
}
