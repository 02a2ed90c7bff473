#include "glimpse_kernels.h"

#include <pthread.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

/* The additive attention's scores, sixteen lanes at a time where the CPU has AVX-512. Every lane
   computes what `tanhLanes` (Activations.swift) computes, operation for operation (no fused
   multiply-adds, the clamps and the branch as masked blends), and the score's sum is taken in the
   same order as `tanhScores` takes it, so that both give the same bits. */

int glimpse_tanh_scores_wide_for(int avx512f) { return avx512f; }

static int wide;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void decide(void) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  wide = glimpse_tanh_scores_wide_for(__builtin_cpu_supports("avx512f"));
#endif
}

int glimpse_tanh_scores_wide(void) {
  pthread_once(&once, decide);
  return wide;
}

#if defined(__x86_64__)
#define WIDE __attribute__((target("avx512f")))

/* lane[0] + lane[1] + … + lane[7], in that order, as `tanhScores` sums its eight lanes. */
static float lane_sum(const float lane[8]) {
  float total = lane[0];
  for (int i = 1; i < 8; i++) total += lane[i];
  return total;
}

WIDE static __m512 exp16(__m512 x) {
  x = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_set1_ps(-87.3f), _CMP_LT_OQ), x, _mm512_set1_ps(-87.3f));
  x = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_set1_ps(88.3f), _CMP_GT_OQ), x, _mm512_set1_ps(88.3f));
  const __m512 magic = _mm512_set1_ps(12582912.0f);
  __m512 shifted = _mm512_add_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504f)), magic);
  __m512 k = _mm512_sub_ps(shifted, magic);
  __m512 r = _mm512_add_ps(_mm512_sub_ps(x, _mm512_mul_ps(k, _mm512_set1_ps(0.693359375f))),
                           _mm512_mul_ps(k, _mm512_set1_ps(2.1219444e-4f)));
  static const float c[] = {1.98756915e-4f, 1.39819995e-3f, 8.3334519e-3f, 4.16657959e-2f, 1.66666655e-1f,
                            5.00000012e-1f};
  __m512 p = _mm512_set1_ps(c[0]);
  for (int i = 1; i < 6; i++) p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(c[i]));
  __m512 er = _mm512_add_ps(_mm512_add_ps(_mm512_mul_ps(_mm512_mul_ps(p, r), r), r), _mm512_set1_ps(1.0f));
  __m512i integer = _mm512_sub_epi32(_mm512_castps_si512(shifted), _mm512_set1_epi32(0x4B400000));
  __m512 scale = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(integer, _mm512_set1_epi32(127)), 23));
  return _mm512_mul_ps(er, scale);
}

WIDE static __m512 tanh16(__m512 x) {
  __m512i bits = _mm512_castps_si512(x);
  __m512i sign = _mm512_and_si512(bits, _mm512_set1_epi32((int)0x80000000u));
  __m512 magnitude = _mm512_castsi512_ps(_mm512_and_si512(bits, _mm512_set1_epi32(0x7FFFFFFF)));
  __m512 z = _mm512_mul_ps(x, x);
  static const float c[] = {-5.70498872745e-3f, 2.06390887954e-2f, -5.37397155531e-2f, 1.33314422036e-1f,
                            -3.33332819422e-1f};
  __m512 small = _mm512_set1_ps(c[0]);
  for (int i = 1; i < 5; i++) small = _mm512_add_ps(_mm512_mul_ps(small, z), _mm512_set1_ps(c[i]));
  small = _mm512_add_ps(_mm512_mul_ps(_mm512_mul_ps(small, z), x), x);
  __m512 e = exp16(_mm512_mul_ps(magnitude, _mm512_set1_ps(2.0f)));
  __m512 quotient = _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e, _mm512_set1_ps(1.0f)));
  __m512 ratio = _mm512_sub_ps(_mm512_set1_ps(1.0f), quotient);
  __m512 large = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(ratio), sign));
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(magnitude, _mm512_set1_ps(0.625f), _CMP_GE_OQ), small, large);
}

/* The upper eight lanes, with AVX-512 F alone (no DQ). */
WIDE static __m256 upper8(__m512 v) { return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)); }

WIDE static void scores_wide(const float *keys, const float *query, const float *w, int rows, int n, float *pre,
                             float *scores) {
  int whole = n / 8 * 8;
  for (int r = 0; r < rows; r++) {
    const float *key = keys + (long)r * n;
    __m256 sum = _mm256_setzero_ps();
    int a = 0;
    /* Sixteen lanes at a time, eight at the end when `whole` is odd in eights; the products go
       into the eight-lane sum low half first, as the eight-lane loop adds them. */
    for (; a < whole; a += 16) {
      __mmask16 lanes = a + 16 <= whole ? 0xFFFF : 0x00FF;
      __m512 x = _mm512_add_ps(_mm512_maskz_loadu_ps(lanes, key + a), _mm512_maskz_loadu_ps(lanes, query + a));
      __m512 p = tanh16(x);
      if (pre) _mm512_mask_storeu_ps(pre + (long)r * n + a, lanes, p);
      __m512 product = _mm512_mul_ps(p, _mm512_maskz_loadu_ps(lanes, w + a));
      sum = _mm256_add_ps(sum, _mm512_castps512_ps256(product));
      if (lanes == 0xFFFF) sum = _mm256_add_ps(sum, upper8(product));
    }
    a = whole;
    float lane[8];
    _mm256_storeu_ps(lane, sum);
    float score = lane_sum(lane);
    for (; a < n; a++) {
      float p = _mm512_cvtss_f32(tanh16(_mm512_set1_ps(key[a] + query[a])));
      if (pre) pre[(long)r * n + a] = p;
      score += p * w[a];
    }
    scores[r] = score;
  }
}
#endif

int glimpse_tanh_scores(const float *keys, const float *query, const float *w, int rows, int n, float *pre,
                        float *scores) {
#if defined(__x86_64__)
  if (glimpse_tanh_scores_wide()) {
    scores_wide(keys, query, w, rows, n, pre, scores);
    return 1;
  }
#endif
  (void)keys, (void)query, (void)w, (void)rows, (void)n, (void)pre, (void)scores;
  return 0;
}
