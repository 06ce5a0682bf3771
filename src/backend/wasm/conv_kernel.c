/*
 * Direct NHWC convolution kernels for the tfjs wasm backend: forward, input gradient and filter gradient
 * of a dense (groups = 1) 2-D convolution with any stride and padding. They run inside the backend's own
 * memory (the module imports it), on the tensors where they already live.
 *
 * Each pass is a sum over filter taps. For tap (kh, kw) the output positions whose input pixel lies
 * inside the image form a rectangle; only those rows take part, so taps over padding cost nothing. On
 * small feature maps that is most of the work a padded convolution does: a 3x3 'same' convolution on a
 * 2x2 map reads real pixels in 4 of its 9 taps per output, on a 1x1 map in 1. Per tap the work is a
 * matrix product over gathered rows:
 *   forward       y[rows_y, Cout] += x[rows_x, Cin] . W[tap]          (W[tap] is [Cin, Cout])
 *   input grad    dx[rows_x, Cin] += dy[rows_y, Cout] . W[tap]^T      (W^T given as [KH, KW, Cout, Cin])
 *   filter grad   dW[tap]         += x[rows_x, Cin]^T . dy[rows_y, Cout]
 * The filter is never repacked: B panels are read in place, 8 columns at a time.
 *
 * The module has no data segment and uses no stack (every array below lives in registers), so it
 * writes nothing in the imported memory but the outputs and the scratch rows it is handed.
 * Build: scripts/build_kernels.sh.
 */
#include "gemm_rows.h"

#define EXPORT(name) __attribute__((export_name(#name)))

typedef struct {
  int n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, pt, pl;
} Geom;

/* ---------------------------------------------------------------- rows of one tap */
/* Outputs o in [lo, hi) whose input o*s + k - p lies in [0, in). */
INLINE void valid_range(int k, int s, int p, int in, int out, int *lo, int *hi) {
  int first = p - k; /* o*s >= first */
  int l = first > 0 ? (first + s - 1) / s : 0;
  int last = in - 1 + p - k; /* o*s <= last */
  int h = last >= 0 ? last / s + 1 : 0;
  if (h > out) h = out;
  *lo = l;
  *hi = h > l ? h : l;
}

/*
 * Fills xr / yr with the addresses of the x rows and y rows tap (kh, kw) pairs up; returns how many.
 */
INLINE int tap_rows(const Geom *g, int kh, int kw, const float *x, const float *y, const float **xr,
                    const float **yr) {
  int h0, h1, w0, w1;
  valid_range(kh, g->sh, g->pt, g->h, g->oh, &h0, &h1);
  valid_range(kw, g->sw, g->pl, g->w, g->ow, &w0, &w1);
  int count = 0;
  for (int n = 0; n < g->n; n++)
    for (int oh = h0; oh < h1; oh++) {
      int ih = oh * g->sh + kh - g->pt;
      const float *xrow = x + ((n * g->h + ih) * g->w + w0 * g->sw + kw - g->pl) * g->cin;
      const float *yrow = y + ((n * g->oh + oh) * g->ow + w0) * g->cout;
      for (int ow = w0; ow < w1; ow++) {
        xr[count] = xrow;
        yr[count] = yrow;
        count++;
        xrow += g->sw * g->cin;
        yrow += g->cout;
      }
    }
  return count;
}

/* ---------------------------------------------------------------- helpers */

INLINE Geom geom(int n, int h, int w, int cin, int oh, int ow, int cout, int kh, int kw, int sh, int sw,
                 int pt, int pl) {
  Geom g = {n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, pt, pl};
  return g;
}

/* ---------------------------------------------------------------- exports */
/*
 * y = conv(x, W) (+ bias, then ReLU when relu != 0). rows: scratch for 2 * n * oh * ow addresses.
 * Shapes: x [n, h, w, cin], W [kh, kw, cin, cout], y [n, oh, ow, cout], bias [cout] or 0.
 */
EXPORT(conv_forward)
void conv_forward(const float *x, const float *filter, const float *bias, float *y, const float **rows,
                  int n, int h, int w, int cin, int oh, int ow, int cout, int kh, int kw, int sh, int sw,
                  int pt, int pl, int relu) {
  Geom g = geom(n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, pt, pl);
  int outputs = n * oh * ow;
  const float **xr = rows, **yr = rows + outputs;
  if (bias) {
    for (int p = 0; p < outputs; p++)
      for (int c = 0; c < cout; c++) y[p * cout + c] = bias[c];
  } else {
    fill(y, outputs * cout, 0.0f);
  }
  for (int a = 0; a < kh; a++)
    for (int b = 0; b < kw; b++) {
      int m = tap_rows(&g, a, b, x, y, xr, yr);
      if (m > 0) nn_rows(m, cout, cin, xr, filter + (a * kw + b) * cin * cout, cout, (float *const *)yr);
    }
  if (relu) {
    v128_t zero = wasm_f32x4_splat(0.0f);
    int count = outputs * cout, i = 0;
    for (; i + 4 <= count; i += 4) wasm_v128_store(y + i, wasm_f32x4_pmax(wasm_v128_load(y + i), zero));
    for (; i < count; i++) y[i] = y[i] > 0.0f ? y[i] : 0.0f;
  }
}

/* One tap's W [cin x cout] -> WT [cout x cin], by 4x4 register transposes where both are multiples of 4. */
static void transpose_tap(const float *src, float *dst, int cin, int cout) {
  if (cin % 4 == 0 && cout % 4 == 0) {
    for (int i = 0; i < cin; i += 4)
      for (int o = 0; o < cout; o += 4) {
        v128_t r0 = wasm_v128_load(src + i * cout + o), r1 = wasm_v128_load(src + (i + 1) * cout + o);
        v128_t r2 = wasm_v128_load(src + (i + 2) * cout + o), r3 = wasm_v128_load(src + (i + 3) * cout + o);
        v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
        v128_t t2 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
        wasm_v128_store(dst + o * cin + i, wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5));
        wasm_v128_store(dst + (o + 1) * cin + i, wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7));
        wasm_v128_store(dst + (o + 2) * cin + i, wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5));
        wasm_v128_store(dst + (o + 3) * cin + i, wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7));
      }
    return;
  }
  for (int i = 0; i < cin; i++)
    for (int o = 0; o < cout; o++) dst[o * cin + i] = src[i * cout + o];
}

/*
 * dx = the gradient of conv(x, W) with respect to x, from dy. Each tap that reads real pixels is
 * transposed into tap_t (scratch for cin * cout floats) just before it is used; taps over padding only
 * are never touched. rows: scratch for 2 * n * oh * ow addresses.
 */
EXPORT(conv_input_grad)
void conv_input_grad(const float *dy, const float *filter, float *dx, float *tap_t, const float **rows, int n,
                     int h, int w, int cin, int oh, int ow, int cout, int kh, int kw, int sh, int sw, int pt,
                     int pl) {
  Geom g = geom(n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, pt, pl);
  int outputs = n * oh * ow;
  const float **xr = rows, **yr = rows + outputs;
  fill(dx, n * h * w * cin, 0.0f);
  for (int a = 0; a < kh; a++)
    for (int b = 0; b < kw; b++) {
      int m = tap_rows(&g, a, b, dx, dy, xr, yr);
      if (m == 0) continue;
      transpose_tap(filter + (a * kw + b) * cin * cout, tap_t, cin, cout);
      nn_rows(m, cin, cout, yr, tap_t, cin, (float *const *)xr);
    }
}

/*
 * dW = the gradient of conv(x, W) with respect to W, from dy. rows: scratch for 2 * n * oh * ow
 * addresses. dW has W's shape [kh, kw, cin, cout].
 */
EXPORT(conv_filter_grad)
void conv_filter_grad(const float *x, const float *dy, float *dw, const float **rows, int n, int h, int w,
                      int cin, int oh, int ow, int cout, int kh, int kw, int sh, int sw, int pt, int pl) {
  Geom g = geom(n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, pt, pl);
  int outputs = n * oh * ow;
  const float **xr = rows, **yr = rows + outputs;
  fill(dw, kh * kw * cin * cout, 0.0f);
  for (int a = 0; a < kh; a++)
    for (int b = 0; b < kw; b++) {
      int m = tap_rows(&g, a, b, x, dy, xr, yr);
      if (m > 0) tn_rows(cin, cout, m, xr, yr, dw + (a * kw + b) * cin * cout, cout);
    }
}

/* ---------------------------------------------------------------- few input channels: im2col */
/*
 * With few input channels (an RGB stem) one tap is too little work for a product, so these gather each
 * output's whole receptive field into a row of `cols` (kh*kw*cin floats, zeros over padding), CHUNK
 * outputs at a time, and multiply once with the filter viewed as [kh*kw*cin, cout]. Scratch: cols for
 * CHUNK * kh*kw*cin floats, rows for 2 * CHUNK addresses.
 */
#define CHUNK 512

/* add == 0: cols[r] = the receptive field of output p0 + r; add != 0: x[that field] += cols[r]. */
static void fields(const Geom *g, float *x, float *cols, int p0, int count, int add) {
  int kk = g->kh * g->kw * g->cin;
  for (int r = 0; r < count; r++) {
    int p = p0 + r, ow = p % g->ow, oh = (p / g->ow) % g->oh, n = p / (g->ow * g->oh);
    for (int a = 0; a < g->kh; a++) {
      int ih = oh * g->sh + a - g->pt;
      for (int b = 0; b < g->kw; b++) {
        int iw = ow * g->sw + b - g->pl;
        float *col = cols + r * kk + (a * g->kw + b) * g->cin;
        int inside = ih >= 0 && ih < g->h && iw >= 0 && iw < g->w;
        float *px = inside ? x + ((n * g->h + ih) * g->w + iw) * g->cin : 0;
        for (int c = 0; c < g->cin; c++) {
          if (add) {
            if (inside) px[c] += col[c];
          } else {
            col[c] = inside ? px[c] : 0.0f;
          }
        }
      }
    }
  }
}

EXPORT(im2col_forward)
void im2col_forward(const float *x, const float *filter, const float *bias, float *y, float *cols,
                    const float **rows, int n, int h, int w, int cin, int oh, int ow, int cout, int kh, int kw,
                    int sh, int sw, int pt, int pl, int relu) {
  Geom g = geom(n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, pt, pl);
  int outputs = n * oh * ow, kk = kh * kw * cin;
  const float **a = rows, **c = rows + CHUNK;
  for (int p0 = 0; p0 < outputs; p0 += CHUNK) {
    int count = outputs - p0 < CHUNK ? outputs - p0 : CHUNK;
    fields(&g, (float *)x, cols, p0, count, 0);
    for (int r = 0; r < count; r++) {
      a[r] = cols + r * kk;
      c[r] = y + (p0 + r) * cout;
      for (int j = 0; j < cout; j++) y[(p0 + r) * cout + j] = bias ? bias[j] : 0.0f;
    }
    nn_rows(count, cout, kk, a, filter, cout, (float *const *)c);
  }
  if (relu)
    for (int i = 0; i < outputs * cout; i++) y[i] = y[i] > 0.0f ? y[i] : 0.0f;
}

EXPORT(im2col_filter_grad)
void im2col_filter_grad(const float *x, const float *dy, float *dw, float *cols, const float **rows, int n,
                        int h, int w, int cin, int oh, int ow, int cout, int kh, int kw, int sh, int sw, int pt,
                        int pl) {
  Geom g = geom(n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, pt, pl);
  int outputs = n * oh * ow, kk = kh * kw * cin;
  const float **a = rows, **b = rows + CHUNK;
  fill(dw, kk * cout, 0.0f);
  for (int p0 = 0; p0 < outputs; p0 += CHUNK) {
    int count = outputs - p0 < CHUNK ? outputs - p0 : CHUNK;
    fields(&g, (float *)x, cols, p0, count, 0);
    for (int r = 0; r < count; r++) {
      a[r] = cols + r * kk;
      b[r] = dy + (p0 + r) * cout;
    }
    tn_rows(kk, cout, count, a, b, dw, cout);
  }
}

/* filter_t: scratch for the filter transposed to [cout, kh*kw*cin]. */
EXPORT(im2col_input_grad)
void im2col_input_grad(const float *dy, const float *filter, float *dx, float *cols, float *filter_t,
                       const float **rows, int n, int h, int w, int cin, int oh, int ow, int cout, int kh, int kw,
                       int sh, int sw, int pt, int pl) {
  Geom g = geom(n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, pt, pl);
  int outputs = n * oh * ow, kk = kh * kw * cin;
  const float **a = rows, **c = rows + CHUNK;
  for (int i = 0; i < kk; i++)
    for (int o = 0; o < cout; o++) filter_t[o * kk + i] = filter[i * cout + o];
  fill(dx, n * h * w * cin, 0.0f);
  for (int p0 = 0; p0 < outputs; p0 += CHUNK) {
    int count = outputs - p0 < CHUNK ? outputs - p0 : CHUNK;
    fill(cols, count * kk, 0.0f);
    for (int r = 0; r < count; r++) {
      a[r] = dy + (p0 + r) * cout;
      c[r] = cols + r * kk;
    }
    nn_rows(count, kk, cout, a, filter_t, kk, (float *const *)c);
    fields(&g, dx, cols, p0, count, 1);
  }
}
