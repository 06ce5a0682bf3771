/*
 * Math for dense_kernel.c: exp and log in double as JS Math computes them, float SIMD exp, sigmoid,
 * tanh and erf, and the activations with their gradients. Included once, by dense_kernel.c, after
 * its INLINE macro and ACT_* names.
 */
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

