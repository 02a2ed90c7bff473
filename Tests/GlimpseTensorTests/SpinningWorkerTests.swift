import GlimpseTensor
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The parts write through raw buffers: both threads write at once, to different elements.
final class SpinningWorkerTests: XCTestCase {
  func counters(_ count: Int) -> UnsafeMutableBufferPointer<Int> {
    let buffer = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(count, 1))
    buffer.initialize(repeating: 0)
    addTeardownBlock { buffer.deallocate() }
    return buffer
  }

  /// Both parts run once, on two threads, and `run` returns only after both.
  func testRunDoesEachPartOnceOnTwoThreads() {
    for pause in [0, 2_000] {  // the second run finds the worker asleep (it spins for 50 µs)
      usleep(UInt32(pause))
      let calls = counters(2)
      let threads = UnsafeMutableBufferPointer<pthread_t>.allocate(capacity: 2)
      defer { threads.deallocate() }
      SpinningWorker.shared.run { part in
        usleep(1_000)  // returning early would leave the other part's count at 0
        calls[part] += 1
        threads[part] = pthread_self()
      }
      XCTAssertEqual(Array(calls), [1, 1])
      XCTAssertEqual(pthread_equal(threads[0], pthread_self()), 1, "part 0 runs on the caller")
      XCTAssertEqual(pthread_equal(threads[0], threads[1]), 0, "part 1 runs on the worker")
    }
  }

  /// Every chunk is taken exactly once, whichever thread takes it; `first` runs once, on the
  /// calling thread.
  func testChunksAreEachTakenOnce() {
    for count in [0, 1, 2, 17, 300] {
      let taken = counters(count)
      var firstRuns = 0
      SpinningWorker.shared.run(chunks: count, first: { firstRuns += 1 }) { chunk in taken[chunk] += 1 }
      XCTAssertEqual(Array(taken.prefix(count)), [Int](repeating: 1, count: count), "\(count) chunks")
      XCTAssertEqual(firstRuns, 1)
    }
  }

  /// A run inside a run (the worker is busy) does both of its parts on the calling thread.
  func testANestedRunStillDoesBothParts() {
    let inner = counters(4)
    SpinningWorker.shared.run { outer in
      SpinningWorker.shared.run { part in inner[2 * outer + part] += 1 }
    }
    XCTAssertEqual(Array(inner), [1, 1, 1, 1])
  }
}
