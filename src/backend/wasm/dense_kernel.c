/*
 * Fused dense-stack trainer: one exported call runs a whole training step (forward, softmax
 * cross-entropy, backward, optimizer update) so that a step costs one JS->wasm transition instead
 * of ~100 tfjs kernel dispatches. Built by scripts/build_kernels.sh into dense_kernel.wasm; driven by
 * dense_trainer.ts. One instance holds one model: weights, optimizer slots and scratch all live in
 * this module's own linear memory, laid out once by dk_build().
 *
 * Numerics follow tfjs (layers + cpu backend) so engines can be swapped mid-run:
 *   Dense y = act(x W + b), W [in, out] row-major; softmax; loss log-sum-exp(z) - z_y (from the logits);
 *   or, for regression (dk_set_loss), one linear output and the mean squared error or Huber loss;
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
enum { LOSS_SOFTMAX_CE, LOSS_MSE, LOSS_HUBER };

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
static float *tbuf; /* regression targets, one per row */
static int opt_kind, loss_kind;
static double huber_delta = 1.0;
static float weight_decay; /* L2: every kernel gradient gets weight_decay * W (biases are not decayed) */
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

#include "dense_math.h"
#include "dense_gemm.h"

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

/*
 * Regression: the last layer has one real output z (padded to 4 columns), the loss is the mean over rows
 * of (z - t)^2, or Huber's 0.5 e^2 within delta and delta (|e| - 0.5 delta) beyond, as tf.losses
 * computes them; dL/dz goes into o->dA.
 */
static double regression_loss_and_grad(Layer *o, int n) {
  double lsum = 0.0;
  for (int i = 0; i < n; i++) {
    float *d = o->dA + i * o->op;
    double e = (double)o->Z[i * o->op] - (double)tbuf[i], g;
    if (loss_kind == LOSS_MSE) {
      lsum += e * e;
      g = 2.0 * e;
    } else {
      double a = e < 0 ? -e : e;
      lsum += a <= huber_delta ? 0.5 * e * e : huber_delta * (a - 0.5 * huber_delta);
      g = a <= huber_delta ? e : (e < 0 ? -huber_delta : huber_delta);
    }
    d[0] = (float)(g / n);
    for (int j = 1; j < o->op; j++) d[j] = 0.0f;
  }
  return lsum / n;
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
    if (weight_decay != 0.0f) {
      const v128_t wd = vsplat(weight_decay);
      for (int k = 0; k < l->in * l->op; k += 4) {
        wasm_v128_store(l->gW + k, wasm_f32x4_add(wasm_v128_load(l->gW + k), wasm_f32x4_mul(wd, wasm_v128_load(l->W + k))));
      }
    }
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
  tbuf = alloc_floats(maxb);
  probs = alloc_floats(maxb * L[nl - 1].out), rowcoef = alloc_floats(maxb);
  if (!params || !grads || !slot1 || !slot2 || !xbuf || !ybuf || !swbuf || !tbuf || !probs || !rowcoef) return 0;
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
EXPORT(dk_set_weight_decay) void dk_set_weight_decay(double wd) { weight_decay = (float)wd; }
/* Softmax cross-entropy (0), or for a one-output regression layer mean squared error (1) or Huber (2). */
EXPORT(dk_set_loss) int dk_set_loss(int kind, double delta) {
  if (kind < LOSS_SOFTMAX_CE || kind > LOSS_HUBER || !(delta > 0.0)) return 0;
  if (kind != LOSS_SOFTMAX_CE && (nl == 0 || L[nl - 1].out != 1)) return 0;
  loss_kind = kind, huber_delta = delta;
  return 1;
}
EXPORT(dk_set_step) void dk_set_step(int32_t step) { step_count = step, reset_beta_powers(); }
EXPORT(dk_get_step) int32_t dk_get_step(void) { return step_count; }

/* One optimizer step on the n rows in x/y (and sw when weighted); returns the loss before the update. */
EXPORT(dk_train) double dk_train(int n, int weighted) {
  if (n < 1 || n > maxb) return -1.0;
  forward(n, 1);
  Layer *o = &L[nl - 1];
  double loss;
  if (loss_kind == LOSS_SOFTMAX_CE) {
    softmax_rows(o, n, o->Y, o->op);
    loss = loss_and_grad(o, n, weighted);
  } else {
    loss = regression_loss_and_grad(o, n);
  }
  backward(n);
  if (opt_kind == OPT_ADAM) adam_update(); else momentum_update();
  step_count++;
  return loss;
}

/* Probabilities (or, for regression, the output) for the n rows in x, without dropout, into probs. */
EXPORT(dk_predict) int dk_predict(int n) {
  if (n < 1 || n > maxb) return 0;
  forward(n, 0);
  const Layer *o = &L[nl - 1];
  if (loss_kind == LOSS_SOFTMAX_CE) softmax_rows(o, n, probs, o->out);
  else for (int i = 0; i < n; i++) probs[i] = o->Z[i * o->op];
  return 1;
}

EXPORT(dk_x) float *dk_x(void) { return xbuf; }
EXPORT(dk_y) int32_t *dk_y(void) { return ybuf; }
EXPORT(dk_t) float *dk_t(void) { return tbuf; }
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
