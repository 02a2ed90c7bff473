#ifndef GLIMPSE_BLAS_H
#define GLIMPSE_BLAS_H

#include <cblas.h>

/* OpenBLAS's thread count, for benchmarks that compare equal thread counts. */
void glimpse_blas_set_threads(int threads);
int glimpse_blas_threads(void);

#endif
