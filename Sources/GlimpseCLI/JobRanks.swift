import ArgumentParser
import GlimpseDistributed
import GlimpseTraining

import Glibc

/// Runs a training command as this process's part of its job: alone, or, launched by mpirun or
/// srun, as one rank of an MPI job. An error every rank meets alike (a NaN loss) is printed by
/// rank 0 and ends every rank normally; an error on one rank alone is printed with its rank and
/// stops the whole job, since the other ranks wait for it in a collective.
func runAsRanks(_ body: (Communicator) throws -> Void) throws {
  let communicator: Communicator
  do {
    communicator = try Launch.communicator()
  } catch {
    throw DistributedError("\(error) (\(Launch.launcherVariable ?? "an MPI launcher") is set)")
  }
  guard communicator.size > 1 else {
    // Alone, or the one rank of a job: errors are reported as usual, after MPI is ended.
    do {
      try body(communicator)
    } catch {
      try? communicator.finish()
      throw error
    }
    try communicator.finish()
    return
  }
  do {
    try body(communicator)
    try communicator.finish()
  } catch let error as TrainingError where error.onEveryRank {
    if communicator.isRoot { printError(error.description) }
    try? communicator.finish()
    Glibc.exit(1)
  } catch let code as ExitCode {
    // Every rank stops together after a stop request (summed with the gradients).
    try? communicator.finish()
    Glibc.exit(code.rawValue)
  } catch {
    printError("rank \(communicator.rank) of \(communicator.size): \(error)")
    communicator.abortJob(code: 1)
  }
}

/// Sets up and runs a training command's loop on every rank of its job; rank 0 alone reports.
func trainOnRanks(
  data: String, options: TrainingOptions, setUp: (Communicator, FeatureProgress) throws -> TrainingSetup
) throws {
  try runAsRanks { communicator in
    let setup = try setUp(communicator, FeatureProgress(quiet: !communicator.isRoot))
    if communicator.isRoot {
      reportFeatures(setup.features)
      reportSkipped(setup.skipped, data: data)
    }
    try runTraining(setup.loop, options: options, quiet: !communicator.isRoot)
  }
}
