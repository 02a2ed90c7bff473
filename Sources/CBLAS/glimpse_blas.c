#include "glimpse_blas.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

typedef void (*sgemm_function)(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, enum CBLAS_TRANSPOSE, blasint, blasint,
                               blasint, float, const float *, blasint, const float *, blasint, float, float *,
                               blasint);
typedef void (*sgemv_function)(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, blasint, blasint, float, const float *,
                               blasint, const float *, blasint, float, float *, blasint);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static sgemm_function sgemm;
static sgemv_function sgemv;
static void (*set_threads)(int);
static int (*get_threads)(void);
static char load_error[GLIMPSE_BLAS_MESSAGE_LENGTH];
static int small_kernels;
static char core_name[64];
static char config_text[256];

/* The kernels OpenBLAS should run on this CPU, chosen from its features rather than its model
   number. Debian's OpenBLAS 0.3.21 knows CPUs by model, and one it does not know falls back to
   Prescott's SSE3 kernels (upstream fixed this in 0.3.25 by falling back on the features): on an
   AVX-512 Xeon of family 6 model 207 that cost sgemm four fifths of its speed. AVX-512 (F, BW, VL,
   DQ) gets SkylakeX's kernels, as newer OpenBLAS gives Intel's AVX-512 CPUs and AMD's Zen 4; AVX2
   with FMA gets Haswell's; anything older is left to OpenBLAS. */
const char *glimpse_blas_coretype_for(int avx512f, int avx512bw, int avx512vl, int avx512dq, int avx2, int fma) {
  if (avx512f && avx512bw && avx512vl && avx512dq) return "SkylakeX";
  if (avx2 && fma) return "Haswell";
  return NULL;
}

static const char *coretype_for_this_cpu(void) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  return glimpse_blas_coretype_for(__builtin_cpu_supports("avx512f"), __builtin_cpu_supports("avx512bw"),
                                   __builtin_cpu_supports("avx512vl"), __builtin_cpu_supports("avx512dq"),
                                   __builtin_cpu_supports("avx2"), __builtin_cpu_supports("fma"));
#else
  return NULL;
#endif
}

int glimpse_blas_core_multiplies_small_directly(const char *core) {
  return strcasecmp(core, "skylakex") == 0 || strcasecmp(core, "cooperlake") == 0 ||
         strcasecmp(core, "sapphirerapids") == 0;
}

static void load(void) {
  /* A core type the user set is kept. */
  const char *coretype = coretype_for_this_cpu();
  if (coretype) setenv("OPENBLAS_CORETYPE", coretype, 0);
  struct rlimit limit;
  if (getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    /* OpenBLAS maps 128 MB work buffers and retries a failing mmap forever: refuse clearly
       where they cannot fit, and keep to one thread (one buffer) where room is tight. */
    if (limit.rlim_cur < ((rlim_t)512 << 20)) {
      snprintf(load_error, sizeof load_error,
               "the address-space limit (ulimit -v) is %llu MiB; OpenBLAS needs at least 512 MiB",
               (unsigned long long)(limit.rlim_cur >> 20));
      return;
    }
    if (limit.rlim_cur < ((rlim_t)2 << 30)) setenv("OPENBLAS_NUM_THREADS", "1", 0);
  }
  /* An idle OpenBLAS thread spins (sched_yield) for 2^28 cycles, about 0.1 s, before it sleeps.
     Our own two workers (the encoder's halves of a batch, the decoding shares) start right after
     two-thread GEMMs, and then the scheduler often puts both on one core beside the spinner, which
     halves their speed for the whole phase. 2^24 cycles (6 ms at 2.6 GHz) still spans the gaps
     between a decoder's GEMMs. A value set by the user is kept. */
  setenv("OPENBLAS_THREAD_TIMEOUT", "24", 0);
  void *library = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    const char *reason = dlerror();
    snprintf(load_error, sizeof load_error, "cannot load OpenBLAS (%s); scripts/install-deps installs it",
             reason ? reason : "unknown reason");
    return;
  }
  sgemm = (sgemm_function)dlsym(library, "cblas_sgemm");
  sgemv = (sgemv_function)dlsym(library, "cblas_sgemv");
  set_threads = (void (*)(int))dlsym(library, "openblas_set_num_threads");
  get_threads = (int (*)(void))dlsym(library, "openblas_get_num_threads");
  if (!sgemm || !sgemv || !set_threads || !get_threads) {
    sgemm = NULL;
    snprintf(load_error, sizeof load_error, "libopenblas.so.0 lacks cblas_sgemm, cblas_sgemv or its thread functions");
    return;
  }
  /* The AVX-512 kernels (SkylakeX and its successors) multiply small products directly,
     without packing: see glimpse_blas_small_kernels. */
  char *(*config)(void) = (char *(*)(void))dlsym(library, "openblas_get_config");
  const char *text = config ? config() : NULL;
  if (text) snprintf(config_text, sizeof config_text, "%s", text);
  char *(*corename)(void) = (char *(*)(void))dlsym(library, "openblas_get_corename");
  const char *core = corename ? corename() : NULL;
  if (core) {
    snprintf(core_name, sizeof core_name, "%s", core);
    small_kernels = glimpse_blas_core_multiplies_small_directly(core);
  }
}

int glimpse_blas_small_kernels(void) {
  pthread_once(&once, load);
  return small_kernels;
}

void glimpse_blas_core(char name[64]) {
  pthread_once(&once, load);
  memcpy(name, core_name, sizeof core_name);
}

void glimpse_blas_config(char config[256]) {
  pthread_once(&once, load);
  memcpy(config, config_text, sizeof config_text);
}

int glimpse_blas_load(char message[GLIMPSE_BLAS_MESSAGE_LENGTH]) {
  pthread_once(&once, load);
  if (sgemm) return 0;
  memcpy(message, load_error, GLIMPSE_BLAS_MESSAGE_LENGTH);
  return 1;
}

void glimpse_sgemm(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE transpose_a, enum CBLAS_TRANSPOSE transpose_b,
                   int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
                   float beta, float *c, int ldc) {
  sgemm(order, transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void glimpse_sgemv(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE transpose, int m, int n, float alpha, const float *a,
                   int lda, const float *x, int incx, float beta, float *y, int incy) {
  sgemv(order, transpose, m, n, alpha, a, lda, x, incx, beta, y, incy);
}

void glimpse_blas_set_threads(int threads) {
  pthread_once(&once, load);
  if (set_threads) set_threads(threads);
}

int glimpse_blas_threads(void) {
  pthread_once(&once, load);
  return get_threads ? get_threads() : 0;
}

int glimpse_cpu_supports_build(void) {
#if defined(__x86_64__) && defined(GLIMPSE_X86_64_V3)
  __builtin_cpu_init();
  return __builtin_cpu_supports("x86-64-v3") ? 1 : 0;
#else
  return 1;
#endif
}
