#include "glimpse_mpi.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Open MPI's handles are pointers; MPI_IN_PLACE is (void *)1 and MPI_THREAD_SERIALIZED is 2. */
typedef void *handle;
#define IN_PLACE ((void *)1)
#define THREAD_SERIALIZED 2

static struct {
  int (*init_thread)(int *, char ***, int, int *);
  int (*comm_rank)(handle, int *);
  int (*comm_size)(handle, int *);
  int (*comm_set_errhandler)(handle, handle);
  int (*allreduce)(const void *, void *, int, handle, handle, handle);
  int (*bcast)(void *, int, handle, int, handle);
  int (*allgather)(const void *, int, handle, void *, int, handle, handle);
  int (*finalize)(void);
  int (*abort)(handle, int);
  int (*error_string)(int, char *, int *);
  handle world, float_type, byte_type, sum, errors_return;
} mpi;

static int failed(char *message, const char *operation, int code) {
  char reason[256] = "unknown error";
  int length = 0;
  if (mpi.error_string && mpi.error_string(code, reason, &length) == 0 && length >= 0 && length < 256)
    reason[length] = 0;
  snprintf(message, GLIMPSE_MPI_MESSAGE_LENGTH, "%s failed: %s (MPI error %d)", operation, reason, code);
  return 1;
}

static void *symbol(void *library, const char *name, const char **missing) {
  void *address = dlsym(library, name);
  if (!address && !*missing) *missing = name;
  return address;
}

int glimpse_mpi_init(int *rank, int *size, int *serialized, char message[GLIMPSE_MPI_MESSAGE_LENGTH]) {
  const char *path = getenv("GLIMPSE_MPI_LIBRARY");
  if (!path || !*path) path = "libmpi.so.40";
  /* RTLD_GLOBAL: Open MPI's plugins resolve their symbols against libmpi itself. */
  void *library = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
  if (!library) {
    const char *reason = dlerror();
    snprintf(message, GLIMPSE_MPI_MESSAGE_LENGTH,
             "launched under MPI, but cannot load %s (%s); install Open MPI (Debian: openmpi-bin) or set "
             "GLIMPSE_MPI_LIBRARY to its libmpi",
             path, reason ? reason : "unknown reason");
    return 1;
  }
  const char *missing = NULL;
  *(void **)&mpi.init_thread = symbol(library, "MPI_Init_thread", &missing);
  *(void **)&mpi.comm_rank = symbol(library, "MPI_Comm_rank", &missing);
  *(void **)&mpi.comm_size = symbol(library, "MPI_Comm_size", &missing);
  *(void **)&mpi.comm_set_errhandler = symbol(library, "MPI_Comm_set_errhandler", &missing);
  *(void **)&mpi.allreduce = symbol(library, "MPI_Allreduce", &missing);
  *(void **)&mpi.bcast = symbol(library, "MPI_Bcast", &missing);
  *(void **)&mpi.allgather = symbol(library, "MPI_Allgather", &missing);
  *(void **)&mpi.finalize = symbol(library, "MPI_Finalize", &missing);
  *(void **)&mpi.abort = symbol(library, "MPI_Abort", &missing);
  *(void **)&mpi.error_string = symbol(library, "MPI_Error_string", &missing);
  if (missing) {
    snprintf(message, GLIMPSE_MPI_MESSAGE_LENGTH, "%s is not an MPI library: it lacks %s", path, missing);
    mpi.abort = NULL;
    return 1;
  }
  mpi.world = symbol(library, "ompi_mpi_comm_world", &missing);
  mpi.float_type = symbol(library, "ompi_mpi_float", &missing);
  mpi.byte_type = symbol(library, "ompi_mpi_byte", &missing);
  mpi.sum = symbol(library, "ompi_mpi_op_sum", &missing);
  mpi.errors_return = symbol(library, "ompi_mpi_errors_return", &missing);
  if (missing) {
    snprintf(message, GLIMPSE_MPI_MESSAGE_LENGTH, "%s is not Open MPI (it lacks %s); glimpse runs on Open MPI",
             path, missing);
    mpi.abort = NULL;
    return 1;
  }
  int provided = 0;
  int code = mpi.init_thread(NULL, NULL, THREAD_SERIALIZED, &provided);
  if (code != 0) {
    mpi.abort = NULL;
    return failed(message, "MPI_Init_thread", code);
  }
  *serialized = provided >= THREAD_SERIALIZED;
  if ((code = mpi.comm_set_errhandler(mpi.world, mpi.errors_return)) != 0)
    return failed(message, "MPI_Comm_set_errhandler", code);
  if ((code = mpi.comm_rank(mpi.world, rank)) != 0) return failed(message, "MPI_Comm_rank", code);
  if ((code = mpi.comm_size(mpi.world, size)) != 0) return failed(message, "MPI_Comm_size", code);
  return 0;
}

/* MPI counts are ints: larger buffers go in pieces of at most 2^30 elements. */
static const size_t piece = (size_t)1 << 30;

int glimpse_mpi_allreduce_sum(float *values, size_t count, char message[GLIMPSE_MPI_MESSAGE_LENGTH]) {
  for (size_t start = 0; start < count; start += piece) {
    size_t n = count - start < piece ? count - start : piece;
    int code = mpi.allreduce(IN_PLACE, values + start, (int)n, mpi.float_type, mpi.sum, mpi.world);
    if (code != 0) return failed(message, "MPI_Allreduce", code);
  }
  return 0;
}

int glimpse_mpi_broadcast(void *buffer, size_t bytes, int root, char message[GLIMPSE_MPI_MESSAGE_LENGTH]) {
  for (size_t start = 0; start < bytes; start += piece) {
    size_t n = bytes - start < piece ? bytes - start : piece;
    int code = mpi.bcast((char *)buffer + start, (int)n, mpi.byte_type, root, mpi.world);
    if (code != 0) return failed(message, "MPI_Bcast", code);
  }
  return 0;
}

int glimpse_mpi_allgather(const void *buffer, size_t bytes, void *gathered, char message[GLIMPSE_MPI_MESSAGE_LENGTH]) {
  if (bytes > (size_t)INT_MAX) {
    snprintf(message, GLIMPSE_MPI_MESSAGE_LENGTH, "MPI_Allgather of %zu bytes per rank is too large", bytes);
    return 1;
  }
  int code = mpi.allgather(buffer, (int)bytes, mpi.byte_type, gathered, (int)bytes, mpi.byte_type, mpi.world);
  return code == 0 ? 0 : failed(message, "MPI_Allgather", code);
}

int glimpse_mpi_finalize(char message[GLIMPSE_MPI_MESSAGE_LENGTH]) {
  int code = mpi.finalize();
  return code == 0 ? 0 : failed(message, "MPI_Finalize", code);
}

void glimpse_mpi_abort(int code) {
  if (mpi.abort) mpi.abort(mpi.world, code);
  exit(code);
}
