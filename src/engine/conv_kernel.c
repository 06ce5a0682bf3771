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
#include <stdint.h>
#include <wasm_simd128.h>

#define INLINE static inline __attribute__((always_inline))
#define EXPORT(name) __attribute__((export_name(#name)))

#ifdef DK_RELAXED
#define MADD(a, b, acc) wasm_f32x4_relaxed_madd((a), (b), (acc))
#else
#define MADD(a, b, acc) wasm_f32x4_add((acc), wasm_f32x4_mul((a), (b)))
#endif

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

/* ---------------------------------------------------------------- C[rows] += A[rows] . B */
/* R rows x CV f32x4 columns of C, over all of K; B row k starts at b + k * ldb. */
INLINE void nn_block(const int R, const int CV, int K, const float *const *a, const float *b, int ldb,
                     float *const *c, int j) {
  v128_t acc[4][2];
  for (int r = 0; r < R; r++)
    for (int v = 0; v < CV; v++) acc[r][v] = wasm_v128_load(c[r] + j + 4 * v);
  const float *ar[4];
  for (int r = 0; r < R; r++) ar[r] = a[r];
  for (int k = 0; k < K; k++) {
    v128_t w[2];
    for (int v = 0; v < CV; v++) w[v] = wasm_v128_load(b + 4 * v);
    for (int r = 0; r < R; r++) {
      v128_t s = wasm_v128_load32_splat(ar[r] + k);
      for (int v = 0; v < CV; v++) acc[r][v] = MADD(s, w[v], acc[r][v]);
    }
    b += ldb;
  }
  for (int r = 0; r < R; r++)
    for (int v = 0; v < CV; v++) wasm_v128_store(c[r] + j + 4 * v, acc[r][v]);
}

/* Rows of A taken RC at a time: their K floats stay in cache while every column panel of B passes by. */
#ifndef RC
#define RC 16
#endif

/* C[r][0..N) += A[r][0..K) . B[K x N] for every row r of the lists; B has row stride ldb. */
static void nn_rows(int M, int N, int K, const float *const *a, const float *b, int ldb, float *const *c) {
  for (int i0 = 0; i0 < M; i0 += RC) {
    int i1 = i0 + RC < M ? i0 + RC : M;
    int j = 0;
    for (; j + 8 <= N; j += 8) {
      int i = i0;
      for (; i + 4 <= i1; i += 4) nn_block(4, 2, K, a + i, b + j, ldb, c + i, j);
      for (; i < i1; i++) nn_block(1, 2, K, a + i, b + j, ldb, c + i, j);
    }
    for (; j + 4 <= N; j += 4) {
      int i = i0;
      for (; i + 4 <= i1; i += 4) nn_block(4, 1, K, a + i, b + j, ldb, c + i, j);
      for (; i < i1; i++) nn_block(1, 1, K, a + i, b + j, ldb, c + i, j);
    }
    for (; j < N; j++)
      for (int i = i0; i < i1; i++) {
        float s = c[i][j];
        for (int k = 0; k < K; k++) s += a[i][k] * b[k * ldb + j];
        c[i][j] = s;
      }
  }
}

/* ---------------------------------------------------------------- C += A^T . B over row lists */
/* Rows of the product: 4 consecutive A columns (i..i+3), read as one vector and split by lane. */
#define SPLAT_LANE(v, l) wasm_i32x4_shuffle((v), (v), (l), (l), (l), (l))

INLINE void tn_block(const int R, const int CV, int K, const float *const *a, const float *const *b, int i,
                     int j, float *c, int ldc) {
  v128_t acc[4][2];
  for (int r = 0; r < R; r++)
    for (int v = 0; v < CV; v++) acc[r][v] = wasm_v128_load(c + (i + r) * ldc + j + 4 * v);
  for (int k = 0; k < K; k++) {
    v128_t w[2];
    for (int v = 0; v < CV; v++) w[v] = wasm_v128_load(b[k] + j + 4 * v);
    if (R == 4) {
      v128_t x = wasm_v128_load(a[k] + i);
      v128_t s0 = SPLAT_LANE(x, 0), s1 = SPLAT_LANE(x, 1), s2 = SPLAT_LANE(x, 2), s3 = SPLAT_LANE(x, 3);
      for (int v = 0; v < CV; v++) {
        acc[0][v] = MADD(s0, w[v], acc[0][v]);
        acc[1][v] = MADD(s1, w[v], acc[1][v]);
        acc[2][v] = MADD(s2, w[v], acc[2][v]);
        acc[3][v] = MADD(s3, w[v], acc[3][v]);
      }
    } else {
      for (int r = 0; r < R; r++) {
        v128_t s = wasm_v128_load32_splat(a[k] + i + r);
        for (int v = 0; v < CV; v++) acc[r][v] = MADD(s, w[v], acc[r][v]);
      }
    }
  }
  for (int r = 0; r < R; r++)
    for (int v = 0; v < CV; v++) wasm_v128_store(c + (i + r) * ldc + j + 4 * v, acc[r][v]);
}

/* Rows of the lists taken KC at a time, so the chunk of b rows stays in cache across the i blocks. */
#define KC 256

/* C[M x N] += sum over k of a[k][0..M)^T b[k][0..N); C has row stride ldc. */
static void tn_rows(int M, int N, int K, const float *const *a, const float *const *b, float *c, int ldc) {
  for (int k0 = 0; k0 < K; k0 += KC) {
    int kc = K - k0 < KC ? K - k0 : KC;
    const float *const *ak = a + k0, *const *bk = b + k0;
    int j = 0;
    for (; j + 8 <= N; j += 8) {
      int i = 0;
      for (; i + 4 <= M; i += 4) tn_block(4, 2, kc, ak, bk, i, j, c, ldc);
      for (; i < M; i++) tn_block(1, 2, kc, ak, bk, i, j, c, ldc);
    }
    for (; j + 4 <= N; j += 4) {
      int i = 0;
      for (; i + 4 <= M; i += 4) tn_block(4, 1, kc, ak, bk, i, j, c, ldc);
      for (; i < M; i++) tn_block(1, 1, kc, ak, bk, i, j, c, ldc);
    }
    for (; j < N; j++)
      for (int i = 0; i < M; i++) {
        float s = c[i * ldc + j];
        for (int k = 0; k < kc; k++) s += ak[k][i] * bk[k][j];
        c[i * ldc + j] = s;
      }
  }
}

/* ---------------------------------------------------------------- helpers */
static void fill(float *p, int count, float value) {
  v128_t v = wasm_f32x4_splat(value);
  int i = 0;
  for (; i + 4 <= count; i += 4) wasm_v128_store(p + i, v);
  for (; i < count; i++) p[i] = value;
}

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
