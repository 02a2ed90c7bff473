#include "glimpse_blas.h"

void openblas_set_num_threads(int threads);
int openblas_get_num_threads(void);

void glimpse_blas_set_threads(int threads) { openblas_set_num_threads(threads); }
int glimpse_blas_threads(void) { return openblas_get_num_threads(); }
