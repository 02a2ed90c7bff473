#ifndef GLIMPSE_BLAS_H
#define GLIMPSE_BLAS_H

#include <cblas.h>

#define GLIMPSE_BLAS_MESSAGE_LENGTH 256

/* OpenBLAS is loaded on first use (dlopen), not at program start: commands that need no
   linear algebra never load it, and under an address-space limit below 2 GiB it is told to use
   one thread (OPENBLAS_NUM_THREADS=1, unless already set) before it starts, because its worker
   threads otherwise retry a failing 128 MB mmap forever and the process hangs; below 512 MiB
   it is not loaded at all, and the error says why.
   Returns 0 when OpenBLAS is ready; otherwise 1 with the loader's message. Safe to call often. */
int glimpse_blas_load(char message[GLIMPSE_BLAS_MESSAGE_LENGTH]);

/* cblas_sgemm through the loaded library; glimpse_blas_load must have returned 0. */
void glimpse_sgemm(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE transpose_a, enum CBLAS_TRANSPOSE transpose_b,
                   int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
                   float beta, float *c, int ldc);

/* cblas_sgemv through the loaded library; glimpse_blas_load must have returned 0. */
void glimpse_sgemv(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE transpose, int m, int n, float alpha, const float *a,
                   int lda, const float *x, int incx, float beta, float *y, int incy);
/* 1 when the loaded OpenBLAS runs on its AVX-512 kernels (SkylakeX, Cooperlake, Sapphire
   Rapids), which multiply a product with M·N ≤ 1024 and M·N·K ≤ 10⁶ directly from the caller's
   matrices instead of packing them first; else 0. */
int glimpse_blas_small_kernels(void);

/* The decisions above as functions of a CPU's description, for tests: the OpenBLAS kernels asked
   for on a CPU with these features ("SkylakeX", "Haswell", or NULL for OpenBLAS's own choice), and
   whether OpenBLAS's kernels named `core` multiply small products directly. */
const char *glimpse_blas_coretype_for(int avx512f, int avx512bw, int avx512vl, int avx512dq, int avx2, int fma);
int glimpse_blas_core_multiplies_small_directly(const char *core);

/* The name of the kernels the loaded OpenBLAS runs ("SkylakeX", "Haswell", ...), into `name`
   (empty when unknown), for benchmarks to report beside their figures. */
void glimpse_blas_core(char name[64]);

/* OpenBLAS's build description ("OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64"),
   into `config` (empty when unknown), for benchmarks to report. */
void glimpse_blas_config(char config[256]);

/* OpenBLAS's thread count, for benchmarks that compare equal thread counts. */
void glimpse_blas_set_threads(int threads);
int glimpse_blas_threads(void);

/* 1 if this CPU has the vector instructions the numeric modules were compiled for (AVX2 and
   FMA, x86-64-v3, unless built with GLIMPSE_PORTABLE=1), else 0. */
int glimpse_cpu_supports_build(void);

#endif
