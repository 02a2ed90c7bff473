#ifndef GLIMPSE_KERNELS_H
#define GLIMPSE_KERNELS_H

#include <stdint.h>

/* out[r, j] = beta * out[r, j] + sum_i x[r, i] * w[j, i] for r < m and first <= j < last, with
   w [N, k] in IEEE half precision (uint16_t bits), x [m, k] of row stride ldx, out of row stride
   ldo. AVX2, FMA and F16C when the CPU has them (decided once, at the first call), plain loops
   otherwise. */
void glimpse_half_product(const float *x, int ldx, int m, const uint16_t *w, int k, int first, int last, float beta,
                          float *out, int ldo);

/* The same in plain C loops, for any CPU: what glimpse_half_product runs without AVX2, FMA and F16C. */
void glimpse_half_product_portable(const float *x, int ldx, int m, const uint16_t *w, int k, int first, int last,
                                   float beta, float *out, int ldo);

/* 1 when glimpse_half_product runs its AVX2/F16C loops on this CPU, 0 for the plain ones; the
   same decision for a CPU with these features, for tests. */
int glimpse_half_product_vectorised(void);
int glimpse_half_product_vectorised_for(int avx2, int fma, int f16c);

/* For each row r of keys [rows, n]: p = tanh(keys_r + query), kept in `pre` when it is not NULL,
   and scores[r] = p · w: additive attention's scores, sixteen lanes at a time with AVX-512 F,
   giving the same bits as `tanhScores`'s eight-lane loop (Activations.swift). Returns 0, having
   done nothing, on a CPU without AVX-512 F: the caller then runs its own loop. */
int glimpse_tanh_scores(const float *keys, const float *query, const float *w, int rows, int n, float *pre,
                        float *scores);

/* 1 when glimpse_tanh_scores runs on this CPU; the same decision for a CPU with AVX-512 F or not. */
int glimpse_tanh_scores_wide(void);
int glimpse_tanh_scores_wide_for(int avx512f);

/* Eight square roots at once (vsqrtps where the build has AVX): Swift's SIMD8<Float>.squareRoot()
   takes them a lane at a time. Square roots are correctly rounded, so the bits are the same. */
typedef float glimpse_float8 __attribute__((ext_vector_type(8)));
static inline glimpse_float8 glimpse_sqrt8(glimpse_float8 x) { return __builtin_elementwise_sqrt(x); }

#endif
