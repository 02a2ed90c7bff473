import Dispatch

/// Runs `body` with OpenBLAS on one thread (when `condition` holds), then restores the thread
/// count: for work that splits itself between the cores, where OpenBLAS's own threads would
/// only compete with it, or spin beside it when idle.
public func withOneBLASThread<R>(when condition: Bool = true, _ body: () throws -> R) rethrows -> R {
  guard condition else { return try body() }
  let threads = blasThreads
  blasThreads = 1
  defer { blasThreads = threads }
  return try body()
}

/// The `part`-th of `parts` contiguous shares of 0..<count, in order: the way work is split
/// between the cores, the same split on every run.
@inline(__always)
public func contiguousShare(_ count: Int, part: Int, of parts: Int) -> Range<Int> {
  (count * part / parts)..<(count * (part + 1) / parts)
}

/// Splits `rows` into `shares` contiguous ranges in order and runs body(share, range) for each
/// on its own thread, with OpenBLAS on one thread meanwhile; returns the results in share order.
/// One share runs on the calling thread with OpenBLAS as it is.
public func inParallelShares<Result>(_ shares: Int, rows: Int, _ body: (Int, Range<Int>) -> Result) -> [Result] {
  precondition(shares >= 1)
  @Sendable func range(_ share: Int) -> Range<Int> { contiguousShare(rows, part: share, of: shares) }
  guard shares > 1 else { return [body(0, range(0))] }
  var results = [Result?](repeating: nil, count: shares)
  withOneBLASThread {
    // Each share writes its own slot of `results`.
    withoutActuallyEscaping(body) { body in
      results.withUnsafeMutableBufferPointer { slots in
        nonisolated(unsafe) let (slots, body) = (slots, body)
        DispatchQueue.concurrentPerform(iterations: shares) { share in slots[share] = body(share, range(share)) }
      }
    }
  }
  return results.map { $0! }
}
