#ifndef GLIMPSE_MPI_H
#define GLIMPSE_MPI_H

#include <stddef.h>

#define GLIMPSE_MPI_MESSAGE_LENGTH 512

/* MPI is loaded at run time (dlopen), only when glimpse was launched by mpirun or a scheduler:
   glimpse builds and runs on a machine without MPI, and nothing here is linked against it.
   The library is $GLIMPSE_MPI_LIBRARY if set, else Open MPI's libmpi.so.40. Open MPI's ABI only:
   its handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM) are the addresses of exported objects.
   Every function returns 0, or 1 with a one-line message; errors are returned, never fatal
   (MPI_ERRORS_RETURN), so the caller decides how to stop. */

/* Loads the library, initialises MPI and reads this process's rank and the number of ranks.
   It asks for thread level SERIALIZED (any thread may call MPI, one at a time); `serialized`
   says whether the library gave it, or only FUNNELED (the calling thread alone). */
int glimpse_mpi_init(int *rank, int *size, int *serialized, char message[GLIMPSE_MPI_MESSAGE_LENGTH]);

/* Sums `count` floats over all ranks, in place; every rank gets the same sums. */
int glimpse_mpi_allreduce_sum(float *values, size_t count, char message[GLIMPSE_MPI_MESSAGE_LENGTH]);

/* Copies `bytes` bytes from rank `root` to every rank. */
int glimpse_mpi_broadcast(void *buffer, size_t bytes, int root, char message[GLIMPSE_MPI_MESSAGE_LENGTH]);

/* Gathers `bytes` bytes from every rank into `gathered` (size × bytes, in rank order) on every rank. */
int glimpse_mpi_allgather(const void *buffer, size_t bytes, void *gathered, char message[GLIMPSE_MPI_MESSAGE_LENGTH]);

/* Ends MPI after a normal finish. */
int glimpse_mpi_finalize(char message[GLIMPSE_MPI_MESSAGE_LENGTH]);

/* Stops every rank of the job with `code` (MPI_Abort): for a failure that the other ranks,
   waiting in a collective, cannot learn of otherwise. Does not return. */
void glimpse_mpi_abort(int code);

#endif
