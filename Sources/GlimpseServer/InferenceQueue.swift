import Dispatch
import GlimpseIO
import GlimpseInference

#if canImport(Glibc)
import Glibc
#endif

/// A caption or a question waiting for the model thread, with the continuation its request
/// task waits on.
enum InferenceJob {
  case caption(input: [Float], options: CaptionRequestOptions, reply: CheckedContinuation<BatchCaption, any Error>)
  case ask(QuestionRequest, reply: CheckedContinuation<AnsweredQuestion, any Error>)

  var isCaption: Bool { if case .caption = self { return true } else { return false } }
}

/// What the queue has seen, for /metrics.
struct InferenceObserver: Sendable {
  var batchRan: @Sendable (_ route: String, _ size: Int) -> Void = { _, _ in }
  var depthChanged: @Sendable (Int) -> Void = { _ in }
}

/// The bounded queue in front of the models and the one thread that runs them. Requests
/// arriving within `window` of the oldest waiting one form one batch (up to `maxBatch`, all
/// captions or all questions); the model thread runs the batch through the batch paths, each
/// of which spreads its work over the cores itself. Past `limit` waiting jobs `submit` refuses,
/// so memory stays bounded under any load.
final class InferenceQueue: @unchecked Sendable {
  private var mutex = pthread_mutex_t()
  private var condition = pthread_cond_t()
  private var jobs: [(job: InferenceJob, arrived: UInt64)] = []
  private var stopped = false
  /// Requests whose handlers are reading or decoding and will submit soon: the only ones worth
  /// holding a batch open for. With none, a lone request runs at once instead of waiting out
  /// the window.
  private var preparing = 0
  /// Under load (the last batch held more than one job) a batch is held open for the window
  /// even when no request is on its way yet: the clients just answered will send their next.
  private var lastBatchSize = 0
  private let captioner: BatchCaptioner?
  private let answerer: BatchAnswerer?
  let limit: Int, maxBatch: Int, windowNanoseconds: UInt64, topAnswers: Int
  let observer: InferenceObserver
  private let finished = DispatchSemaphore(value: 0)

  init(
    captioner: BatchCaptioner?, answerer: BatchAnswerer?, limit: Int, maxBatch: Int, windowMilliseconds: Double,
    topAnswers: Int = 5, observer: InferenceObserver = InferenceObserver()
  ) {
    (self.captioner, self.answerer, self.limit, self.maxBatch) = (captioner, answerer, limit, maxBatch)
    windowNanoseconds = UInt64(max(0, windowMilliseconds) * 1e6)
    (self.topAnswers, self.observer) = (topAnswers, observer)
    pthread_mutex_init(&mutex, nil)
    var attributes = pthread_condattr_t()
    pthread_condattr_init(&attributes)
    pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
    pthread_cond_init(&condition, &attributes)
    pthread_condattr_destroy(&attributes)
    DispatchQueue(label: "glimpse.models").async { [self] in
      run()
      finished.signal()
    }
  }

  /// Runs a handler's reading and decoding, `prepare`, as a job on its way (see `preparing`),
  /// then queues the job it makes in the same step, so that no batch starts in between. Throws
  /// what `prepare` throws, or `ServiceError.busy` when the queue is full or stopped.
  func prepareAndSubmit<Value>(
    _ prepare: () async throws -> (CheckedContinuation<Value, any Error>) -> InferenceJob
  ) async throws -> Value {
    pthread_mutex_lock(&mutex)
    preparing += 1
    pthread_mutex_unlock(&mutex)
    let makeJob: (CheckedContinuation<Value, any Error>) -> InferenceJob
    do { makeJob = try await prepare() } catch {
      finishPreparing(nil)
      throw error
    }
    return try await withCheckedThrowingContinuation { reply in
      if !finishPreparing(makeJob(reply)) { reply.resume(throwing: ServiceError.busy) }
    }
  }

  /// One job fewer on its way, and `job` (if any) queued; false when it could not be.
  @discardableResult
  private func finishPreparing(_ job: InferenceJob?) -> Bool {
    pthread_mutex_lock(&mutex)
    defer { pthread_mutex_unlock(&mutex) }
    preparing -= 1
    pthread_cond_signal(&condition)
    guard let job, !stopped, jobs.count < limit else { return false }
    jobs.append((job, monotonicNanoseconds()))
    observer.depthChanged(jobs.count)
    return true
  }

  var depth: Int {
    pthread_mutex_lock(&mutex)
    defer { pthread_mutex_unlock(&mutex) }
    return jobs.count
  }

  /// Finishes the jobs already queued, refuses new ones, and returns when the thread is done.
  func stop() {
    pthread_mutex_lock(&mutex)
    let already = stopped
    stopped = true
    pthread_cond_signal(&condition)
    pthread_mutex_unlock(&mutex)
    if !already { finished.wait() }
  }

  private func run() {
    while let batch = nextBatch() {
      if batch[0].isCaption {
        runCaptions(batch)
      } else {
        runQuestions(batch)
      }
    }
  }

  /// Waits for a job, then, while other requests are on their way or the last batch was not
  /// alone, until `maxBatch` jobs of its kind wait or the window since it arrived has passed;
  /// takes them. Nil once stopped and empty.
  private func nextBatch() -> [InferenceJob]? {
    pthread_mutex_lock(&mutex)
    defer { pthread_mutex_unlock(&mutex) }
    while jobs.isEmpty && !stopped { pthread_cond_wait(&condition, &mutex) }
    guard !jobs.isEmpty else { return nil }
    let deadline = jobs[0].arrived + windowNanoseconds
    let kind = jobs[0].job.isCaption
    while !stopped && (preparing > 0 || lastBatchSize > 1)
      && jobs.lazy.filter({ $0.job.isCaption == kind }).count < maxBatch
    {
      let now = monotonicNanoseconds()
      if now >= deadline { break }
      var until = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
      pthread_cond_timedwait(&condition, &mutex, &until)
    }
    var batch = [InferenceJob](), rest = [(job: InferenceJob, arrived: UInt64)]()
    for entry in jobs {
      if entry.job.isCaption == kind && batch.count < maxBatch { batch.append(entry.job) } else { rest.append(entry) }
    }
    jobs = rest
    lastBatchSize = batch.count
    observer.depthChanged(jobs.count)
    return batch
  }

  private func runCaptions(_ batch: [InferenceJob]) {
    var inputs = [[Float]](), options = [CaptionRequestOptions](),
      replies = [CheckedContinuation<BatchCaption, any Error>]()
    for case .caption(let input, let option, let reply) in batch {
      inputs.append(input)
      options.append(option)
      replies.append(reply)
    }
    observer.batchRan("/v1/caption", batch.count)
    for (reply, caption) in zip(replies, captioner!.caption(inputs: inputs, options: options)) {
      reply.resume(returning: caption)
    }
  }

  private func runQuestions(_ batch: [InferenceJob]) {
    var requests = [QuestionRequest](), replies = [CheckedContinuation<AnsweredQuestion, any Error>]()
    for case .ask(let request, let reply) in batch {
      requests.append(request)
      replies.append(reply)
    }
    observer.batchRan("/v1/ask", batch.count)
    for (reply, answer) in zip(replies, answerer!.answer(requests, top: topAnswers)) { reply.resume(returning: answer) }
  }
}
