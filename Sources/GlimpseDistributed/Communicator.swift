#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// The processes of one job and the collectives they call together, in the same order on
/// every rank: one process alone (`SingleProcess`), or the ranks of an MPI job
/// (`MPICommunicator`). One thread at a time calls it: the thread that made it, or any other
/// when `callableFromAnyThread`.
public protocol Communicator: AnyObject, Sendable {
  /// This process's number, 0..<size; rank 0 writes the files and the progress.
  var rank: Int { get }
  var size: Int { get }
  /// Whether a thread other than the one that made it may call it (never two at once).
  var callableFromAnyThread: Bool { get }
  /// Every rank's `values` summed, element by element, into every rank's `values`.
  func sumOverRanks(_ values: UnsafeMutableBufferPointer<Float>) throws(DistributedError)
  /// Rank `root`'s bytes copied into every other rank's `bytes`.
  func broadcast(_ bytes: UnsafeMutableRawBufferPointer, from root: Int) throws(DistributedError)
  /// Every rank's `bytes` (the same count on each) in rank order, on every rank.
  func gather(_ bytes: UnsafeRawBufferPointer) throws(DistributedError) -> [UInt8]
  /// Ends the job normally (every rank calls it).
  func finish() throws(DistributedError)
  /// Stops every rank of the job at once: for a failure on one rank that the others, waiting in a
  /// collective, would otherwise never learn of.
  func abortJob(code: Int32) -> Never
}

extension Communicator {
  public var isRoot: Bool { rank == 0 }

  /// The rows of a batch of `count` that this rank takes: contiguous shares, the first
  /// `count % size` ranks one row more.
  public func share(of count: Int) -> Range<Int> { share(of: count, rank: rank) }

  /// The share of rank `rank`.
  public func share(of count: Int, rank: Int) -> Range<Int> {
    let (base, extra) = count.quotientAndRemainder(dividingBy: size)
    let start = rank * base + min(rank, extra)
    return start..<(start + base + (rank < extra ? 1 : 0))
  }

  /// Rank 0's floats copied into every rank's.
  public func broadcast(_ values: UnsafeMutableBufferPointer<Float>) throws(DistributedError) {
    try broadcast(UnsafeMutableRawBufferPointer(values), from: 0)
  }
}

public struct DistributedError: Error, CustomStringConvertible, Equatable, Sendable {
  public var description: String
  public init(_ description: String) { self.description = description }
}

/// One process: every collective is the identity.
public final class SingleProcess: Communicator {
  public init() {}
  public var rank: Int { 0 }
  public var size: Int { 1 }
  public var callableFromAnyThread: Bool { true }
  public func sumOverRanks(_ values: UnsafeMutableBufferPointer<Float>) throws(DistributedError) {}
  public func broadcast(_ bytes: UnsafeMutableRawBufferPointer, from root: Int) throws(DistributedError) {}
  public func gather(_ bytes: UnsafeRawBufferPointer) throws(DistributedError) -> [UInt8] { Array(bytes) }
  public func finish() throws(DistributedError) {}
  public func abortJob(code: Int32) -> Never { exit(code) }
}
