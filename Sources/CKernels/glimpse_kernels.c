#include "glimpse_kernels.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

static int vectorised;
static pthread_once_t once = PTHREAD_ONCE_INIT;

int glimpse_half_product_vectorised_for(int avx2, int fma, int f16c) { return avx2 && fma && f16c; }

static void decide(void) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  vectorised = glimpse_half_product_vectorised_for(__builtin_cpu_supports("avx2"), __builtin_cpu_supports("fma"),
                                                   __builtin_cpu_supports("f16c"));
#endif
}

int glimpse_half_product_vectorised(void) {
  pthread_once(&once, decide);
  return vectorised;
}

static float half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff, bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000 | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {
    exponent = 113;
    while (!(mantissa & 0x400)) {
      mantissa <<= 1;
      exponent--;
    }
    bits = sign | (exponent << 23) | ((mantissa & 0x3ff) << 13);
  }
  float value;
  memcpy(&value, &bits, sizeof value);
  return value;
}

static void store(float *target, float beta, float total) { *target = beta == 0 ? total : beta * *target + total; }

void glimpse_half_product_portable(const float *x, int ldx, int m, const uint16_t *w, int k, int first, int last,
                                   float beta, float *out, int ldo) {
  for (int j = first; j < last; j++)
    for (int r = 0; r < m; r++) {
      float total = 0;
      for (int i = 0; i < k; i++) total += half_to_float(w[(long)j * k + i]) * x[(long)r * ldx + i];
      store(out + (long)r * ldo + j, beta, total);
    }
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma,f16c"))) static float sum8(__m256 v) {
  __m128 q = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  q = _mm_add_ps(q, _mm_movehl_ps(q, q));
  q = _mm_add_ss(q, _mm_movehdup_ps(q));
  return _mm_cvtss_f32(q);
}

__attribute__((target("avx2,fma,f16c"))) static __m256 load8(const uint16_t *w) {
  return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)w));
}

/* One row: four columns at a time, each eight inputs loaded once for the four. */
__attribute__((target("avx2,fma,f16c"))) static void one_row(const float *x, const uint16_t *w, int k, int first,
                                                             int last, float beta, float *out) {
  int whole = k / 8 * 8, j = first;
  for (; j + 4 <= last; j += 4) {
    const uint16_t *row[4] = {w + (long)j * k, w + (long)(j + 1) * k, w + (long)(j + 2) * k, w + (long)(j + 3) * k};
    __m256 sum[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    for (int i = 0; i < whole; i += 8) {
      __m256 input = _mm256_loadu_ps(x + i);
      for (int c = 0; c < 4; c++) sum[c] = _mm256_fmadd_ps(load8(row[c] + i), input, sum[c]);
    }
    for (int c = 0; c < 4; c++) {
      float total = sum8(sum[c]);
      for (int i = whole; i < k; i++) total += _cvtsh_ss(row[c][i]) * x[i];
      store(out + j + c, beta, total);
    }
  }
  if (j < last) glimpse_half_product_portable(x, 0, 1, w, k, j, last, beta, out, 0);
}

/* Several rows: two columns at a time, each column's weights loaded once for up to four rows
   and each row's inputs once for the two columns. */
__attribute__((target("avx2,fma,f16c"))) static void few_rows(const float *x, int ldx, int m, const uint16_t *w, int k,
                                                              int first, int last, float beta, float *out, int ldo) {
  int whole = k / 8 * 8, j = first;
  for (; j + 2 <= last; j += 2) {
    const uint16_t *row0 = w + (long)j * k, *row1 = w + (long)(j + 1) * k;
    for (int r0 = 0; r0 < m; r0 += 4) {
      int rows = m - r0 < 4 ? m - r0 : 4;
      __m256 sum0[4], sum1[4];
      for (int r = 0; r < 4; r++) sum0[r] = sum1[r] = _mm256_setzero_ps();
      for (int i = 0; i < whole; i += 8) {
        __m256 weights0 = load8(row0 + i), weights1 = load8(row1 + i);
        for (int r = 0; r < rows; r++) {
          __m256 input = _mm256_loadu_ps(x + (long)(r0 + r) * ldx + i);
          sum0[r] = _mm256_fmadd_ps(weights0, input, sum0[r]);
          sum1[r] = _mm256_fmadd_ps(weights1, input, sum1[r]);
        }
      }
      for (int r = 0; r < rows; r++) {
        const float *input = x + (long)(r0 + r) * ldx;
        float total0 = sum8(sum0[r]), total1 = sum8(sum1[r]);
        for (int i = whole; i < k; i++) {
          total0 += _cvtsh_ss(row0[i]) * input[i];
          total1 += _cvtsh_ss(row1[i]) * input[i];
        }
        store(out + (long)(r0 + r) * ldo + j, beta, total0);
        store(out + (long)(r0 + r) * ldo + j + 1, beta, total1);
      }
    }
  }
  if (j < last) glimpse_half_product_portable(x, ldx, m, w, k, j, last, beta, out, ldo);
}
#endif

void glimpse_half_product(const float *x, int ldx, int m, const uint16_t *w, int k, int first, int last, float beta,
                          float *out, int ldo) {
#if defined(__x86_64__)
  if (glimpse_half_product_vectorised()) {
    if (m == 1)
      one_row(x, w, k, first, last, beta, out);
    else
      few_rows(x, ldx, m, w, k, first, last, beta, out, ldo);
    return;
  }
#endif
  glimpse_half_product_portable(x, ldx, m, w, k, first, last, beta, out, ldo);
}
