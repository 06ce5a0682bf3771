/*
 * The matmuls of dense_kernel.c: register-blocked f32x4 GEMM over row-major matrices, with fused
 * multiply-add under DK_RELAXED. Included once, by dense_kernel.c, after its INLINE macro.
 */
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

