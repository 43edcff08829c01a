#include "CKernels.h"

// Each kernel is compiled for AVX-512, AVX2 and the x86-64 baseline, and the loader picks the
// widest the CPU has (target_clones). Contraction into FMA is off, so every clone rounds exactly
// as the baseline does and a run's numbers do not depend on which clone ran.
#pragma clang fp contract(off)
#if defined(__x86_64__) && defined(__clang__)
#define RANKLAB_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define RANKLAB_CLONES
#endif

RANKLAB_CLONES void ranklab_adam_update(float *restrict p, const float *restrict g, float *restrict m,
                         float *restrict v, size_t n, float b1, float b2, float step_size,
                         float inverse_root_correction2, float eps) {
  for (size_t i = 0; i < n; i++) {
    float mi = b1 * m[i] + (1.0f - b1) * g[i];
    float vi = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
    m[i] = mi;
    v[i] = vi;
    p[i] -= step_size * mi / (__builtin_sqrtf(vi) * inverse_root_correction2 + eps);
  }
}

RANKLAB_CLONES void ranklab_bias_relu(float *restrict z, const float *restrict bias, size_t rows, size_t columns) {
  for (size_t r = 0; r < rows; r++) {
    float *row = z + r * columns;
    for (size_t j = 0; j < columns; j++) {
      float x = row[j] + bias[j];
      row[j] = x > 0.0f ? x : 0.0f;
    }
  }
}

RANKLAB_CLONES void ranklab_bias_add(float *restrict z, const float *restrict bias, size_t rows, size_t columns) {
  for (size_t r = 0; r < rows; r++) {
    float *row = z + r * columns;
    for (size_t j = 0; j < columns; j++) row[j] += bias[j];
  }
}

RANKLAB_CLONES void ranklab_relu_backward(float *restrict d, const float *restrict a, size_t n) {
  for (size_t i = 0; i < n; i++) d[i] = a[i] > 0.0f ? d[i] : 0.0f;
}

RANKLAB_CLONES void ranklab_column_sums_add(float *restrict out, const float *restrict d, size_t rows,
                             size_t columns) {
  for (size_t r = 0; r < rows; r++) {
    const float *row = d + r * columns;
    for (size_t j = 0; j < columns; j++) out[j] += row[j];
  }
}

RANKLAB_CLONES double ranklab_sum_of_squares(const float *x, size_t n) {
  // Four float partial sums keep the loop vectorized; their total is taken in double.
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += x[i] * x[i];
    s1 += x[i + 1] * x[i + 1];
    s2 += x[i + 2] * x[i + 2];
    s3 += x[i + 3] * x[i + 3];
  }
  double total = (double)s0 + s1 + s2 + s3;
  for (; i < n; i++) total += (double)x[i] * x[i];
  return total;
}

RANKLAB_CLONES void ranklab_scale(float *x, size_t n, float scale) {
  for (size_t i = 0; i < n; i++) x[i] *= scale;
}
