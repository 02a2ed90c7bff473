import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A second thread for work that comes in pieces of tens of microseconds, such as one decoder
/// step for one image: waking a sleeping thread (or a Dispatch worker) costs about as much as
/// such a piece. `run` hands the worker its part and does its own, and between runs the worker
/// spins for `spinNanoseconds` before it sleeps, so a caption's 16 steps find it awake.
/// One run at a time: a run that finds the worker busy does both parts on the calling thread.
public final class SpinningWorker: @unchecked Sendable {
  /// The one worker of the process (the machine has two cores: the caller's and this one).
  public static let shared = SpinningWorker()

  /// How long the worker waits for the next run, busy, before it sleeps: longer than the gaps
  /// between a decoder's steps, short against the work that follows a caption (the next image's
  /// encoder), which the spinning would slow.
  public static let spinNanoseconds: UInt64 = 50_000

  private let posted = Atomic<Int>(0)  // runs handed to the worker
  private let finished = Atomic<Int>(0)  // runs whose worker part has returned
  private let sleeping = Atomic<Bool>(false)
  private let running = Atomic<Bool>(false)
  private let next = Atomic<Int>(0)  // the next chunk to take in a chunked run
  private let wake = DispatchSemaphore(value: 0)  // an extra signal only makes the next sleep return at once
  private var started = false  // written only while `running` is held
  private var task: ((Int) -> Void)?  // the current run's body, set before `posted` moves
  private var chunked: ChunkedWork?  // or the current chunked run's work, with its chunk count
  private var chunkCount = 0

  /// Runs body(0) on the calling thread and body(1) on the worker, and returns when both have.
  public func run(_ body: (Int) -> Void) {
    withoutActuallyEscaping(body) { body in
      handOver(
        post: { task = body }, mine: { body(0) },
        alone: {
          body(0); body(1)
        })
    }
  }

  /// Deals chunks 0..<count to both threads, each taking the next one when it is free; the
  /// calling thread first runs `first`. Which thread computes a chunk does not change it, so
  /// the result is the same on every run.
  public func run(chunks count: Int, first: () -> Void = {}, _ chunk: (Int) -> Void) {
    next.store(0, ordering: .relaxed)
    run { part in
      if part == 0 { first() }
      takeChunks(count, chunk)
    }
  }

  /// As `run(chunks:first:_:)`, for work its owner keeps from one run to the next: a closure
  /// handed to another thread needs its context on the heap, one allocation a run, which a
  /// decoding step's few products should not make.
  public func run(chunks count: Int, _ work: ChunkedWork) {
    handOver(
      post: {
        next.store(0, ordering: .relaxed)
        (chunked, chunkCount) = (work, count)
      },
      mine: {
        work.first()
        takeChunks(count) { work.chunk($0) }
      },
      alone: {
        work.first()
        for index in 0..<count { work.chunk(index) }
      })
  }

  /// Every run's hand-over: when the worker is free and started, `post` sets the run up for it
  /// before it is woken, this thread runs `mine`, then waits for the worker's part; otherwise
  /// `alone` runs both parts on this thread.
  private func handOver(post: () -> Void, mine: () -> Void, alone: () -> Void) {
    guard running.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
      return alone()
    }
    defer { running.store(false, ordering: .releasing) }
    if !started { started = startThread() }
    guard started else { return alone() }
    post()
    let ticket = posted.add(1, ordering: .sequentiallyConsistent).newValue
    if sleeping.load(ordering: .sequentiallyConsistent) { wake.signal() }
    mine()
    // After some 10 µs of waiting, yield: if the worker shares this core (a process held to
    // one CPU), it runs only when this thread lets it.
    var spins = 0
    while finished.load(ordering: .acquiring) != ticket {
      spins += 1
      if spins > 10_000 { sched_yield() }
    }
    (task, chunked) = (nil, nil)
  }

  /// Takes the next chunk of the run until none is left.
  private func takeChunks(_ count: Int, _ chunk: (Int) -> Void) {
    while true {
      let index = next.add(1, ordering: .relaxed).oldValue
      guard index < count else { break }
      chunk(index)
    }
  }

  private func startThread() -> Bool {
    var thread = pthread_t()
    let context = Unmanaged.passRetained(self).toOpaque()
    let status = pthread_create(
      &thread, nil,
      { context in
        Unmanaged<SpinningWorker>.fromOpaque(context!).takeUnretainedValue().serve()
        return nil
      }, context)
    guard status == 0 else {
      Unmanaged<SpinningWorker>.fromOpaque(context).release()
      return false
    }
    pthread_detach(thread)
    return true
  }

  private func serve() -> Never {
    var seen = 0
    while true {
      var idleSince: UInt64 = 0
      while posted.load(ordering: .acquiring) == seen {
        let now = monotonicNanoseconds()
        if idleSince == 0 {
          idleSince = now
        } else if now - idleSince > Self.spinNanoseconds {
          sleeping.store(true, ordering: .sequentiallyConsistent)
          if posted.load(ordering: .sequentiallyConsistent) == seen { wake.wait() }
          sleeping.store(false, ordering: .sequentiallyConsistent)
          idleSince = 0
        }
      }
      seen += 1
      if let work = chunked { takeChunks(chunkCount) { work.chunk($0) } } else { task!(1) }
      finished.store(seen, ordering: .releasing)
    }
  }
}

private func monotonicNanoseconds() -> UInt64 {
  var time = timespec()
  clock_gettime(CLOCK_MONOTONIC, &time)
  return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

/// Work that `SpinningWorker.run(chunks:_:)` deals out in chunks to both threads.
public protocol ChunkedWork: AnyObject {
  /// Runs on the calling thread before it takes chunks, while the worker starts on them.
  func first()
  /// Chunk `index`; which thread runs it must not change the result.
  func chunk(_ index: Int)
}
