/*
 * Matrix products over lists of row addresses, for conv_kernel.c: C[rows] += A[rows] . B and
 * C += A[rows]^T . B[rows]. Rows are gathered by address, so a convolution tap's rows need no copy.
 * Blocks of 4 rows x 8 columns: 8 accumulators plus two B vectors and one broadcast fit the 15 xmm
 * registers V8 allocates on x64 (dense_kernel.c measured 5- and 6-row blocks slower).
 */
#include <wasm_simd128.h>

#define INLINE static inline __attribute__((always_inline))

#ifdef DK_RELAXED
#define MADD(a, b, acc) wasm_f32x4_relaxed_madd((a), (b), (acc))
#else
#define MADD(a, b, acc) wasm_f32x4_add((acc), wasm_f32x4_mul((a), (b)))
#endif

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

static void fill(float *p, int count, float value) {
  v128_t v = wasm_f32x4_splat(value);
  int i = 0;
  for (; i + 4 <= count; i += 4) wasm_v128_store(p + i, v);
  for (; i < count; i++) p[i] = value;
}
