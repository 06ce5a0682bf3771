/*
 * Fused dense-stack trainer: one exported call runs a whole training step (forward, softmax
 * cross-entropy, backward, optimizer update) so that a step costs one JS->wasm transition instead
 * of ~100 tfjs kernel dispatches. Built by scripts/build_kernels.sh into dense_kernel.wasm; driven by
 * dense_trainer.ts. One instance holds one model: weights, optimizer slots and scratch all live in
 * this module's own linear memory, laid out once by dk_build().
 *
 * Numerics follow tfjs (layers + cpu backend) so engines can be swapped mid-run:
 *   Dense y = act(x W + b), W [in, out] row-major; softmax; loss log-sum-exp(z) - z_y (from the logits);
 *   Adam and Momentum follow tfjs's formulas and op order in float32 (adam_update, momentum_update);
 *   the matmuls use fused multiply-add where the CPU has it (see MADD), so sums differ from tfjs's in
 *   the last bits; the tests hold the two within 1e-5 relative.
 * Internally each layer's output width is padded to a multiple of 4 (one f32x4) with zero weights,
 * so the matmul kernels need no column tails; padded columns never feed a real one.
 */
#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))
#define INLINE static inline __attribute__((always_inline))
#define MAX_LAYERS 16

enum { ACT_LINEAR, ACT_RELU, ACT_TANH, ACT_SIGMOID, ACT_ELU, ACT_SELU, ACT_GELU, ACT_SWISH, ACT_COUNT };
enum { OPT_ADAM, OPT_MOMENTUM };

typedef struct {
  int in, out, op, ip; /* real in/out, padded out (row stride of outputs), padded in */
  int act, drop;        /* drop: the layer has dropout (then A and M exist) */
  float dscale;        /* 1/(1-rate) as float32, as tfjs divides the 0/1 mask by keepProb */
  uint32_t dthresh;    /* drop when the 32-bit draw is below this */
  float *W, *b, *gW, *gb, *WT, *Z, *Y, *A, *M, *dA;
} Layer;

static Layer L[MAX_LAYERS];
static int nl, maxb, nparams;
static float *params, *grads, *slot1, *slot2;
static float *xbuf, *swbuf, *probs, *rowcoef;
static int32_t *ybuf;
static int opt_kind;
static float o_beta1, o_beta2, o_1mb1, o_1mb2, o_eps, o_neglr, o_mom, acc_b1, acc_b2;
static int32_t step_count;
static v128_t rs0, rs1, rs2, rs3; /* four-lane xorshift128 state for dropout masks */

/* ---------------------------------------------------------------- memory */
extern unsigned char __heap_base;
static uintptr_t heap_top;

static void *alloc_floats(int count) { /* zeroed, 64-byte aligned; 0 when memory runs out */
  uint64_t p = (heap_top + 63) & ~(uint64_t)63;
  uint64_t end = p + (uint64_t)count * 4u;
  uint64_t have = (uint64_t)__builtin_wasm_memory_size(0) * 65536u;
  if (count < 0 || end > 0xffff0000u) return 0;
  if (end > have) {
    if (__builtin_wasm_memory_grow(0, (uintptr_t)((end - have + 65535u) / 65536u)) == (uintptr_t)-1) return 0;
  }
  float *f = (float *)(uintptr_t)p;
  for (int i = 0; i < count; i++) f[i] = 0.0f; /* grown pages are zero, reused ones may not be */
  heap_top = (uintptr_t)end;
  return f;
}

/* ---------------------------------------------------------------- scalar math (double, like JS Math) */
static double d_exp(double x) {
  if (x < -745.0) return 0.0;
  if (x > 709.0) x = 709.0;
  double n = __builtin_nearbyint(x * 1.4426950408889634);
  double r = (x - n * 0.6931471803691238) - n * 1.9082149292705877e-10;
  /* Taylor to r^12 on |r| <= 0.347: error below 1e-16 relative */
  double p = 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  int64_t k = (int64_t)n;
  if (k < -1022) { /* subnormal result: scale in two steps */
    union { double d; int64_t i; } s1 = {.i = (int64_t)(k + 1022 + 1023) << 52};
    union { double d; int64_t i; } s2 = {.i = (int64_t)1 << 52}; /* 2^-1022 */
    return p * s1.d * s2.d;
  }
  union { double d; int64_t i; } s = {.i = (k + 1023) << 52};
  return p * s.d;
}

static double d_log(double x) { /* x > 0, finite */
  union { double d; uint64_t i; } u = {.d = x};
  int e = (int)((u.i >> 52) & 0x7ff) - 1023;
  if (e == -1023) { /* subnormal */
    u.d = x * 18014398509481984.0; /* 2^54 */
    e = (int)((u.i >> 52) & 0x7ff) - 1023 - 54;
  }
  u.i = (u.i & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL; /* m in [1, 2) */
  double m = u.d;
  if (m > 1.4142135623730951) { m *= 0.5; e += 1; }
  double f = m - 1.0, s = f / (2.0 + f), s2 = s * s;
  double t = 1.0 / 15.0;
  t = t * s2 + 1.0 / 13.0;
  t = t * s2 + 1.0 / 11.0;
  t = t * s2 + 1.0 / 9.0;
  t = t * s2 + 1.0 / 7.0;
  t = t * s2 + 1.0 / 5.0;
  t = t * s2 + 1.0 / 3.0;
  t = t * s2 + 1.0;
  return 2.0 * s * t + e * 0.6931471805599453;
}

/* ---------------------------------------------------------------- SIMD math (float, ~1-2 ulp) */
INLINE v128_t vsplat(float f) { return wasm_f32x4_splat(f); }

INLINE v128_t v_exp(v128_t x) { /* Cephes expf */
  x = wasm_f32x4_pmax(wasm_f32x4_pmin(x, vsplat(88.3762626647949f)), vsplat(-87.3365447505531f));
  v128_t n = wasm_f32x4_nearest(wasm_f32x4_mul(x, vsplat(1.44269504088896341f)));
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, vsplat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, vsplat(-2.12194440e-4f)));
  v128_t p = vsplat(1.9875691500E-4f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), vsplat(1.3981999507E-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), vsplat(8.3334519073E-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), vsplat(4.1665795894E-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), vsplat(1.6666665459E-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), vsplat(5.0000001201E-1f));
  p = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(p, r), r), r), vsplat(1.0f));
  v128_t e = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(p, e);
}

INLINE v128_t v_sigmoid(v128_t x) {
  return wasm_f32x4_div(vsplat(1.0f), wasm_f32x4_add(vsplat(1.0f), v_exp(wasm_f32x4_neg(x))));
}

INLINE v128_t v_tanh(v128_t x) { /* Cephes tanhf: polynomial below 0.625, exp form above */
  v128_t ax = wasm_f32x4_abs(x);
  v128_t z = wasm_f32x4_mul(x, x);
  v128_t p = vsplat(-5.70498872745E-3f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), vsplat(2.06390887954E-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), vsplat(-5.37397155531E-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), vsplat(1.33314422036E-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), vsplat(-3.33332819422E-1f));
  v128_t small = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(p, z), x), x);
  v128_t e = v_exp(wasm_f32x4_add(ax, ax));
  v128_t big = wasm_f32x4_sub(vsplat(1.0f), wasm_f32x4_div(vsplat(2.0f), wasm_f32x4_add(e, vsplat(1.0f))));
  big = wasm_v128_or(big, wasm_v128_and(x, wasm_i32x4_splat((int32_t)0x80000000)));
  return wasm_v128_bitselect(small, big, wasm_f32x4_lt(ax, vsplat(0.625f)));
}

/* erf by Abramowitz-Stegun 7.1.26, the formula tfjs uses, so gelu matches it */
INLINE v128_t v_erf(v128_t x) {
  v128_t v = wasm_f32x4_abs(x);
  v128_t t = wasm_f32x4_div(vsplat(1.0f), wasm_f32x4_add(vsplat(1.0f), wasm_f32x4_mul(vsplat(0.3275911f), v)));
  v128_t p = vsplat(1.061405429f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), vsplat(-1.453152027f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), vsplat(1.421413741f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), vsplat(-0.284496736f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), vsplat(0.254829592f));
  v128_t r = wasm_f32x4_sub(vsplat(1.0f),
                            wasm_f32x4_mul(wasm_f32x4_mul(p, t), v_exp(wasm_f32x4_neg(wasm_f32x4_mul(v, v)))));
  return wasm_v128_or(r, wasm_v128_and(x, wasm_i32x4_splat((int32_t)0x80000000)));
}

#define SELU_SCALE 1.0507009873554804934193349852946f
#define SELU_SCALE_ALPHA 1.7580993408473768599402175208123f
#define SQRT_HALF 0.7071067811865476f
#define INV_SQRT_2PI 0.3989422804014327f

/* ---------------------------------------------------------------- activations */
/* y = act(x), the formulas tfjs's kernels use */
INLINE v128_t act_vec(const int act, v128_t x) {
  switch (act) {
    case ACT_RELU: return wasm_f32x4_pmax(x, wasm_f32x4_splat(0.0f));
    case ACT_TANH: return v_tanh(x);
    case ACT_SIGMOID: return v_sigmoid(x);
    case ACT_ELU:
      return wasm_v128_bitselect(x, wasm_f32x4_sub(v_exp(x), vsplat(1.0f)), wasm_f32x4_ge(x, vsplat(0.0f)));
    case ACT_SELU:
      return wasm_v128_bitselect(wasm_f32x4_mul(x, vsplat(SELU_SCALE)),
                                 wasm_f32x4_mul(wasm_f32x4_sub(v_exp(x), vsplat(1.0f)), vsplat(SELU_SCALE_ALPHA)),
                                 wasm_f32x4_ge(x, vsplat(0.0f)));
    case ACT_GELU: {
      v128_t cdf = wasm_f32x4_mul(vsplat(0.5f), wasm_f32x4_add(vsplat(1.0f), v_erf(wasm_f32x4_mul(x, vsplat(SQRT_HALF)))));
      return wasm_f32x4_mul(x, cdf);
    }
    case ACT_SWISH: return wasm_f32x4_mul(v_sigmoid(x), x);
    default: return x;
  }
}

/* Activations whose gradient tfjs computes from the output y rather than the input z. */
#define ACT_GRAD_USES_Y(act) ((act) == ACT_TANH || (act) == ACT_SIGMOID || (act) == ACT_ELU)

/* dL/dz from g = dL/dy, as tfjs's gradient functions compute it */
INLINE v128_t act_grad_vec(const int act, v128_t g, v128_t x, v128_t y) {
  switch (act) {
    case ACT_RELU: return wasm_v128_and(g, wasm_f32x4_gt(x, vsplat(0.0f)));
    case ACT_TANH: return wasm_f32x4_mul(wasm_f32x4_sub(vsplat(1.0f), wasm_f32x4_mul(y, y)), g);
    case ACT_SIGMOID: return wasm_f32x4_mul(g, wasm_f32x4_mul(y, wasm_f32x4_sub(vsplat(1.0f), y)));
    case ACT_ELU:
      return wasm_v128_bitselect(g, wasm_f32x4_mul(g, wasm_f32x4_add(y, vsplat(1.0f))), wasm_f32x4_ge(y, vsplat(0.0f)));
    case ACT_SELU:
      return wasm_v128_bitselect(wasm_f32x4_mul(g, vsplat(SELU_SCALE)),
                                 wasm_f32x4_mul(wasm_f32x4_mul(g, vsplat(SELU_SCALE_ALPHA)), v_exp(x)),
                                 wasm_f32x4_gt(x, vsplat(0.0f)));
    case ACT_GELU: {
      v128_t cdf = wasm_f32x4_mul(vsplat(0.5f), wasm_f32x4_add(vsplat(1.0f), v_erf(wasm_f32x4_mul(x, vsplat(SQRT_HALF)))));
      v128_t pdf = wasm_f32x4_mul(vsplat(INV_SQRT_2PI), v_exp(wasm_f32x4_mul(wasm_f32x4_mul(x, x), vsplat(-0.5f))));
      return wasm_f32x4_mul(g, wasm_f32x4_add(cdf, wasm_f32x4_mul(x, pdf)));
    }
    case ACT_SWISH: {
      v128_t sg = v_sigmoid(x);
      return wasm_f32x4_mul(g, wasm_f32x4_add(sg, wasm_f32x4_mul(wasm_f32x4_mul(x, sg), wasm_f32x4_sub(vsplat(1.0f), sg))));
    }
    default: return g;
  }
}

/* ---------------------------------------------------------------- matmul */
/*
 * acc + a * b. With relaxed SIMD this is one fused multiply-add on hardware that has it (V8 lowers
 * f32x4.relaxed_madd to vfmadd on x64 with FMA3, to mul + add elsewhere), which halves the
 * arithmetic instructions of the matmul loops; results then differ from mul + add in the last bit.
 */
#ifdef DK_RELAXED
#define MADD(a, b, acc) wasm_f32x4_relaxed_madd((a), (b), (acc))
#else
#define MADD(a, b, acc) wasm_f32x4_add((acc), wasm_f32x4_mul((a), (b)))
#endif

/*
 * One register block of C: R rows x CV f32x4 columns, accumulated over all of K. R and CV are
 * compile-time constants at every call, so the arrays below live in registers.
 * A(i, k) = A[i * ars + k * acs], so one kernel serves x.W (ars = lda, acs = 1) and x^T.dy
 * (ars = 1, acs = lda).
 */
INLINE void gemm_block(const int R, const int CV, int K, const float *a, int ars, int acs, const float *bp,
                       int ldb, float *c, int ldc, const v128_t *init) {
  v128_t acc[4][2];
  for (int r = 0; r < R; r++)
    for (int v = 0; v < CV; v++) acc[r][v] = init[v];
  for (int k = 0; k < K; k++) {
    v128_t w[2];
    for (int v = 0; v < CV; v++) w[v] = wasm_v128_load(bp + 4 * v);
    for (int r = 0; r < R; r++) {
      v128_t x = wasm_v128_load32_splat(a + r * ars);
      for (int v = 0; v < CV; v++) acc[r][v] = MADD(x, w[v], acc[r][v]);
    }
    a += acs, bp += ldb;
  }
  for (int r = 0; r < R; r++)
    for (int v = 0; v < CV; v++) wasm_v128_store(c + r * ldc + 4 * v, acc[r][v]);
}

/*
 * C[M x N] = A(M x K) . B[K x N] (+ bias row), N a multiple of 4, row strides ldb/ldc.
 * Blocks of 4 rows x 8 columns: 8 accumulators plus two B vectors and one broadcast fit the 15 xmm
 * registers V8 allocates on x64. 5- and 6-row blocks measured ~1.5x slower (spills); unrolling K
 * by 2 or 4, and 64-row chunks over M, measured slower too.
 */
INLINE void gemm(int M, int N, int K, const float *A, int ars, int acs, const float *B, int ldb, float *C,
                 int ldc, const float *bias) {
  v128_t init[2];
  int j = 0;
  for (; j + 8 <= N; j += 8) {
    init[0] = bias ? wasm_v128_load(bias + j) : wasm_f32x4_splat(0.0f);
    init[1] = bias ? wasm_v128_load(bias + j + 4) : wasm_f32x4_splat(0.0f);
    int i = 0;
    for (; i + 4 <= M; i += 4) gemm_block(4, 2, K, A + i * ars, ars, acs, B + j, ldb, C + i * ldc + j, ldc, init);
    for (; i < M; i++) gemm_block(1, 2, K, A + i * ars, ars, acs, B + j, ldb, C + i * ldc + j, ldc, init);
  }
  for (; j < N; j += 4) {
    init[0] = bias ? wasm_v128_load(bias + j) : wasm_f32x4_splat(0.0f);
    int i = 0;
    for (; i + 4 <= M; i += 4) gemm_block(4, 1, K, A + i * ars, ars, acs, B + j, ldb, C + i * ldc + j, ldc, init);
    for (; i < M; i++) gemm_block(1, 1, K, A + i * ars, ars, acs, B + j, ldb, C + i * ldc + j, ldc, init);
  }
}

static void gemm_nn(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C, int ldc,
                    const float *bias) {
  gemm(M, N, K, A, lda, 1, B, ldb, C, ldc, bias);
}

static void gemm_tn(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C, int ldc) {
  gemm(M, N, K, A, 1, lda, B, ldb, C, ldc, 0);
}

/* ---------------------------------------------------------------- dropout */
INLINE v128_t next_rand(void) { /* xorshift128, one independent stream per lane */
  v128_t t = wasm_v128_xor(rs0, wasm_i32x4_shl(rs0, 11));
  rs0 = rs1, rs1 = rs2, rs2 = rs3;
  rs3 = wasm_v128_xor(wasm_v128_xor(rs3, wasm_u32x4_shr(rs3, 19)), wasm_v128_xor(t, wasm_u32x4_shr(t, 8)));
  return rs3;
}

static uint32_t splitmix32(uint32_t *s) {
  uint32_t z = (*s += 0x9e3779b9u);
  z = (z ^ (z >> 16)) * 0x85ebca6bu;
  z = (z ^ (z >> 13)) * 0xc2b2ae35u;
  return z ^ (z >> 16);
}

/* ---------------------------------------------------------------- fused elementwise passes */
/*
 * Forward epilogue of a hidden layer in one sweep: Y = act(Z), and with dropout A = Y * mask where
 * mask = (draw >= rate * 2^32) / keepProb is kept in M for the backward pass. Y is only stored when
 * something reads it: the next layer (no dropout) or the gradient of tanh/sigmoid/elu.
 */
INLINE void hidden_forward_pass(const int act, Layer *l, int count, const int drop) {
  const v128_t th = wasm_i32x4_splat((int32_t)l->dthresh), sc = vsplat(l->dscale);
  for (int k = 0; k < count; k += 4) {
    v128_t y = act_vec(act, wasm_v128_load(l->Z + k));
    if (!drop || ACT_GRAD_USES_Y(act)) wasm_v128_store(l->Y + k, y);
    if (drop) {
      v128_t m = wasm_v128_and(wasm_u32x4_ge(next_rand(), th), sc);
      wasm_v128_store(l->M + k, m);
      wasm_v128_store(l->A + k, wasm_f32x4_mul(y, m));
    }
  }
}

/*
 * Backward through a hidden layer's dropout and activation in place (dA becomes dL/dZ), summing
 * the bias gradient on the way; column strips keep each bias sum in a register.
 */
INLINE void hidden_backward_pass(const int act, Layer *l, int n, const int drop) {
  const int op = l->op;
  for (int j = 0; j < op; j += 4) {
    v128_t sum = wasm_f32x4_splat(0.0f);
    for (int i = 0; i < n; i++) {
      const int k = i * op + j;
      v128_t g = wasm_v128_load(l->dA + k);
      if (drop) g = wasm_f32x4_mul(g, wasm_v128_load(l->M + k));
      g = act_grad_vec(act, g, wasm_v128_load(l->Z + k), ACT_GRAD_USES_Y(act) ? wasm_v128_load(l->Y + k) : g);
      wasm_v128_store(l->dA + k, g);
      sum = wasm_f32x4_add(sum, g);
    }
    wasm_v128_store(l->gb + j, sum);
  }
}

/* One specialised copy of each pass per activation, with and without dropout. */
#define ACT_SWITCH(act, CALL)                                                                   \
  switch (act) {                                                                                \
    case ACT_RELU: CALL(ACT_RELU); break;                                                       \
    case ACT_TANH: CALL(ACT_TANH); break;                                                       \
    case ACT_SIGMOID: CALL(ACT_SIGMOID); break;                                                 \
    case ACT_ELU: CALL(ACT_ELU); break;                                                         \
    case ACT_SELU: CALL(ACT_SELU); break;                                                       \
    case ACT_GELU: CALL(ACT_GELU); break;                                                       \
    case ACT_SWISH: CALL(ACT_SWISH); break;                                                     \
    default: CALL(ACT_LINEAR);                                                                  \
  }

static void hidden_forward(Layer *l, int n, int drop) {
#define FWD(a) (drop ? hidden_forward_pass(a, l, n * l->op, 1) : hidden_forward_pass(a, l, n * l->op, 0))
  ACT_SWITCH(l->act, FWD)
#undef FWD
}

static void hidden_backward(Layer *l, int n) {
#define BWD(a) (l->drop ? hidden_backward_pass(a, l, n, 1) : hidden_backward_pass(a, l, n, 0))
  ACT_SWITCH(l->act, BWD)
#undef BWD
}

/* W [in, op] -> WT [op, ip] by 4x4 register transposes; WT's padding columns stay zero. */
static void transpose_weights(Layer *l) {
  const int op = l->op, ip = l->ip;
  int i = 0;
  for (; i + 4 <= l->in; i += 4) {
    for (int j = 0; j < op; j += 4) {
      const float *w = l->W + i * op + j;
      v128_t r0 = wasm_v128_load(w), r1 = wasm_v128_load(w + op), r2 = wasm_v128_load(w + 2 * op),
             r3 = wasm_v128_load(w + 3 * op);
      v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
      v128_t t2 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
      float *t = l->WT + j * ip + i;
      wasm_v128_store(t, wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5));
      wasm_v128_store(t + ip, wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7));
      wasm_v128_store(t + 2 * ip, wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5));
      wasm_v128_store(t + 3 * ip, wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7));
    }
  }
  for (; i < l->in; i++)
    for (int j = 0; j < op; j++) l->WT[j * ip + i] = l->W[i * op + j];
}

/* ---------------------------------------------------------------- softmax + cross-entropy */
/*
 * Softmax rows of the last layer's Z into out (row stride ldo), step by step as tfjs's cpu kernels
 * round: exp(z - max) to float, float sum, float quotient.
 */
static void softmax_rows(const Layer *o, int n, float *out, int ldo) {
  for (int i = 0; i < n; i++) {
    const float *z = o->Z + i * o->op;
    float *p = out + i * ldo;
    float mx = z[0];
    for (int j = 1; j < o->out; j++) mx = z[j] > mx ? z[j] : mx;
    double s = 0.0;
    for (int j = 0; j < o->out; j++) s += (double)(p[j] = (float)d_exp((double)(z[j] - mx)));
    float sf = (float)s;
    for (int j = 0; j < o->out; j++) p[j] = (float)((double)p[j] / (double)sf);
  }
}

/*
 * Loss and dL/dz for the softmax layer, written into o->dA (padded columns stay zero). The loss is taken
 * from the logits, log(sum exp(z - max)) - (z_y - max), as torch's CrossEntropyLoss and the tfjs engine
 * (tfjs_engine.ts) do, so every row passes its gradient w (p - t), however confidently wrong it is.
 */
static double loss_and_grad(Layer *o, int n, int weighted) {
  double wsum = 0.0, lsum = 0.0;
  for (int i = 0; i < n; i++) {
    const float *z = o->Z + i * o->op;
    float mx = z[0];
    for (int j = 1; j < o->out; j++) mx = z[j] > mx ? z[j] : mx;
    double s = 0.0;
    for (int j = 0; j < o->out; j++) s += d_exp((double)(z[j] - mx));
    double w = weighted ? (double)swbuf[i] : 1.0;
    lsum += w * (d_log(s) - (double)(z[ybuf[i]] - mx));
    wsum += w;
    rowcoef[i] = (float)w;
  }
  if (wsum == 0.0) { /* all-zero weights: no loss, no gradient (tfjs would produce NaN) */
    for (int i = 0; i < n * o->op; i++) o->dA[i] = 0.0f;
    return 0.0;
  }
  for (int i = 0; i < n; i++) {
    const float *p = o->Y + i * o->op;
    float *d = o->dA + i * o->op;
    float coef = (float)((double)rowcoef[i] / wsum);
    for (int j = 0; j < o->out; j++) d[j] = coef * (p[j] - (j == ybuf[i] ? 1.0f : 0.0f));
    for (int j = o->out; j < o->op; j++) d[j] = 0.0f;
  }
  return lsum / wsum;
}

/* ---------------------------------------------------------------- optimizers */
/* tfjs AdamOptimizer.applyGradients in float32, in its op order */
static void adam_update(void) {
  /* tfjs divides by (1 - beta^t); multiplying by the float reciprocal is within an ulp and avoids
   * two of the three divisions, which dominate this loop */
  const float c1 = 1.0f / (1.0f - acc_b1), c2 = 1.0f / (1.0f - acc_b2);
  const v128_t b1 = vsplat(o_beta1), b2 = vsplat(o_beta2), m1 = vsplat(o_1mb1), m2 = vsplat(o_1mb2);
  const v128_t vc1 = vsplat(c1), vc2 = vsplat(c2), eps = vsplat(o_eps), nlr = vsplat(o_neglr);
  for (int k = 0; k < nparams; k += 4) {
    v128_t g = wasm_v128_load(grads + k);
    v128_t m = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(slot1 + k), b1), wasm_f32x4_mul(g, m1));
    v128_t v = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(slot2 + k), b2), wasm_f32x4_mul(wasm_f32x4_mul(g, g), m2));
    wasm_v128_store(slot1 + k, m);
    wasm_v128_store(slot2 + k, v);
    v128_t mh = wasm_f32x4_mul(m, vc1), vh = wasm_f32x4_mul(v, vc2);
    v128_t u = wasm_f32x4_mul(wasm_f32x4_div(mh, wasm_f32x4_add(wasm_f32x4_sqrt(vh), eps)), nlr);
    wasm_v128_store(params + k, wasm_f32x4_add(u, wasm_v128_load(params + k)));
  }
  acc_b1 = acc_b1 * o_beta1;
  acc_b2 = acc_b2 * o_beta2;
}

/* tfjs MomentumOptimizer (no Nesterov): acc = m * acc + g; w = -lr * acc + w */
static void momentum_update(void) {
  const v128_t m = vsplat(o_mom), nlr = vsplat(o_neglr);
  for (int k = 0; k < nparams; k += 4) {
    v128_t a = wasm_f32x4_add(wasm_f32x4_mul(m, wasm_v128_load(slot1 + k)), wasm_v128_load(grads + k));
    wasm_v128_store(slot1 + k, a);
    wasm_v128_store(params + k, wasm_f32x4_add(wasm_f32x4_mul(nlr, a), wasm_v128_load(params + k)));
  }
}

/* ---------------------------------------------------------------- passes */
static void forward(int n, int train) {
  const float *in = xbuf;
  int ld = L[0].in;
  for (int li = 0; li < nl; li++) {
    Layer *l = &L[li];
    gemm_nn(n, l->op, l->in, in, ld, l->W, l->op, l->Z, l->op, l->b);
    if (li == nl - 1) break;
    const int drop = train && l->drop;
    hidden_forward(l, n, drop);
    in = drop ? l->A : l->Y;
    ld = l->op;
  }
}

static void backward(int n) {
  for (int li = nl - 1; li >= 0; li--) {
    Layer *l = &L[li];
    if (li < nl - 1) {
      hidden_backward(l, n);
    } else {
      for (int j = 0; j < l->op; j += 4) { /* bias gradient: column sums */
        v128_t s = wasm_f32x4_splat(0.0f);
        for (int i = 0; i < n; i++) s = wasm_f32x4_add(s, wasm_v128_load(l->dA + i * l->op + j));
        wasm_v128_store(l->gb + j, s);
      }
    }
    const float *in = li == 0 ? xbuf : (L[li - 1].drop ? L[li - 1].A : L[li - 1].Y);
    int ld = li == 0 ? l->in : L[li - 1].op;
    gemm_tn(l->in, l->op, n, in, ld, l->dA, l->op, l->gW, l->op);
    if (li == 0) break;
    transpose_weights(l); /* so dX = dZ . W^T runs as a plain row-major product */
    gemm_nn(n, l->ip, l->out, l->dA, l->op, l->WT, l->ip, L[li - 1].dA, l->ip, 0);
  }
}

/* ---------------------------------------------------------------- exports */
EXPORT(dk_add_layer) int dk_add_layer(int in, int out, int act, double rate) {
  if (nl >= MAX_LAYERS || in < 1 || out < 1 || act < 0 || act >= ACT_COUNT || !(rate >= 0.0 && rate < 1.0)) return -1;
  Layer *l = &L[nl];
  l->in = in, l->out = out, l->op = (out + 3) & ~3, l->ip = (in + 3) & ~3, l->act = act;
  double th = rate * 4294967296.0;
  l->dthresh = th >= 4294967295.0 ? 0xffffffffu : (uint32_t)th;
  l->dscale = 1.0f / (float)(1.0 - rate);
  l->drop = rate > 0.0;
  return nl++;
}

EXPORT(dk_build) int dk_build(int max_batch, uint32_t seed) {
  if (nl == 0 || max_batch < 1) return 0;
  heap_top = (uintptr_t)&__heap_base;
  maxb = max_batch;
  nparams = 0;
  for (int i = 0; i < nl; i++) {
    if (i > 0 && L[i].in != L[i - 1].out) return 0;
    nparams += L[i].in * L[i].op + L[i].op;
  }
  params = alloc_floats(nparams), grads = alloc_floats(nparams);
  slot1 = alloc_floats(nparams), slot2 = alloc_floats(nparams);
  xbuf = alloc_floats(maxb * L[0].in), ybuf = (int32_t *)alloc_floats(maxb), swbuf = alloc_floats(maxb);
  probs = alloc_floats(maxb * L[nl - 1].out), rowcoef = alloc_floats(maxb);
  if (!params || !grads || !slot1 || !slot2 || !xbuf || !ybuf || !swbuf || !probs || !rowcoef) return 0;
  int off = 0;
  for (int i = 0; i < nl; i++) {
    Layer *l = &L[i];
    l->W = params + off, l->gW = grads + off, off += l->in * l->op;
    l->b = params + off, l->gb = grads + off, off += l->op;
    l->Z = alloc_floats(maxb * l->op), l->Y = alloc_floats(maxb * l->op), l->dA = alloc_floats(maxb * l->op);
    l->WT = i > 0 ? alloc_floats(l->op * l->ip) : 0;
    l->A = l->drop ? alloc_floats(maxb * l->op) : 0;
    l->M = l->drop ? alloc_floats(maxb * l->op) : 0;
    if (!l->Z || !l->Y || !l->dA || (i > 0 && !l->WT) || (l->drop && (!l->A || !l->M))) return 0;
  }
  uint32_t s = seed;
  uint32_t st[16];
  for (int k = 0; k < 16; k++) st[k] = splitmix32(&s) | (k < 4 ? 1u : 0u); /* no all-zero lane */
  rs0 = wasm_v128_load(st), rs1 = wasm_v128_load(st + 4), rs2 = wasm_v128_load(st + 8), rs3 = wasm_v128_load(st + 12);
  return 1;
}

static void reset_beta_powers(void) { /* the same float32 products an uninterrupted run accumulates */
  acc_b1 = o_beta1, acc_b2 = o_beta2;
  for (int32_t k = 0; k < step_count; k++) acc_b1 = acc_b1 * o_beta1, acc_b2 = acc_b2 * o_beta2;
}

EXPORT(dk_set_adam) void dk_set_adam(double lr, double beta1, double beta2, double eps) {
  opt_kind = OPT_ADAM;
  o_neglr = (float)-lr, o_beta1 = (float)beta1, o_beta2 = (float)beta2, o_eps = (float)eps;
  o_1mb1 = (float)(1.0 - beta1), o_1mb2 = (float)(1.0 - beta2);
  reset_beta_powers();
}

EXPORT(dk_set_momentum) void dk_set_momentum(double lr, double momentum) {
  opt_kind = OPT_MOMENTUM;
  o_neglr = (float)-lr, o_mom = (float)momentum;
}

EXPORT(dk_set_lr) void dk_set_lr(double lr) { o_neglr = (float)-lr; }
EXPORT(dk_set_step) void dk_set_step(int32_t step) { step_count = step, reset_beta_powers(); }
EXPORT(dk_get_step) int32_t dk_get_step(void) { return step_count; }

/* One optimizer step on the n rows in x/y (and sw when weighted); returns the loss before the update. */
EXPORT(dk_train) double dk_train(int n, int weighted) {
  if (n < 1 || n > maxb) return -1.0;
  forward(n, 1);
  Layer *o = &L[nl - 1];
  softmax_rows(o, n, o->Y, o->op);
  double loss = loss_and_grad(o, n, weighted);
  backward(n);
  if (opt_kind == OPT_ADAM) adam_update(); else momentum_update();
  step_count++;
  return loss;
}

/* Probabilities for the n rows in x, without dropout, into probs [n, classes]. */
EXPORT(dk_predict) int dk_predict(int n) {
  if (n < 1 || n > maxb) return 0;
  forward(n, 0);
  softmax_rows(&L[nl - 1], n, probs, L[nl - 1].out);
  return 1;
}

EXPORT(dk_x) float *dk_x(void) { return xbuf; }
EXPORT(dk_y) int32_t *dk_y(void) { return ybuf; }
EXPORT(dk_sw) float *dk_sw(void) { return swbuf; }
EXPORT(dk_probs) float *dk_probs(void) { return probs; }
EXPORT(dk_params) float *dk_params(void) { return params; }
EXPORT(dk_slot) float *dk_slot(int k) { return k == 0 ? slot1 : slot2; }
EXPORT(dk_param_count) int dk_param_count(void) { return nparams; }
EXPORT(dk_padded_out) int dk_padded_out(int l) { return L[l].op; }

#ifdef DK_PROFILE /* per-phase entry points for bench work; not in the shipped build */
EXPORT(dk_prof_forward) void dk_prof_forward(int n) { forward(n, 1); }
EXPORT(dk_prof_loss) double dk_prof_loss(int n) {
  softmax_rows(&L[nl - 1], n, L[nl - 1].Y, L[nl - 1].op);
  return loss_and_grad(&L[nl - 1], n, 0);
}
EXPORT(dk_prof_backward) void dk_prof_backward(int n) { backward(n); }
EXPORT(dk_prof_grads) float *dk_prof_grads(void) { return grads; }
EXPORT(dk_prof_update) void dk_prof_update(void) { if (opt_kind == OPT_ADAM) adam_update(); else momentum_update(); }
EXPORT(dk_prof_gemm) void dk_prof_gemm(int M, int N, int K, int which) {
  Layer *l = &L[1];
  if (which == 0) gemm_nn(M, N, K, L[0].Y, L[0].op, l->W, l->op, l->Z, l->op, l->b);
  else gemm_tn(M, N, K, L[0].Y, L[0].op, l->dA, l->op, l->gW, l->op);
}
#endif
