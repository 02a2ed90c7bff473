import CMPI

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// The ranks of an MPI job, through Open MPI's libmpi loaded at run time (CMPI).
public final class MPICommunicator: Communicator, @unchecked Sendable {
  public let rank: Int
  public let size: Int
  public let callableFromAnyThread: Bool

  init() throws(DistributedError) {
    var (rank, size, serialized) = (Int32(0), Int32(0), Int32(0))
    try Self.check { glimpse_mpi_init(&rank, &size, &serialized, $0) }
    (self.rank, self.size, callableFromAnyThread) = (Int(rank), Int(size), serialized != 0)
  }

  public func sumOverRanks(_ values: UnsafeMutableBufferPointer<Float>) throws(DistributedError) {
    guard let base = values.baseAddress, values.count > 0 else { return }
    try Self.check { glimpse_mpi_allreduce_sum(base, values.count, $0) }
  }

  public func broadcast(_ bytes: UnsafeMutableRawBufferPointer, from root: Int) throws(DistributedError) {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return }
    try Self.check { glimpse_mpi_broadcast(base, bytes.count, Int32(root), $0) }
  }

  public func gather(_ bytes: UnsafeRawBufferPointer) throws(DistributedError) -> [UInt8] {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return [] }
    let all = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count * size, alignment: 16)
    defer { all.deallocate() }
    try Self.check { glimpse_mpi_allgather(base, bytes.count, all.baseAddress!, $0) }
    return Array(all)
  }

  public func finish() throws(DistributedError) { try Self.check { glimpse_mpi_finalize($0) } }

  public func abortJob(code: Int32) -> Never {
    glimpse_mpi_abort(code)
    exit(code)
  }

  private static func check(_ call: (UnsafeMutablePointer<CChar>) -> Int32) throws(DistributedError) {
    var message = [CChar](repeating: 0, count: Int(GLIMPSE_MPI_MESSAGE_LENGTH))
    guard message.withUnsafeMutableBufferPointer({ call($0.baseAddress!) }) != 0 else { return }
    throw DistributedError(String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
  }
}

/// How this process was launched: alone, or as one rank of an MPI job.
public enum Launch {
  /// The environment variables by which mpirun (Open MPI's, MPICH's) and srun tell a process it
  /// is one rank of a job.
  static let rankVariables = ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK"]

  /// The variable that says this process was launched as a rank, if any.
  public static var launcherVariable: String? { rankVariables.first { getenv($0) != nil } }

  /// A communicator for this process: MPI's when a launcher started it, else one process that
  /// never loads MPI. Call it once, from the main thread.
  public static func communicator() throws(DistributedError) -> Communicator {
    guard launcherVariable != nil else { return SingleProcess() }
    return try MPICommunicator()
  }
}
