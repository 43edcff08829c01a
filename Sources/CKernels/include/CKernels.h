// Elementwise kernels for ranklab's hot loops, in C so the compiler vectorizes them with
// hardware square roots (Swift's Float.squareRoot keeps C's errno path, which stops that).
#pragma once
#include <stddef.h>

/// One Adam step over n parameters (PyTorch's form): m = b1 m + (1 - b1) g,
/// v = b2 v + (1 - b2) g^2, p -= step_size * m / (sqrt(v) * inverse_root_correction2 + eps).
void ranklab_adam_update(float *restrict p, const float *restrict g, float *restrict m,
                         float *restrict v, size_t n, float b1, float b2, float step_size,
                         float inverse_root_correction2, float eps);

/// z[r][j] = max(0, z[r][j] + bias[j]) over a rows x columns matrix (relu hidden layers).
void ranklab_bias_relu(float *restrict z, const float *restrict bias, size_t rows, size_t columns);

/// z[r][j] += bias[j] (linear layers).
void ranklab_bias_add(float *restrict z, const float *restrict bias, size_t rows, size_t columns);

/// d[i] = 0 where a[i] <= 0: the relu derivative, from the post-activation values.
void ranklab_relu_backward(float *restrict d, const float *restrict a, size_t n);

/// out[j] += sum over rows of d[r][j] (bias gradients).
void ranklab_column_sums_add(float *restrict out, const float *restrict d, size_t rows,
                             size_t columns);

/// The sum of squares of x (for gradient norms), accumulated in double.
double ranklab_sum_of_squares(const float *x, size_t n);

/// x[i] *= scale.
void ranklab_scale(float *x, size_t n, float scale);

/// Hints the cache to fetch the line holding p (replay sampling overlaps its memory misses).
static inline void ranklab_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }
