import GlimpseDistributed
import XCTest

@testable import GlimpseCore

/// Ranks that know their rank and the job's size, for checking how a batch is shared out.
final class FixedRanks: Communicator, @unchecked Sendable {
  let rank: Int
  let size: Int
  let callableFromAnyThread = false
  init(rank: Int, size: Int) { (self.rank, self.size) = (rank, size) }
  func sumOverRanks(_ values: UnsafeMutableBufferPointer<Float>) throws(DistributedError) {}
  func broadcast(_ bytes: UnsafeMutableRawBufferPointer, from root: Int) throws(DistributedError) {}
  func gather(_ bytes: UnsafeRawBufferPointer) throws(DistributedError) -> [UInt8] { Array(bytes) }
  func finish() throws(DistributedError) {}
  func abortJob(code: Int32) -> Never { fatalError("abortJob(\(code))") }
}

final class RankSharesTests: XCTestCase {
  func testSharesCoverTheBatchOnceInRankOrder() {
    for (count, size) in [(16, 2), (32, 4), (10, 3), (5, 5), (7, 4)] {
      let shares = (0..<size).map { FixedRanks(rank: $0, size: size).share(of: count) }
      XCTAssertEqual(shares.first?.lowerBound, 0)
      XCTAssertEqual(shares.last?.upperBound, count)
      for (a, b) in zip(shares, shares.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound) }
      XCTAssertLessThanOrEqual(shares.map(\.count).max()! - shares.map(\.count).min()!, 1)
    }
    XCTAssertEqual(FixedRanks(rank: 1, size: 3).share(of: 10), 4..<7)
    XCTAssertEqual(SingleProcess().share(of: 32), 0..<32)
  }

  func testOneProcessIsTheIdentity() throws {
    var values: [Float] = [1, 2, 3]
    try values.withUnsafeMutableBufferPointer { try SingleProcess().sumOverRanks($0) }
    XCTAssertEqual(values, [1, 2, 3])
    XCTAssertEqual(try [UInt8]([4, 5]).withUnsafeBytes { try SingleProcess().gather($0) }, [4, 5])
  }

  /// The cores of the affinity mask, as /proc/self/status lists them.
  func testCPUListsAreCounted() {
    XCTAssertEqual(ExecutionCores.countCPUs(inList: "\t0-1\n"), 2)
    XCTAssertEqual(ExecutionCores.countCPUs(inList: "0"), 1)
    XCTAssertEqual(ExecutionCores.countCPUs(inList: " 0-3,8,10-11\n"), 7)
    XCTAssertNil(ExecutionCores.countCPUs(inList: "3-1"))
    XCTAssertNil(ExecutionCores.countCPUs(inList: "a-b"))
    XCTAssertNil(ExecutionCores.countCPUs(inList: ""))
    XCTAssertEqual(ExecutionCores.allowedCPUs(), ExecutionCores.count)
  }
}
