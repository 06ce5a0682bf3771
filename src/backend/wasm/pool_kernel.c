/*
 * MaxPoolGrad over NHWC for the tfjs wasm backend: for each pooling window, find each channel's maximum
 * again (the first in row-major window order, as tfjs's cpu kernel; padding never wins) and add dy there.
 * Four channels at a time along the contiguous NHWC axis. Like conv_kernel.c it imports the backend's
 * memory and owns no data and no stack there. Build: scripts/build_kernels.sh.
 */
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

EXPORT(max_pool_grad)
void max_pool_grad(const float *x, const float *dy, float *dx, int n, int h, int w, int c, int oh, int ow,
                   int c_out, int kh, int kw, int sh, int sw, int pt, int pl) {
  (void)c_out; /* a pool keeps its channels; the argument keeps the geometry list of conv_kernel.c */
  int total = n * h * w * c, i = 0;
  for (; i + 4 <= total; i += 4) wasm_v128_store(dx + i, wasm_f32x4_splat(0.0f));
  for (; i < total; i++) dx[i] = 0.0f;
  for (int b = 0; b < n; b++)
    for (int y = 0; y < oh; y++) {
      int h0 = y * sh - pt, h1 = h0 + kh;
      if (h0 < 0) h0 = 0;
      if (h1 > h) h1 = h;
      for (int z = 0; z < ow; z++) {
        int w0 = z * sw - pl, w1 = w0 + kw;
        if (w0 < 0) w0 = 0;
        if (w1 > w) w1 = w;
        const float *g = dy + ((b * oh + y) * ow + z) * c;
        int ch = 0;
        for (; ch + 4 <= c; ch += 4) {
          v128_t best = wasm_f32x4_splat(-__builtin_inff());
          v128_t where = wasm_i32x4_splat(-1);
          for (int r = h0; r < h1; r++)
            for (int s = w0; s < w1; s++) {
              int at = ((b * h + r) * w + s) * c + ch;
              v128_t v = wasm_v128_load(x + at);
              v128_t gt = wasm_f32x4_gt(v, best);
              best = wasm_v128_bitselect(v, best, gt);
              where = wasm_v128_bitselect(wasm_i32x4_make(at, at + 1, at + 2, at + 3), where, gt);
            }
          int i0 = wasm_i32x4_extract_lane(where, 0), i1 = wasm_i32x4_extract_lane(where, 1);
          int i2 = wasm_i32x4_extract_lane(where, 2), i3 = wasm_i32x4_extract_lane(where, 3);
          if (i0 >= 0) dx[i0] += g[ch];
          if (i1 >= 0) dx[i1] += g[ch + 1];
          if (i2 >= 0) dx[i2] += g[ch + 2];
          if (i3 >= 0) dx[i3] += g[ch + 3];
        }
        for (; ch < c; ch++) {
          float best = -__builtin_inff();
          int where = -1;
          for (int r = h0; r < h1; r++)
            for (int s = w0; s < w1; s++) {
              int at = ((b * h + r) * w + s) * c + ch;
              if (x[at] > best) best = x[at], where = at;
            }
          if (where >= 0) dx[where] += g[ch];
        }
      }
    }
}
