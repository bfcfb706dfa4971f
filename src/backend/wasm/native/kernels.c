/*
 * fundus-train's native wasm kernels: the training passes that tfjs-backend-wasm runs as many separate
 * (and partly JavaScript) kernels, written as single SIMD passes over the backend's own memory.
 *
 * The module imports the tfjs wasm backend's memory and reads and writes tensors where they lie: every
 * pointer argument is a byte offset into that memory (a tensor's memoryOffset). Inputs are only read;
 * results go to tensors the caller allocated. It must never touch memory it was not handed, so it has no
 * data segment and no stack use (build.sh checks both): no static arrays, no string constants, no
 * address-taken locals. Scratch space comes from the caller.
 *
 * With tfjs's threaded build the memory is shared and worker threads run the same module on it
 * (parallel.ts): every kernel takes a range of rows, images or values, and the ranges of one call never
 * write the same memory; sums over rows go to one accumulator per thread, which the caller adds up.
 *
 * Layout: tensors are NHWC, so a tensor is `rows` rows of `C` channels, channels fastest.
 * Sums over rows accumulate in float32 over blocks of BLOCK rows, then in float64 (the blocks keep
 * float32 rounding small; the float64 total keeps it from growing with the tensor size).
 * Build: ./build.sh (clang and wasm-ld with the wasm32 target; see that file).
 */
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))
#define BLOCK 64

typedef v128_t f4;

static inline f4 splat(float v) { return wasm_f32x4_splat(v); }
static inline f4 load(const float *p) { return wasm_v128_load(p); }
static inline void store(float *p, f4 v) { wasm_v128_store(p, v); }
static inline f4 add(f4 a, f4 b) { return wasm_f32x4_add(a, b); }
static inline f4 sub(f4 a, f4 b) { return wasm_f32x4_sub(a, b); }
static inline f4 mul(f4 a, f4 b) { return wasm_f32x4_mul(a, b); }
static inline f4 dvd(f4 a, f4 b) { return wasm_f32x4_div(a, b); }

/*
 * a·b + c: one fused multiply-add in the fma build (relaxed SIMD; V8 emits vfmadd on x64 CPUs with FMA3, in
 * both its compilers, so results repeat on one machine), a multiply and an add otherwise.
 */
#ifdef FUNDUS_FMA
static inline f4 madd(f4 a, f4 b, f4 c) { return __builtin_wasm_relaxed_madd_f32x4(a, b, c); }
#else
static inline f4 madd(f4 a, f4 b, f4 c) { return add(mul(a, b), c); }
#endif

/*
 * e^x for four floats: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-5 polynomial fitted for
 * relative error on that interval (2.2e-7 with float32 rounding, as good as the degree-6 Taylor series
 * and two operations shorter), 2^n built in the exponent bits. Inputs are clamped to [-87, 88], inside
 * float32's normal range, which is where every caller needs it (sigmoid and the Gaussian saturate there).
 * Written for V8's code: pmin/pmax (one instruction each, where min/max need NaN handling sequences) and
 * rounding by adding 1.5·2^23, whose low mantissa bits then hold n as an integer (no nearest, no
 * float-to-int conversion). The polynomial is evaluated in Estrin's form (three dependent multiply-adds
 * instead of Horner's five): the callers' loops were bound by this chain's latency (SiLU at ~26 cycles a
 * vector of four where its operations need ~10).
 */
static inline f4 exp4(f4 x) {
  const float magic = 12582912.0f; /* 1.5·2^23 */
  x = wasm_f32x4_pmin(wasm_f32x4_pmax(x, splat(-87.0f)), splat(88.0f));
  f4 t = add(mul(x, splat(1.44269504088896341f)), splat(magic));
  f4 n = sub(t, splat(magic));
  f4 r = sub(sub(x, mul(n, splat(0.693145751953125f))), mul(n, splat(1.428606765330187045e-6f)));
  f4 r2 = mul(r, r);
  f4 p01 = madd(splat(0.9999996423721313f), r, splat(1.0000001192092896f));
  f4 p23 = madd(splat(0.1666766256093979f), r, splat(0.49998897314071655f));
  f4 p45 = madd(splat(0.008291722275316715f), r, splat(0.04191507026553154f));
  f4 p = madd(r2, madd(r2, p45, p23), p01);
  /* t's bits are magic's plus n: (n + 127) << 23 is 2^n. 0x4B400000 is magic's bit pattern. */
  v128_t bits = wasm_i32x4_shl(wasm_i32x4_add(t, wasm_i32x4_splat(127 - 0x4B400000)), 23);
  return mul(p, bits);
}

static inline f4 sigmoid4(f4 z) { return dvd(splat(1.0f), add(splat(1.0f), exp4(wasm_f32x4_neg(z)))); }

/* z·sigmoid(z) as z/(1 + e^−z): one division. */
static inline f4 silu4(f4 z) { return dvd(z, add(splat(1.0f), exp4(wasm_f32x4_neg(z)))); }

/* Activation after a normalisation: 0 none, 1 SiLU (z·sigmoid(z)), 2 ReLU. */
#define ACT_NONE 0
#define ACT_SILU 1
#define ACT_RELU 2

static inline f4 act_forward(int act, f4 z) {
  if (act == ACT_SILU) return silu4(z);
  return act == ACT_RELU ? wasm_f32x4_pmax(z, splat(0.0f)) : z;
}

/* d act(z)/dz · g: SiLU' = s·(1 + z·(1 − s)); ReLU' = 1 where z > 0, else 0 (as tfjs's step). */
static inline f4 act_backward(int act, f4 z, f4 g) {
  if (act == ACT_RELU) return wasm_v128_and(g, wasm_f32x4_gt(z, splat(0.0f)));
  if (act != ACT_SILU) return g;
  f4 s = sigmoid4(z);
  return mul(g, mul(s, add(splat(1.0f), mul(z, sub(splat(1.0f), s)))));
}

/* Loads four channels starting at c of a row of C, or the 1–3 left at the end (the rest read as 0). */
static inline f4 load_part(const float *p, int c, int C) {
  if (c + 4 <= C) return load(p + c);
  float t0 = p[c], t1 = c + 1 < C ? p[c + 1] : 0.0f, t2 = c + 2 < C ? p[c + 2] : 0.0f;
  return wasm_f32x4_make(t0, t1, t2, 0.0f);
}

static inline void store_part(float *p, int c, int C, f4 v) {
  if (c + 4 <= C) { store(p + c, v); return; }
  p[c] = wasm_f32x4_extract_lane(v, 0);
  if (c + 1 < C) p[c + 1] = wasm_f32x4_extract_lane(v, 1);
  if (c + 2 < C) p[c + 2] = wasm_f32x4_extract_lane(v, 2);
}

/*
 * Runs BODY(LD, ST) for every group of four channels c of a row of C: with plain vector loads and stores
 * (LD(p) reads p[c..c+3], ST(p, v) writes them) while four channels remain, with the partial versions
 * for the 1–3 left at the end. Every model here has C a multiple of 4; the tail is for odd shapes.
 */
#define LDF(p) load((p) + c)
#define STF(p, v) store((p) + c, (v))
#define LDP(p) load_part((p), c, C)
#define STP(p, v) store_part((p), c, C, (v))
#define FOR_CHANNELS(BODY)                  \
  do {                                      \
    int c = 0;                              \
    for (; c + 4 <= C; c += 4) BODY(LDF, STF) \
    if (c < C) BODY(LDP, STP)               \
  } while (0)

/* total[c] += part[c] in float64, and part[c] = 0. */
static void flush(double *total, float *part, int n) {
  for (int c = 0; c < n; c++) {
    total[c] += (double)part[c];
    part[c] = 0.0f;
  }
}


/* total[c..c+3] += the lanes of v, as far as c + lane < C. */
static inline void add_lanes(double *total, int c, int C, f4 v) {
  total[c] += (double)wasm_f32x4_extract_lane(v, 0);
  if (c + 1 < C) total[c + 1] += (double)wasm_f32x4_extract_lane(v, 1);
  if (c + 2 < C) total[c + 2] += (double)wasm_f32x4_extract_lane(v, 2);
  if (c + 3 < C) total[c + 3] += (double)wasm_f32x4_extract_lane(v, 3);
}
static void zero_f32(float *p, int n) { for (int i = 0; i < n; i++) p[i] = 0.0f; }

/*
 * Per-channel sums of (x − shift) and (x − shift)² over x [rows, C], into acc [2·C doubles]: the pieces
 * of a mean and a (biased) variance that several threads can each compute over their own rows. Shifting
 * by one row of x keeps the one-pass variance from cancelling when the mean is large against the
 * spread. Each block of BLOCK rows is summed in float32 registers, then added in float64. acc adds up
 * over calls: the caller zeroes it once.
 */
EXPORT(channel_sums)
void channel_sums(const float *x, int rows, int C, const float *shift, double *acc) {
  /* Down each column of a block of rows with the sums in registers, then into the float64 totals. */
  for (int rb = 0; rb < rows; rb += BLOCK) {
    int re = rb + BLOCK < rows ? rb + BLOCK : rows;
    for (int c = 0; c < C; c += 4) {
      f4 sh = load_part(shift, c, C), s4 = splat(0.0f), q4 = splat(0.0f);
      for (int r = rb; r < re; r++) {
        f4 d = sub(load_part(x + r * C, c, C), sh);
        s4 = add(s4, d);
        q4 = add(q4, mul(d, d));
      }
      add_lanes(acc, c, C, s4);
      add_lanes(acc + C, c, C, q4);
    }
  }
}

/* y = act(x·scale[c] + shift[c]) over x [rows, C]. */
EXPORT(scale_shift_act)
void scale_shift_act(const float *x, int rows, int C, const float *scale, const float *shift, int act, float *y) {
  int r = 0;
  if (act == ACT_SILU && C % 4 == 0) {
    /* Two rows at a time: SiLU's chain (exp, then a division) is long, and two independent ones in flight
     * keep the vector units busy where one waits on latency. */
    for (; r + 2 <= rows; r += 2) {
      const float *x0 = x + r * C, *x1 = x0 + C;
      float *y0 = y + r * C, *y1 = y0 + C;
      for (int c = 0; c < C; c += 4) {
        f4 s = load(scale + c), h = load(shift + c);
        f4 z0 = add(mul(load(x0 + c), s), h), z1 = add(mul(load(x1 + c), s), h);
        store(y0 + c, silu4(z0));
        store(y1 + c, silu4(z1));
      }
    }
  }
  for (; r < rows; r++) {
    const float *xr = x + r * C;
    float *yr = y + r * C;
#define SCALE_SHIFT(LD, ST) { ST(yr, act_forward(act, add(mul(LD(xr), LD(scale)), LD(shift)))); }
    FOR_CHANNELS(SCALE_SHIFT);
#undef SCALE_SHIFT
  }
}

/*
 * First half of the backward pass of y = act(z), z = xhat·gamma + beta, xhat = (x − mean)·invstd, over
 * x [rows, C]: g = dL/dz goes to g_out, and acc [2·C doubles] gets Σ g and Σ g·xhat per channel (which are
 * dbeta and dgamma once summed over all rows; it adds up over calls, the caller zeroes it once). part:
 * 2·C floats of scratch.
 */
EXPORT(norm_act_grad_sums)
void norm_act_grad_sums(const float *x, const float *dy, int rows, int C, const float *mean, const float *invstd,
                        const float *gamma, const float *beta, int act, float *g_out, double *acc, float *part) {
  double *sg = acc, *sgx = acc + C;
  float *pg = part, *pgx = part + C;
  zero_f32(part, 2 * C);
  for (int r = 0; r < rows; r++) {
    const float *xr = x + r * C, *dyr = dy + r * C;
    float *gr = g_out + r * C;
#define GRAD_SUMS(LD, ST)                                 \
  {                                                       \
    f4 xhat = mul(sub(LD(xr), LD(mean)), LD(invstd));     \
    f4 g = act_backward(act, add(mul(xhat, LD(gamma)), LD(beta)), LD(dyr)); \
    ST(gr, g);                                            \
    ST(pg, add(LD(pg), g));                               \
    ST(pgx, add(LD(pgx), mul(g, xhat)));                  \
  }
    FOR_CHANNELS(GRAD_SUMS);
#undef GRAD_SUMS
    if ((r + 1) % BLOCK == 0 || r + 1 == rows) {
      flush(sg, pg, C);
      flush(sgx, pgx, C);
    }
  }
}

/*
 * out = a[c]·g + b[c]·x + d[c] over [rows, C] (out may be g): the second half of the normalisation
 * backward pass, with the per-channel coefficients the caller derived from the sums.
 */
EXPORT(affine_rows)
void affine_rows(const float *g, const float *x, int rows, int C, const float *a, const float *b, const float *d,
                 float *out) {
  for (int r = 0; r < rows; r++) {
    const float *gr = g + r * C, *xr = x + r * C;
    float *o = out + r * C;
#define AFFINE(LD, ST) { ST(o, add(add(mul(LD(a), LD(gr)), mul(LD(b), LD(xr))), LD(d))); }
    FOR_CHANNELS(AFFINE);
#undef AFFINE
  }
}

/*
 * Layer normalisation of each row of x [rows, D]: y = (x − mean)·rstd·gamma + beta with the row's
 * mean and rstd = 1/sqrt(biased variance + eps), both also written out (per row) for the backward pass.
 */
EXPORT(layer_norm)
void layer_norm(const float *x, int rows, int D, const float *gamma, const float *beta, float eps, float *y,
                float *mean, float *rstd) {
  for (int r = 0; r < rows; r++) {
    const float *xr = x + r * D;
    float *yr = y + r * D;
    f4 s4 = splat(0.0f);
    for (int c = 0; c < D; c += 4) s4 = add(s4, load_part(xr, c, D));
    float m = (wasm_f32x4_extract_lane(s4, 0) + wasm_f32x4_extract_lane(s4, 1) + wasm_f32x4_extract_lane(s4, 2) +
               wasm_f32x4_extract_lane(s4, 3)) / (float)D;
    f4 m4 = splat(m), q4 = splat(0.0f);
    for (int c = 0; c < D; c += 4) {
      f4 dv = sub(load_part(xr, c, D), m4);
      if (c + 4 > D) dv = wasm_v128_and(dv, wasm_i32x4_make(-1, D - c > 1 ? -1 : 0, D - c > 2 ? -1 : 0, 0));
      q4 = add(q4, mul(dv, dv));
    }
    float v = (wasm_f32x4_extract_lane(q4, 0) + wasm_f32x4_extract_lane(q4, 1) + wasm_f32x4_extract_lane(q4, 2) +
               wasm_f32x4_extract_lane(q4, 3)) / (float)D;
    float rs = 1.0f / __builtin_sqrtf(v + eps);
    f4 rs4 = splat(rs);
    for (int c = 0; c < D; c += 4) {
      f4 n = mul(sub(load_part(xr, c, D), m4), rs4);
      store_part(yr, c, D, add(mul(n, load_part(gamma, c, D)), load_part(beta, c, D)));
    }
    mean[r] = m;
    rstd[r] = rs;
  }
}

/*
 * Backward of layer_norm over x [rows, D]: with g = dy·gamma and xhat = (x − mean)·rstd,
 * dx = rstd·(g − mean(g) − xhat·mean(g·xhat)) per row, and acc [2·D doubles] gets Σ dy·xhat and Σ dy
 * per column (dgamma and dbeta once summed over all rows; it adds up over calls, the caller zeroes it
 * once). part: 2·D floats of scratch.
 */
EXPORT(layer_norm_grad)
void layer_norm_grad(const float *x, const float *dy, int rows, int D, const float *mean, const float *rstd,
                     const float *gamma, float *dx, double *acc, float *part) {
  double *sgx = acc, *sg = acc + D;
  float *pgx = part, *pg = part + D;
  zero_f32(part, 2 * D);
  for (int r = 0; r < rows; r++) {
    const float *xr = x + r * D, *dyr = dy + r * D;
    float *dxr = dx + r * D;
    f4 m4 = splat(mean[r]), rs4 = splat(rstd[r]);
    f4 a4 = splat(0.0f), b4 = splat(0.0f);
    for (int c = 0; c < D; c += 4) {
      f4 d = load_part(dyr, c, D);
      f4 xhat = mul(sub(load_part(xr, c, D), m4), rs4);
      f4 g = mul(d, load_part(gamma, c, D)); /* 0 in the lanes past D */
      a4 = add(a4, g);
      b4 = add(b4, mul(g, xhat));
      store_part(pgx, c, D, add(load_part(pgx, c, D), mul(d, xhat)));
      store_part(pg, c, D, add(load_part(pg, c, D), d));
    }
    float a = (wasm_f32x4_extract_lane(a4, 0) + wasm_f32x4_extract_lane(a4, 1) + wasm_f32x4_extract_lane(a4, 2) +
               wasm_f32x4_extract_lane(a4, 3)) / (float)D;
    float b = (wasm_f32x4_extract_lane(b4, 0) + wasm_f32x4_extract_lane(b4, 1) + wasm_f32x4_extract_lane(b4, 2) +
               wasm_f32x4_extract_lane(b4, 3)) / (float)D;
    f4 aa = splat(a), bb = splat(b);
    for (int c = 0; c < D; c += 4) {
      f4 xhat = mul(sub(load_part(xr, c, D), m4), rs4);
      f4 g = mul(load_part(dyr, c, D), load_part(gamma, c, D));
      store_part(dxr, c, D, mul(rs4, sub(sub(g, aa), mul(xhat, bb))));
    }
    if ((r + 1) % BLOCK == 0 || r + 1 == rows) {
      flush(sgx, pgx, D);
      flush(sg, pg, D);
    }
  }
}

/*
 * The standard normal CDF Φ(x) and e^(−x²/2) for four floats. Φ comes from erfc by Abramowitz & Stegun
 * 7.1.26 (absolute error below 1.5e-7), evaluated on |x| so that the lower tail is a product, not a
 * difference of nearly equal numbers.
 */
static inline f4 normal_cdf4(f4 x, f4 *gauss) {
  f4 u = mul(wasm_f32x4_abs(x), splat(0.70710678118654752f));
  f4 t = dvd(splat(1.0f), add(splat(1.0f), mul(u, splat(0.3275911f))));
  f4 p = splat(1.061405429f);
  p = add(mul(p, t), splat(-1.453152027f));
  p = add(mul(p, t), splat(1.421413741f));
  p = add(mul(p, t), splat(-0.284496736f));
  p = add(mul(p, t), splat(0.254829592f));
  p = mul(p, t);
  f4 e = exp4(wasm_f32x4_neg(mul(u, u)));
  *gauss = e;
  f4 tail = mul(splat(0.5f), mul(p, e)); /* Φ(−|x|) */
  return wasm_v128_bitselect(sub(splat(1.0f), tail), tail, wasm_f32x4_ge(x, splat(0.0f)));
}

/* Exact GELU y = x·Φ(x) over n values. */
/* y = max(a + b, 0): a residual connection and its ReLU in one pass. */
EXPORT(add_relu)
void add_relu(const float *a, const float *b, int n, float *y) {
  int i = 0;
  for (; i + 4 <= n; i += 4) store(y + i, wasm_f32x4_pmax(add(load(a + i), load(b + i)), splat(0.0f)));
  for (; i < n; i++) {
    float v = a[i] + b[i];
    y[i] = v > 0.0f ? v : 0.0f;
  }
}

/* dx = dy where y > 0, else 0: ReLU's gradient from its output (as tfjs's step, 0 at 0). */
EXPORT(relu_backward)
void relu_backward(const float *y, const float *dy, int n, float *dx) {
  int i = 0;
  for (; i + 4 <= n; i += 4) store(dx + i, wasm_v128_and(load(dy + i), wasm_f32x4_gt(load(y + i), splat(0.0f))));
  for (; i < n; i++) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

/*
 * Softmax's gradient over the last axis from its output, for rows [rows, D]: dx = p − (Σ p)·y with
 * p = dy·y, the formula tfjs's own gradient evaluates (in float32, as it does).
 */
EXPORT(softmax_backward)
void softmax_backward(const float *y, const float *dy, int rows, int D, float *dx) {
  for (int r = 0; r < rows; r++) {
    const float *yr = y + r * D, *dr = dy + r * D;
    float *o = dx + r * D;
    f4 s4 = splat(0.0f);
    int i = 0;
    for (; i + 4 <= D; i += 4) s4 = add(s4, mul(load(dr + i), load(yr + i)));
    float s = wasm_f32x4_extract_lane(s4, 0) + wasm_f32x4_extract_lane(s4, 1) + wasm_f32x4_extract_lane(s4, 2) +
              wasm_f32x4_extract_lane(s4, 3);
    for (; i < D; i++) s += dr[i] * yr[i];
    f4 sv = splat(s);
    for (i = 0; i + 4 <= D; i += 4) {
      f4 yv = load(yr + i);
      store(o + i, sub(mul(load(dr + i), yv), mul(sv, yv)));
    }
    for (; i < D; i++) o[i] = dr[i] * yr[i] - s * yr[i];
  }
}

EXPORT(gelu)
void gelu(const float *x, int n, float *y) {
  int i = 0;
  f4 g;
  for (; i + 4 <= n; i += 4) {
    f4 v = load(x + i);
    store(y + i, mul(v, normal_cdf4(v, &g)));
  }
  if (i < n) {
    int rest = n - i;
    f4 v = load_part(x + i, 0, rest);
    store_part(y + i, 0, rest, mul(v, normal_cdf4(v, &g)));
  }
}

/* Backward of GELU: dx = dy·(Φ(x) + x·φ(x)), φ(x) = e^(−x²/2)/sqrt(2π). */
EXPORT(gelu_backward)
void gelu_backward(const float *x, const float *dy, int n, float *dx) {
  const f4 inv_sqrt_2pi = splat(0.39894228040143268f);
  int i = 0;
  f4 g;
  for (; i + 4 <= n; i += 4) {
    f4 v = load(x + i);
    f4 cdf = normal_cdf4(v, &g);
    store(dx + i, mul(load(dy + i), add(cdf, mul(v, mul(g, inv_sqrt_2pi)))));
  }
  if (i < n) {
    int rest = n - i;
    f4 v = load_part(x + i, 0, rest);
    f4 cdf = normal_cdf4(v, &g);
    store_part(dx + i, 0, rest, mul(load_part(dy + i, 0, rest), add(cdf, mul(v, mul(g, inv_sqrt_2pi)))));
  }
}

/*
 * Gradient of a depthwise convolution (channel multiplier 1) with respect to its filter, over the output
 * rows [row0, row1) of the N·OH rows (a thread's share): acc [taps·C doubles] gets
 * Σ x[n, oh·sh + i·dh − pt, ow·sw + j·dw − pl, c]·dy[n, oh, ow, c] per tap (i, j) and channel c.
 * Per output row and tap, the products add into a float32 row sum (C values, hot in cache), which then
 * adds into the float64 total (acc adds up over calls: the caller zeroes it once). part: C floats of
 * scratch.
 */
EXPORT(depthwise_filter_grad)
void depthwise_filter_grad(const float *x, const float *dy, int H, int W, int C, int OH, int OW, int KH, int KW,
                           int sh, int sw, int dh, int dw, int pt, int pl, int row0, int row1, double *acc,
                           float *part) {
  for (int row = row0; row < row1; row++) {
    int n = row / OH, oh = row % OH;
    const float *dyr = dy + row * OW * C;
    for (int i = 0; i < KH; i++) {
      int ih = oh * sh + i * dh - pt;
      if (ih < 0 || ih >= H) continue;
      const float *xr = x + (n * H + ih) * W * C;
      for (int j = 0; j < KW; j++) {
        /* output columns whose tap j lands inside the row: ow·sw + j·dw − pl in [0, W) */
        int off = j * dw - pl;
        int ow0 = off >= 0 ? 0 : (-off + sw - 1) / sw;
        int ow1 = W - 1 - off < 0 ? 0 : (W - 1 - off) / sw + 1;
        if (ow1 > OW) ow1 = OW;
        if (ow0 >= ow1) continue;
        int c = 0;
        for (; c + 8 <= C; c += 8) {
          f4 s0 = splat(0.0f), s1 = splat(0.0f);
          for (int ow = ow0; ow < ow1; ow++) {
            const float *xp = xr + (ow * sw + off) * C + c;
            const float *dp = dyr + ow * C + c;
            s0 = add(s0, mul(load(xp), load(dp)));
            s1 = add(s1, mul(load(xp + 4), load(dp + 4)));
          }
          store(part + c, s0);
          store(part + c + 4, s1);
        }
        for (; c < C; c += 4) {
          f4 s0 = splat(0.0f);
          for (int ow = ow0; ow < ow1; ow++)
            s0 = add(s0, mul(load_part(xr + (ow * sw + off) * C, c, C), load_part(dyr + ow * C, c, C)));
          store_part(part, c, C, s0);
        }
        double *t = acc + (i * KW + j) * C;
        for (int k = 0; k < C; k++) t[k] += (double)part[k];
      }
    }
  }
}

/*
 * Gradient of a depthwise convolution (channel multiplier 1) with respect to its input, for the images
 * [n0, n1) (a thread's share): every output position adds filter[i, j, :]·dy[n, oh, ow, :] onto the input
 * pixel under tap (i, j). Those images' dx is zeroed here.
 */
EXPORT(depthwise_input_grad)
void depthwise_input_grad(const float *dy, const float *filter, int H, int W, int C, int OH, int OW, int KH, int KW,
                          int sh, int sw, int dh, int dw, int pt, int pl, int n0, int n1, float *dx) {
  int k = n0 * H * W * C, end = n1 * H * W * C;
  for (; k + 4 <= end; k += 4) store(dx + k, splat(0.0f));
  for (; k < end; k++) dx[k] = 0.0f;
  for (int n = n0; n < n1; n++) {
    for (int oh = 0; oh < OH; oh++) {
      const float *dyr = dy + ((n * OH + oh) * OW) * C;
      for (int i = 0; i < KH; i++) {
        int ih = oh * sh + i * dh - pt;
        if (ih < 0 || ih >= H) continue;
        float *xr = dx + ((n * H + ih) * W) * C;
        for (int j = 0; j < KW; j++) {
          int off = j * dw - pl;
          int ow0 = off >= 0 ? 0 : (-off + sw - 1) / sw;
          int ow1 = (W - 1 - off) / sw + 1;
          if (W - 1 - off < 0) ow1 = 0;
          if (ow1 > OW) ow1 = OW;
          const float *f = filter + (i * KW + j) * C;
          for (int ow = ow0; ow < ow1; ow++) {
            float *xp = xr + (ow * sw + off) * C;
            const float *dp = dyr + ow * C;
            for (int c = 0; c < C; c += 4) store_part(xp, c, C, add(load_part(xp, c, C), mul(load_part(f, c, C), load_part(dp, c, C))));
          }
        }
      }
    }
  }
}

/*
 * One Adam / AdamW step over n parameters, in PyTorch's order of operations (torch.optim.Adam):
 *   g ← g + wd·p (L2, not decoupled)      m ← b1·m + (1 − b1)·g      v ← b2·v + (1 − b2)·g²
 *   p ← p − step·m / (sqrt(v)/sqrt_bc2 + eps)      p ← p − lr_wd·p_old (decoupled)
 * Results go to new buffers (tensors are never written in place). c1 = 1 − b1 and c2 = 1 − b2 come from
 * the caller, rounded once from double precision as tfjs rounds them (1 − 0.999f is 1.3e-5 off).
 */
EXPORT(adam_update)
void adam_update(const float *p, const float *g, const float *m, const float *v, int n, float b1, float b2, float c1,
                 float c2, float eps, float sqrt_bc2, float step, float l2, float lr_wd, float *p_out, float *m_out,
                 float *v_out) {
  const f4 B1 = splat(b1), B2 = splat(b2), C1 = splat(c1), C2 = splat(c2), E = splat(eps),
           S = splat(sqrt_bc2), ST = splat(step), L2 = splat(l2), WD = splat(lr_wd);
  int i = 0;
  for (; i < n; i += 4) {
    int rest = n - i;
    f4 pv = load_part(p + i, 0, rest);
    f4 gv = load_part(g + i, 0, rest);
    if (l2 != 0.0f) gv = add(gv, mul(pv, L2));
    f4 mv = add(mul(load_part(m + i, 0, rest), B1), mul(gv, C1));
    f4 vv = add(mul(load_part(v + i, 0, rest), B2), mul(mul(gv, gv), C2));
    f4 denom = add(dvd(wasm_f32x4_sqrt(vv), S), E);
    f4 next = sub(pv, mul(dvd(mv, denom), ST));
    if (lr_wd != 0.0f) next = sub(next, mul(pv, WD));
    store_part(p_out + i, 0, rest, next);
    store_part(m_out + i, 0, rest, mv);
    store_part(v_out + i, 0, rest, vv);
  }
}

/* Four floats of each of rows r0..r3, transposed: out + q·out_step gets element q of every row. */
static inline void transpose4(const float *r0, const float *r1, const float *r2, const float *r3, float *out,
                              int out_step) {
  f4 a = load(r0), b = load(r1), c = load(r2), d = load(r3);
  f4 ab_lo = wasm_i32x4_shuffle(a, b, 0, 4, 1, 5), cd_lo = wasm_i32x4_shuffle(c, d, 0, 4, 1, 5);
  f4 ab_hi = wasm_i32x4_shuffle(a, b, 2, 6, 3, 7), cd_hi = wasm_i32x4_shuffle(c, d, 2, 6, 3, 7);
  store(out, wasm_i64x2_shuffle(ab_lo, cd_lo, 0, 2));
  store(out + out_step, wasm_i64x2_shuffle(ab_lo, cd_lo, 1, 3));
  store(out + 2 * out_step, wasm_i64x2_shuffle(ab_hi, cd_hi, 0, 2));
  store(out + 3 * out_step, wasm_i64x2_shuffle(ab_hi, cd_hi, 1, 3));
}

/*
 * y = xᵀ for the rows [r0, r1) of one [R, Cn] block, in 4×4 tiles transposed in registers, tiles visited
 * in 32×32 groups.
 */
static void transpose2d(const float *x, int R, int Cn, int r0, int r1, float *y) {
  for (int rb = r0; rb < r1; rb += 32) {
    int re = rb + 32 < r1 ? rb + 32 : r1;
    for (int cb = 0; cb < Cn; cb += 32) {
      int ce = cb + 32 < Cn ? cb + 32 : Cn;
      int r = rb;
      for (; r + 4 <= re; r += 4) {
        int c = cb;
        for (; c + 4 <= ce; c += 4) {
          const float *xr = x + r * Cn + c;
          transpose4(xr, xr + Cn, xr + 2 * Cn, xr + 3 * Cn, y + c * R + r, R);
        }
        for (; c < ce; c++)
          for (int i = 0; i < 4; i++) y[c * R + r + i] = x[(r + i) * Cn + c];
      }
      for (; r < re; r++)
        for (int c = cb; c < ce; c++) y[c * R + r] = x[r * Cn + c];
    }
  }
}

/*
 * y[a, c, r, :] = x[a, r, c, :] for x [A, R, Cn, D]: every transpose that swaps two adjacent groups of
 * axes (matrix transposes, batched ones, attention's head split and merge), for the rows [r0, r1) of R in
 * every block (a thread's share). 4-byte elements of any type.
 */
EXPORT(transpose_swap)
void transpose_swap(const float *x, int A, int R, int Cn, int D, int r0, int r1, float *y) {
  int block = R * Cn * D;
  for (int a = 0; a < A; a++) {
    const float *xa = x + a * block;
    float *ya = y + a * block;
    if (D == 1) {
      transpose2d(xa, R, Cn, r0, r1, ya);
      continue;
    }
    for (int r = r0; r < r1; r++) {
      for (int c = 0; c < Cn; c++) {
        const float *s = xa + (r * Cn + c) * D;
        float *d = ya + (c * R + r) * D;
        int k = 0;
        for (; k + 4 <= D; k += 4) store(d + k, load(s + k));
        for (; k < D; k++) d[k] = s[k];
      }
    }
  }
}

/*
 * Squeeze-and-excitation's pieces over x [N, P, C] (P = H·W positions), for the images [n0, n1):
 * the mean over positions, its gradient, and the gradient of the per-image channel gate.
 */

/* out[n, c] = mean over p of x[n, p, c]. */
EXPORT(spatial_mean)
void spatial_mean(const float *x, int P, int C, int n0, int n1, float *out) {
  for (int n = n0; n < n1; n++) {
    const float *xn = x + n * P * C;
    for (int c = 0; c < C; c += 4) {
      double t0 = 0.0, t1 = 0.0, t2 = 0.0, t3 = 0.0;
      for (int pb = 0; pb < P; pb += BLOCK) {
        int pe = pb + BLOCK < P ? pb + BLOCK : P;
        f4 s4 = splat(0.0f);
        for (int p = pb; p < pe; p++) s4 = add(s4, load_part(xn + p * C, c, C));
        t0 += wasm_f32x4_extract_lane(s4, 0);
        t1 += wasm_f32x4_extract_lane(s4, 1);
        t2 += wasm_f32x4_extract_lane(s4, 2);
        t3 += wasm_f32x4_extract_lane(s4, 3);
      }
      store_part(out + n * C, c, C, wasm_f32x4_make((float)(t0 / P), (float)(t1 / P), (float)(t2 / P), (float)(t3 / P)));
    }
  }
}

/* dx[n, p, c] = dy[n, c]·scale: the gradient of the mean (scale = 1/P). */
EXPORT(spread_positions)
void spread_positions(const float *dy, int P, int C, float scale, int n0, int n1, float *dx) {
  for (int n = n0; n < n1; n++) {
    for (int p = 0; p < P; p++) {
      float *o = dx + (n * P + p) * C;
      const float *dn = dy + n * C;
#define SPREAD(LD, ST) { ST(o, mul(LD(dn), splat(scale))); }
      FOR_CHANNELS(SPREAD);
#undef SPREAD
    }
  }
}

/* Backward of y = x·gate[n, c] (the gating runs as tfjs's Multiply): dx = dy·gate, dgate[n, c] = Σ over p of dy·x. */
EXPORT(channel_gate_grad)
void channel_gate_grad(const float *x, const float *gate, const float *dy, int P, int C, int n0, int n1, float *dx,
                       float *dgate) {
  for (int n = n0; n < n1; n++) {
    const float *gn = gate + n * C;
    for (int c = 0; c < C; c += 4) {
      f4 g4 = load_part(gn, c, C);
      double t0 = 0.0, t1 = 0.0, t2 = 0.0, t3 = 0.0;
      for (int pb = 0; pb < P; pb += BLOCK) {
        int pe = pb + BLOCK < P ? pb + BLOCK : P;
        f4 s4 = splat(0.0f);
        for (int p = pb; p < pe; p++) {
          int at = (n * P + p) * C;
          f4 d = load_part(dy + at, c, C);
          s4 = add(s4, mul(d, load_part(x + at, c, C)));
          store_part(dx + at, c, C, mul(d, g4));
        }
        t0 += wasm_f32x4_extract_lane(s4, 0);
        t1 += wasm_f32x4_extract_lane(s4, 1);
        t2 += wasm_f32x4_extract_lane(s4, 2);
        t3 += wasm_f32x4_extract_lane(s4, 3);
      }
      store_part(dgate + n * C, c, C, wasm_f32x4_make((float)t0, (float)t1, (float)t2, (float)t3));
    }
  }
}

/* dst[r·dst_stride + j] = src[r·src_stride + j] for j < len: one piece of a split or a concatenation. */
EXPORT(copy_rows)
void copy_rows(const float *src, int rows, int src_stride, int len, int dst_stride, float *dst) {
  for (int r = 0; r < rows; r++) {
    const float *s = src + r * src_stride;
    float *d = dst + r * dst_stride;
    int j = 0;
    for (; j + 8 <= len; j += 8) {
      store(d + j, load(s + j));
      store(d + j + 4, load(s + j + 4));
    }
    for (; j < len; j++) d[j] = s[j];
  }
}

/*
 * acc[c] += Σ over rows of x[r, c] for x [rows, C]: a sum over leading axes (a bias gradient). Blocks of
 * BLOCK rows are summed in float32 registers, then added in float64; acc adds up over calls.
 */
EXPORT(column_sums)
void column_sums(const float *x, int rows, int C, double *acc) {
  for (int rb = 0; rb < rows; rb += BLOCK) {
    int re = rb + BLOCK < rows ? rb + BLOCK : rows;
    for (int c = 0; c < C; c += 4) {
      f4 s4 = splat(0.0f);
      for (int r = rb; r < re; r++) s4 = add(s4, load_part(x + r * C, c, C));
      add_lanes(acc, c, C, s4);
    }
  }
}

/*
 * Backward of max pooling with PyTorch's symmetric padding (nn.MaxPool2d(k, s, p)) over x [N, H, W, C]:
 * dy [N, outH, outW, C] goes to the first largest input of each window (row-major order, padding never
 * wins), as tfjs's MaxPoolGrad does on the -inf padded input; dx [N, H, W, C], images n0..n1.
 */
EXPORT(max_pool_grad)
void max_pool_grad(const float *x, const float *dy, int H, int W, int C, int outH, int outW, int k, int stride,
                   int pad, int n0, int n1, float *dx) {
  for (int n = n0; n < n1; n++) {
    const float *xn = x + n * H * W * C;
    float *dxn = dx + n * H * W * C;
    zero_f32(dxn, H * W * C);
    for (int oh = 0; oh < outH; oh++) {
      int h0 = oh * stride - pad, h1 = h0 + k;
      if (h0 < 0) h0 = 0;
      if (h1 > H) h1 = H;
      for (int ow = 0; ow < outW; ow++) {
        int w0 = ow * stride - pad, w1 = w0 + k;
        if (w0 < 0) w0 = 0;
        if (w1 > W) w1 = W;
        const float *d = dy + ((n * outH + oh) * outW + ow) * C;
        for (int c = 0; c < C; c += 4) {
          /* The best value so far and where its pixel starts (an element index into the image), per lane. */
          f4 best = load_part(xn + (h0 * W + w0) * C, c, C);
          v128_t at = wasm_i32x4_splat((h0 * W + w0) * C);
          for (int ih = h0; ih < h1; ih++) {
            for (int iw = ih == h0 ? w0 + 1 : w0; iw < w1; iw++) {
              int e = (ih * W + iw) * C;
              f4 v = load_part(xn + e, c, C);
              v128_t greater = wasm_f32x4_gt(v, best);
              best = wasm_v128_bitselect(v, best, greater);
              at = wasm_v128_bitselect(wasm_i32x4_splat(e), at, greater);
            }
          }
          int lanes = C - c < 4 ? C - c : 4;
          for (int l = 0; l < lanes; l++) {
            int e;
            float g;
            switch (l) {
              case 0: e = wasm_i32x4_extract_lane(at, 0); g = d[c]; break;
              case 1: e = wasm_i32x4_extract_lane(at, 1); g = d[c + 1]; break;
              case 2: e = wasm_i32x4_extract_lane(at, 2); g = d[c + 2]; break;
              default: e = wasm_i32x4_extract_lane(at, 3); g = d[c + 3]; break;
            }
            dxn[e + c + l] += g;
          }
        }
      }
    }
  }
}

/*
 * Matrix products. C[e] = A[e]·B[e] for every batch entry e, with A[e] [M, K] and B[e] [K, N] read
 * through strides (so either layout of each, and a side shared by every entry with a batch stride of 0),
 * C [batch, M, N] row-major, optionally followed by C = act(C + bias[column]).
 *
 * The classic blocked scheme (Goto and van de Geijn; BLIS): C is cut into blocks of mc rows × nc columns
 * (the tasks that threads take), K into slices of GEMM_KC. For each slice the block's rows of A and
 * columns of B are copied into panels laid out in the order the inner kernel reads them (A: 4 rows at a
 * time, B: 8 columns at a time, zero-padded), and a 4×8 register tile runs down the slice. The copies
 * make every layout the same to the inner kernel and keep its reads sequential; the panels stay in
 * cache (A's block in L2, one B panel of 8 KiB in L1).
 *
 * Why 4×8: V8 gives wasm code 15 of x64's 16 vector registers, and its scheduler loads all of a step's
 * broadcasts of A before the multiply-adds, so a tile of R rows × 2 vectors needs 2R accumulators + R
 * broadcasts + 2 B vectors: 4 rows fit (14 registers), 5 or 6 spill to the stack and run at half speed
 * (measured on one thread, fma build: 4×8 49, 5×8 26, 6×8 26 GFLOP/s).
 *
 * Each step is one madd (fused in the fma build). Each output sums over k in order, slice after slice.
 */
#define GEMM_KC 256
#define GEMM_MR 4
#define GEMM_NR 8

/*
 * A's rows [0, mc) and columns [0, kc) (element (i, p) at a[i·ar + p·ac]) into panels of 4 rows: panel
 * q holds element (4q + r, p) at dst[q·kc·4 + p·4 + r], rows past mc as zeros.
 */
static void pack_a(const float *a, int ar, int ac, int mc, int kc, float *dst) {
  for (int i = 0; i < mc; i += GEMM_MR, dst += kc * GEMM_MR) {
    const float *s = a + i * ar;
    if (mc - i >= 4 && ar == 1) {
      for (int p = 0; p < kc; p++) store(dst + p * 4, load(s + p * ac));
    } else if (mc - i >= 4 && ac == 1) {
      const float *s1 = s + ar, *s2 = s1 + ar, *s3 = s2 + ar;
      int p = 0;
      for (; p + 4 <= kc; p += 4) transpose4(s + p, s1 + p, s2 + p, s3 + p, dst + p * 4, 4);
      for (; p < kc; p++) {
        dst[p * 4] = s[p];
        dst[p * 4 + 1] = s1[p];
        dst[p * 4 + 2] = s2[p];
        dst[p * 4 + 3] = s3[p];
      }
    } else {
      int rows = mc - i < 4 ? mc - i : 4;
      for (int p = 0; p < kc; p++)
        for (int r = 0; r < 4; r++) dst[p * 4 + r] = r < rows ? s[r * ar + p * ac] : 0.0f;
    }
  }
}

/*
 * B's rows [0, kc) and columns [0, nc) (element (p, j) at b[p·br + j·bc]) into panels of 8 columns: panel
 * q holds element (p, 8q + c) at dst[q·kc·8 + p·8 + c], columns past nc as zeros.
 */
static void pack_b(const float *b, int br, int bc, int kc, int nc, float *dst) {
  for (int j = 0; j < nc; j += GEMM_NR, dst += kc * GEMM_NR) {
    const float *s = b + j * bc;
    if (nc - j >= 8 && bc == 1) {
      for (int p = 0; p < kc; p++) {
        store(dst + p * 8, load(s + p * br));
        store(dst + p * 8 + 4, load(s + p * br + 4));
      }
    } else if (nc - j >= 8 && br == 1) {
      for (int h = 0; h < 8; h += 4) {
        const float *s0 = s + h * bc, *s1 = s0 + bc, *s2 = s1 + bc, *s3 = s2 + bc;
        int p = 0;
        for (; p + 4 <= kc; p += 4) transpose4(s0 + p, s1 + p, s2 + p, s3 + p, dst + p * 8 + h, 8);
        for (; p < kc; p++) {
          dst[p * 8 + h] = s0[p];
          dst[p * 8 + h + 1] = s1[p];
          dst[p * 8 + h + 2] = s2[p];
          dst[p * 8 + h + 3] = s3[p];
        }
      }
    } else {
      int cols = nc - j < 8 ? nc - j : 8;
      for (int p = 0; p < kc; p++)
        for (int c = 0; c < 8; c++) dst[p * 8 + c] = c < cols ? s[p * br + c * bc] : 0.0f;
    }
  }
}

/*
 * Convolutions as matrix products without an im2col copy (implicit GEMM): A's panels are packed straight
 * from the NHWC input. For a convolution with filter [KH, KW, C, outC] (which is B, [KH·KW·C, outC]
 * row-major), A's row r is output position r = (n, oh, ow) and A's column q is tap-channel q = (kh, kw, c),
 * the input value x[n, oh·sh − pt + kh·dh, ow·sw − pl + kw·dw, c] or 0 in the padding. The filter gradient
 * patchesᵀ·dy reads the same matrix transposed. The geometry lies in the caller's memory (an int array).
 */
typedef struct {
  int H, W, C, OH, OW, KH, KW, sh, sw, dh, dw, pt, pl;
} conv_geometry;

#define A_MATRIX 0
#define A_PATCHES 1
#define A_PATCHES_T 2

/* Where output position (n, oh, ow) reads tap (kh, kw): its C channels, or 0 in the padding. */
static inline const float *tap_source(const float *x, const conv_geometry *g, int n, int oh, int ow, int kh, int kw) {
  int ih = oh * g->sh - g->pt + kh * g->dh, iw = ow * g->sw - g->pl + kw * g->dw;
  if (ih < 0 || ih >= g->H || iw < 0 || iw >= g->W) return 0;
  return x + ((n * g->H + ih) * g->W + iw) * g->C;
}

/* Output position r as (n, oh, ow). */
#define POSITION(r, n, oh, ow)                        \
  do {                                                \
    int rest_ = (r) % (g->OH * g->OW);                \
    n = (r) / (g->OH * g->OW), oh = rest_ / g->OW, ow = rest_ % g->OW; \
  } while (0)

/*
 * Patches of output positions [r0, r0 + mc) (those from M on as zeros), tap-channels [q0, q0 + kc), into
 * panels as pack_a. Each run of channels within one tap is copied four positions at a time.
 */
static void pack_patches(const float *x, const conv_geometry *g, int M, int r0, int mc, int q0, int kc, float *dst) {
  int C = g->C;
  for (int i = 0; i < mc; i += GEMM_MR, dst += kc * GEMM_MR) {
    int r = r0 + i, n0, oh0, ow0, n1, oh1, ow1, n2, oh2, ow2, n3, oh3, ow3;
    POSITION(r, n0, oh0, ow0);
    POSITION(r + 1, n1, oh1, ow1);
    POSITION(r + 2, n2, oh2, ow2);
    POSITION(r + 3, n3, oh3, ow3);
    for (int q = q0; q < q0 + kc;) {
      int tap = q / C, c = q % C, kh = tap / g->KW, kw = tap % g->KW;
      int run = C - c < q0 + kc - q ? C - c : q0 + kc - q;
      const float *s0 = r < M ? tap_source(x, g, n0, oh0, ow0, kh, kw) : 0;
      const float *s1 = r + 1 < M ? tap_source(x, g, n1, oh1, ow1, kh, kw) : 0;
      const float *s2 = r + 2 < M ? tap_source(x, g, n2, oh2, ow2, kh, kw) : 0;
      const float *s3 = r + 3 < M ? tap_source(x, g, n3, oh3, ow3, kh, kw) : 0;
      float *d = dst + (q - q0) * GEMM_MR;
      int t = 0;
      if (s0 && s1 && s2 && s3) {
        for (; t + 4 <= run; t += 4) transpose4(s0 + c + t, s1 + c + t, s2 + c + t, s3 + c + t, d + t * 4, 4);
      }
      for (; t < run; t++) {
        d[t * 4] = s0 ? s0[c + t] : 0.0f;
        d[t * 4 + 1] = s1 ? s1[c + t] : 0.0f;
        d[t * 4 + 2] = s2 ? s2[c + t] : 0.0f;
        d[t * 4 + 3] = s3 ? s3[c + t] : 0.0f;
      }
      q += run;
    }
  }
}

/*
 * The transposed patches: rows are tap-channels [q0, q0 + mc) (those from M on as zeros), columns output
 * positions [r0, r0 + kc), into panels as pack_a. Four tap-channels within one tap are four neighbouring
 * input channels: one vector per position.
 */
static void pack_patches_t(const float *x, const conv_geometry *g, int M, int q0, int mc, int r0, int kc, float *dst) {
  int C = g->C;
  for (int i = 0; i < mc; i += GEMM_MR, dst += kc * GEMM_MR) {
    int q = q0 + i, n, oh, ow;
    POSITION(r0, n, oh, ow);
    if (q % C + 4 <= C && q + 4 <= M) {
      int tap = q / C, c = q % C, kh = tap / g->KW, kw = tap % g->KW;
      for (int p = 0; p < kc; p++) {
        const float *s = tap_source(x, g, n, oh, ow, kh, kw);
        store(dst + p * 4, s ? load(s + c) : splat(0.0f));
        if (++ow == g->OW) {
          ow = 0;
          if (++oh == g->OH) oh = 0, n++;
        }
      }
      continue;
    }
    /* Four rows that cross a tap (C not a multiple of 4) or the end: one value at a time. */
    int kh0 = q / C / g->KW, kh1 = (q + 1) / C / g->KW, kh2 = (q + 2) / C / g->KW, kh3 = (q + 3) / C / g->KW;
    int kw0 = q / C % g->KW, kw1 = (q + 1) / C % g->KW, kw2 = (q + 2) / C % g->KW, kw3 = (q + 3) / C % g->KW;
    int c0 = q % C, c1 = (q + 1) % C, c2 = (q + 2) % C, c3 = (q + 3) % C;
    for (int p = 0; p < kc; p++) {
      const float *s0 = q < M ? tap_source(x, g, n, oh, ow, kh0, kw0) : 0;
      const float *s1 = q + 1 < M ? tap_source(x, g, n, oh, ow, kh1, kw1) : 0;
      const float *s2 = q + 2 < M ? tap_source(x, g, n, oh, ow, kh2, kw2) : 0;
      const float *s3 = q + 3 < M ? tap_source(x, g, n, oh, ow, kh3, kw3) : 0;
      dst[p * 4] = s0 ? s0[c0] : 0.0f;
      dst[p * 4 + 1] = s1 ? s1[c1] : 0.0f;
      dst[p * 4 + 2] = s2 ? s2[c2] : 0.0f;
      dst[p * 4 + 3] = s3 ? s3[c3] : 0.0f;
      if (++ow == g->OW) {
        ow = 0;
        if (++oh == g->OH) oh = 0, n++;
      }
    }
  }
}

/*
 * The 4×8 tile t (rows ldt apart) = (first ? 0 : t) + the product of an A panel and a B panel over kc.
 */
static inline void tile_4x8(const float *ap, const float *bp, int kc, int first, float *t, int ldt) {
  f4 c00, c01, c10, c11, c20, c21, c30, c31;
  if (first) {
    c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = splat(0.0f);
  } else {
    c00 = load(t), c01 = load(t + 4), c10 = load(t + ldt), c11 = load(t + ldt + 4);
    c20 = load(t + 2 * ldt), c21 = load(t + 2 * ldt + 4), c30 = load(t + 3 * ldt), c31 = load(t + 3 * ldt + 4);
  }
  for (int p = 0; p < kc; p++, ap += 4, bp += 8) {
    f4 b0 = load(bp), b1 = load(bp + 4), v;
    v = wasm_v128_load32_splat(ap);
    c00 = madd(v, b0, c00);
    c01 = madd(v, b1, c01);
    v = wasm_v128_load32_splat(ap + 1);
    c10 = madd(v, b0, c10);
    c11 = madd(v, b1, c11);
    v = wasm_v128_load32_splat(ap + 2);
    c20 = madd(v, b0, c20);
    c21 = madd(v, b1, c21);
    v = wasm_v128_load32_splat(ap + 3);
    c30 = madd(v, b0, c30);
    c31 = madd(v, b1, c31);
  }
  store(t, c00);
  store(t + 4, c01);
  store(t + ldt, c10);
  store(t + ldt + 4, c11);
  store(t + 2 * ldt, c20);
  store(t + 2 * ldt + 4, c21);
  store(t + 3 * ldt, c30);
  store(t + 3 * ldt + 4, c31);
}

/*
 * C's tasks [t0, t1): task t is block (row block, column block) of batch entry e, numbered entry by
 * entry, row block by row block. A is a strided matrix (a_kind A_MATRIX), or a convolution's patches of
 * the NHWC input a under `geometry` (A_PATCHES, or A_PATCHES_T transposed; one batch entry, strides
 * unused). Strides count floats. mc (a multiple of 4) and nc (a multiple of 8) are the
 * block sizes; scratch holds mc·GEMM_KC + GEMM_KC·nc + 32 floats for this thread.
 * bias: 0 for none, else N floats added to every row before act (ACT_*).
 */
EXPORT(gemm)
void gemm(const float *a, int a_kind, const conv_geometry *geometry, int a_batch, int a_row, int a_col, const float *b,
          int b_batch, int b_row, int b_col, int M, int K, int N, float *c, int mc, int nc, const float *bias, int act,
          int t0, int t1, float *scratch) {
  int row_blocks = (M + mc - 1) / mc, col_blocks = (N + nc - 1) / nc;
  float *a_panels = scratch, *b_panels = scratch + mc * GEMM_KC, *edge = b_panels + GEMM_KC * nc;
  for (int t = t0; t < t1; t++) {
    int e = t / (row_blocks * col_blocks), rest = t % (row_blocks * col_blocks);
    int i0 = rest / col_blocks * mc, j0 = rest % col_blocks * nc;
    int rows = M - i0 < mc ? M - i0 : mc, cols = N - j0 < nc ? N - j0 : nc;
    const float *ae = a + e * a_batch + i0 * a_row, *be = b + e * b_batch + j0 * b_col;
    float *ce = c + (e * M + i0) * N + j0;
    if (K == 0)
      for (int i = 0; i < rows; i++) zero_f32(ce + i * N, cols);
    for (int p0 = 0; p0 < K; p0 += GEMM_KC) {
      int kc = K - p0 < GEMM_KC ? K - p0 : GEMM_KC;
      if (a_kind == A_PATCHES)
        pack_patches(a, geometry, M, i0, rows, p0, kc, a_panels);
      else if (a_kind == A_PATCHES_T)
        pack_patches_t(a, geometry, M, i0, rows, p0, kc, a_panels);
      else
        pack_a(ae + p0 * a_col, a_row, a_col, rows, kc, a_panels);
      pack_b(be + p0 * b_row, b_row, b_col, kc, cols, b_panels);
      for (int j = 0; j < cols; j += GEMM_NR) {
        for (int i = 0; i < rows; i += GEMM_MR) {
          const float *ap = a_panels + i * kc, *bp = b_panels + j * kc;
          float *ct = ce + i * N + j;
          if (i + GEMM_MR <= rows && j + GEMM_NR <= cols) {
            tile_4x8(ap, bp, kc, p0 == 0, ct, N);
            continue;
          }
          /* A partial tile goes through `edge` (4×8): the panels' padding rows and columns land there. */
          int tr = rows - i < GEMM_MR ? rows - i : GEMM_MR, tc = cols - j < GEMM_NR ? cols - j : GEMM_NR;
          if (p0 > 0)
            for (int x = 0; x < tr; x++)
              for (int y = 0; y < tc; y++) edge[x * GEMM_NR + y] = ct[x * N + y];
          tile_4x8(ap, bp, kc, p0 == 0, edge, GEMM_NR);
          for (int x = 0; x < tr; x++)
            for (int y = 0; y < tc; y++) ct[x * N + y] = edge[x * GEMM_NR + y];
        }
      }
    }
    if (bias == 0 && act == ACT_NONE) continue;
    for (int i = 0; i < rows; i++) {
      float *cr = ce + i * N;
      const float *br = bias == 0 ? 0 : bias + j0;
      int C = cols;
#define EPILOGUE(LD, ST) { ST(cr, act_forward(act, br == 0 ? LD(cr) : add(LD(cr), LD(br)))); }
      FOR_CHANNELS(EPILOGUE);
#undef EPILOGUE
    }
  }
}
