import Dispatch
import GlimpseDistributed
import GlimpseModels
import GlimpseTensor
import Synchronization

/// Sums groups of gradients over the ranks while the backward pass still computes the rest, as
/// Horovod's and DDP's buckets do. A decoder reports each group of its `earlyGradientGroups` as
/// it becomes final, on every core that trains a share of the batch; once every share has, the
/// group goes through three stages, each a thread of its own, so that the network never waits
/// for a copy: the shares' gradients added (in share order, as `CaptionTrainer` adds the rest),
/// scaled by this rank's share of the batch and packed into the group's buffer; the buffer
/// summed over the ranks; the sums copied back into the decoder's gradients. The step's last
/// sum, of everything else, waits for them (`wait`).
///
/// Every rank sums the same groups in the same order, so the collectives match across ranks;
/// only the sending thread calls the communicator, and only while the training loop's does not.
final class EarlyGradientExchange: @unchecked Sendable {
  private let communicator: Communicator
  /// [group][share][parameter]: each share's (decoder's or replica's) tensors of each group.
  private let groups: [[[Parameter]]]
  /// The names of the parameters it sums: the step's last sum leaves them out.
  let names: Set<String>
  /// One buffer per group, allocated once; each stage works on one group's at a time.
  private let buffers: [UnsafeMutableBufferPointer<Float>]
  private let packing = DispatchQueue(label: "glimpse.early-gradients.packing")
  private let sending = DispatchQueue(label: "glimpse.early-gradients.sending")
  private let unpacking = DispatchQueue(label: "glimpse.early-gradients.unpacking")
  /// How many shares have finished each group in this step.
  private let finishedShares: Mutex<[Int]>
  /// Set before the step's backward pass: the shares that report, and this rank's weight.
  private var shares = 1
  var weight: Float = 1
  /// The first failure of the step's sums (written by the sending thread), read after `wait`.
  private var failure: DistributedError?

  init(communicator: Communicator, groups: [[[Parameter]]]) {
    precondition(communicator.callableFromAnyThread && groups.allSatisfy { !$0.isEmpty })
    self.communicator = communicator
    self.groups = groups
    names = Set(groups.flatMap { $0[0].map(\.name) })
    buffers = groups.map { .allocate(capacity: $0[0].reduce(0) { $0 + $1.gradient.count }) }
    finishedShares = Mutex([Int](repeating: 0, count: groups.count))
  }

  deinit { for buffer in buffers { buffer.deallocate() } }

  /// A step begins in which `shares` shares (at most one per replica) will report each group.
  func expect(shares: Int) {
    precondition(shares >= 1 && shares <= groups[0].count)
    self.shares = shares
    finishedShares.withLock { counts in
      for k in counts.indices { counts[k] = 0 }
    }
  }

  /// One share has made group `group` final (on the thread that computes it).
  func finished(_ group: Int) {
    let complete = finishedShares.withLock { counts in
      counts[group] += 1
      return counts[group] == shares
    }
    guard complete else { return }
    packing.async {
      self.pack(group)
      self.sending.async {
        guard self.failure == nil else { return }
        do throws(DistributedError) {
          try self.communicator.sumOverRanks(self.buffers[group])
          self.unpacking.async { self.unpack(group) }
        } catch {
          self.failure = error
        }
      }
    }
  }

  /// Waits for the step's groups to be summed; throws the first failure.
  func wait() throws(DistributedError) {
    for stage in [packing, sending, unpacking] { stage.sync {} }
    if let failure {
      self.failure = nil
      throw failure
    }
  }

  /// Adds the shares' gradients, left to right in share order as `CaptionTrainer.finish` does,
  /// and scales them by the weight into the group's buffer, in one pass for one or two shares.
  private func pack(_ group: Int) {
    let (parameters, shares, weight) = (groups[group], self.shares, self.weight)
    var out = buffers[group].baseAddress!
    for (index, parameter) in parameters[0].enumerated() {
      let (count, first) = (parameter.gradient.count, parameter.gradient.pointer)
      switch shares {
      case 1: for i in 0..<count { out[i] = first[i] * weight }
      case 2:
        let second = parameters[1][index].gradient.pointer
        for i in 0..<count { out[i] = (first[i] + second[i]) * weight }
      default:
        out.update(from: first, count: count)
        for share in parameters[1..<shares] {
          let more = share[index].gradient.pointer
          for i in 0..<count { out[i] += more[i] }
        }
        for i in 0..<count { out[i] *= weight }
      }
      out += count
    }
  }

  /// The group's sums into the decoder's gradients.
  private func unpack(_ group: Int) {
    var sums = buffers[group].baseAddress!
    for parameter in groups[group][0] {
      parameter.gradient.pointer.update(from: sums, count: parameter.gradient.count)
      sums += parameter.gradient.count
    }
  }
}

/// A training task whose backward pass finishes some gradients early (see `EarlyGradientExchange`).
protocol FinishesGradientsEarly {
  /// An exchange that sums its early groups over `communicator`'s ranks as they become final, or
  /// nil if it has none.
  func exchangeEarly(over communicator: Communicator) -> EarlyGradientExchange?
}
