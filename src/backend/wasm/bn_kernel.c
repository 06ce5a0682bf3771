/*
 * Batch normalisation in training mode, forward and backward, over NHWC rows for the tfjs wasm backend.
 * tfjs-layers builds it from ~10 kernels forward (moments, then FusedBatchNorm) and ~25 backward (the
 * FusedBatchNorm gradient plus the gradients of the moments); here each is a few passes over the data.
 * Like conv_kernel.c it imports the backend's memory and owns no data and no stack there.
 *
 *   forward:  mean = sum(x) / n; var = sum((x - mean)^2) / n (biased, as tf.moments);
 *             y = (x - mean) * gamma / sqrt(var + eps) + beta
 *   backward: xhat = (x - mean) / sqrt(var + eps); dbeta = sum(dy); dgamma = sum(dy * xhat);
 *             dx = gamma / sqrt(var + eps) * (dy - dbeta / n - xhat * dgamma / n)
 * Channels go V f32x4 vectors at a time (16 where they divide, else 4), so each pass reads whole cache
 * lines. Sums over rows run in float32 within blocks of BLOCK rows and in float64 across blocks.
 * Build: scripts/build_kernels.sh.
 */
#include <wasm_simd128.h>

#define INLINE static inline __attribute__((always_inline))
#define EXPORT(name) __attribute__((export_name(#name)))
#define BLOCK 256

enum { SUM_X, SUM_SQDEV, SUM_DY, SUM_DY_XHAT };

/* out[v] = per-channel sum over rows of the quantity `what` for channels [4v, 4v + 4) of the block. */
INLINE void channel_sums(const int V, int what, const float *x, const float *dy, int rows, int c,
                         const v128_t *m, const v128_t *inv_std, double scale, v128_t *out) {
  v128_t lo[4], hi[4];
  for (int v = 0; v < V; v++) lo[v] = hi[v] = wasm_f64x2_splat(0.0);
  for (int r0 = 0; r0 < rows; r0 += BLOCK) {
    int r1 = r0 + BLOCK < rows ? r0 + BLOCK : rows;
    v128_t acc[4];
    for (int v = 0; v < V; v++) acc[v] = wasm_f32x4_splat(0.0f);
    for (int r = r0; r < r1; r++)
      for (int v = 0; v < V; v++) {
        v128_t t;
        if (what == SUM_X) {
          t = wasm_v128_load(x + r * c + 4 * v);
        } else if (what == SUM_SQDEV) {
          v128_t d = wasm_f32x4_sub(wasm_v128_load(x + r * c + 4 * v), m[v]);
          t = wasm_f32x4_mul(d, d);
        } else if (what == SUM_DY) {
          t = wasm_v128_load(dy + r * c + 4 * v);
        } else {
          v128_t xhat = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(x + r * c + 4 * v), m[v]), inv_std[v]);
          t = wasm_f32x4_mul(wasm_v128_load(dy + r * c + 4 * v), xhat);
        }
        acc[v] = wasm_f32x4_add(acc[v], t);
      }
    for (int v = 0; v < V; v++) {
      lo[v] = wasm_f64x2_add(lo[v], wasm_f64x2_promote_low_f32x4(acc[v]));
      hi[v] = wasm_f64x2_add(hi[v], wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(acc[v], acc[v], 2, 3, 0, 1)));
    }
  }
  v128_t s = wasm_f64x2_splat(scale);
  for (int v = 0; v < V; v++) {
    v128_t a = wasm_f32x4_demote_f64x2_zero(wasm_f64x2_mul(lo[v], s));
    v128_t b = wasm_f32x4_demote_f64x2_zero(wasm_f64x2_mul(hi[v], s));
    out[v] = wasm_i32x4_shuffle(a, b, 0, 1, 4, 5);
  }
}

INLINE v128_t inverse_std(v128_t var, float eps) {
  return wasm_f32x4_div(wasm_f32x4_splat(1.0f), wasm_f32x4_sqrt(wasm_f32x4_add(var, wasm_f32x4_splat(eps))));
}

INLINE void forward_block(const int V, const float *x, const float *gamma, const float *beta, float *y,
                          float *mean, float *var, int rows, int c, float eps) {
  v128_t m[4], v2[4], scale[4], shift[4];
  channel_sums(V, SUM_X, x, 0, rows, c, 0, 0, 1.0 / rows, m);
  channel_sums(V, SUM_SQDEV, x, 0, rows, c, m, 0, 1.0 / rows, v2);
  for (int v = 0; v < V; v++) {
    wasm_v128_store(mean + 4 * v, m[v]);
    wasm_v128_store(var + 4 * v, v2[v]);
    scale[v] = wasm_f32x4_mul(wasm_v128_load(gamma + 4 * v), inverse_std(v2[v], eps));
    shift[v] = wasm_f32x4_sub(wasm_v128_load(beta + 4 * v), wasm_f32x4_mul(m[v], scale[v]));
  }
  for (int r = 0; r < rows; r++)
    for (int v = 0; v < V; v++)
      wasm_v128_store(y + r * c + 4 * v,
                      wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(x + r * c + 4 * v), scale[v]), shift[v]));
}

INLINE void backward_block(const int V, const float *x, const float *dy, const float *gamma, const float *mean,
                           const float *var, float *dx, float *dgamma, float *dbeta, int rows, int c, float eps) {
  v128_t m[4], inv_std[4], sum_dy[4], sum_dy_xhat[4];
  for (int v = 0; v < V; v++) {
    m[v] = wasm_v128_load(mean + 4 * v);
    inv_std[v] = inverse_std(wasm_v128_load(var + 4 * v), eps);
  }
  channel_sums(V, SUM_DY, x, dy, rows, c, m, inv_std, 1.0, sum_dy);
  channel_sums(V, SUM_DY_XHAT, x, dy, rows, c, m, inv_std, 1.0, sum_dy_xhat);
  v128_t k[4], mean_dy[4], mean_dy_xhat[4];
  v128_t inv_n = wasm_f32x4_splat(1.0f / rows);
  for (int v = 0; v < V; v++) {
    wasm_v128_store(dbeta + 4 * v, sum_dy[v]);
    wasm_v128_store(dgamma + 4 * v, sum_dy_xhat[v]);
    k[v] = wasm_f32x4_mul(wasm_v128_load(gamma + 4 * v), inv_std[v]);
    mean_dy[v] = wasm_f32x4_mul(sum_dy[v], inv_n);
    mean_dy_xhat[v] = wasm_f32x4_mul(sum_dy_xhat[v], inv_n);
  }
  for (int r = 0; r < rows; r++)
    for (int v = 0; v < V; v++) {
      v128_t xhat = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(x + r * c + 4 * v), m[v]), inv_std[v]);
      v128_t g = wasm_f32x4_sub(wasm_f32x4_sub(wasm_v128_load(dy + r * c + 4 * v), mean_dy[v]),
                                wasm_f32x4_mul(xhat, mean_dy_xhat[v]));
      wasm_v128_store(dx + r * c + 4 * v, wasm_f32x4_mul(k[v], g));
    }
}

/* x, y [rows, c]; gamma, beta, mean, var [c]. c must be a multiple of 4 (the caller checks). */
EXPORT(bn_forward)
void bn_forward(const float *x, const float *gamma, const float *beta, float *y, float *mean, float *var,
                int rows, int c, float eps) {
  int j = 0;
  for (; j + 16 <= c; j += 16) forward_block(4, x + j, gamma + j, beta + j, y + j, mean + j, var + j, rows, c, eps);
  for (; j < c; j += 4) forward_block(1, x + j, gamma + j, beta + j, y + j, mean + j, var + j, rows, c, eps);
}

/* The gradients of bn_forward's y with respect to x, gamma and beta, from dy [rows, c]. */
EXPORT(bn_backward)
void bn_backward(const float *x, const float *dy, const float *gamma, const float *mean, const float *var,
                 float *dx, float *dgamma, float *dbeta, int rows, int c, float eps) {
  int j = 0;
  for (; j + 16 <= c; j += 16)
    backward_block(4, x + j, dy + j, gamma + j, mean + j, var + j, dx + j, dgamma + j, dbeta + j, rows, c, eps);
  for (; j < c; j += 4)
    backward_block(1, x + j, dy + j, gamma + j, mean + j, var + j, dx + j, dgamma + j, dbeta + j, rows, c, eps);
}
