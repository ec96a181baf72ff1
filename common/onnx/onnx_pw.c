/* onnx_pw.c - convolutions with few output channels (YuNet's pointwise
 * convs of 16 to 64 channels and its heads of 1 to 10, its first 3x3 conv
 * through im2col) as register-blocked products on the NCHW rows.  BLIS
 * packs a panel of the input as large as the product's whole work and
 * pads M to its micro-tile (32 rows on skx), so these ran at 1 to 45
 * GFLOP/s; here the input rows are read in place, each loaded vector
 * serves MB output channels, and bias, activation and residual are
 * applied before the one store of each output. */
#include "onnx_impl.h"

typedef int64_t i64;

/* Output channels by vectors of columns per tile: 8 x 3 accumulators, 3
 * loaded input vectors and a broadcast weight fit AVX-512's 32 registers.
 * Eight rows rather than six: YuNet's 16, 32 and 64 channels are whole
 * tiles, not 6 + 6 + 4 with a tile two thirds full. */
#define MB 8
#define NV 3

#define INLINE static inline __attribute__((always_inline))

/* act(v + b) + r, with r NULL for none: act 0 for none, else pos selects
 * v itself, else v*slope.  act a constant where it can be: without an
 * activation (YuNet's 1x1 convs before each depthwise one) the select's
 * three instructions per output are left out (6% on a product of 16). */
#define FINISH(dst, v, bias, act, slope, r) do { \
	v16 z_ = (v) + (bias); \
	if (act) { \
		v16i pos_ = z_ > (v16){ 0 }; \
		z_ = (v16)((pos_ & (v16i)z_) | (~pos_ & (v16i)(z_ * (slope)))); \
	} \
	if (r) \
		z_ += ld(r); \
	st(dst, z_); \
} while (0)

/* Outputs of channels [m0, m0 + mb) at columns [p, p + nv*16): each
 * output is the sum of its K products in order, as BLIS adds them.  pf
 * (the first tile of the columns): prefetch the next columns of the K
 * rows, which the other tiles then find in L1; the rows are a plane
 * apart, up to 64 streams, more than the hardware prefetcher follows
 * (YuNet 1-2% faster). */
INLINE void tile(const struct onx_pw_args *a, i64 m0, int mb, i64 p, int nv, int off, int act,
		 int pf)
{
	const float *w = a->w + m0 * a->K, *x = a->x + p, *x0 = x;
	v16 acc[MB][NV];
	i64 k;
	int i, j;

	/* the loops over i and j unrolled, so that acc lives in registers */
#pragma GCC unroll 8
	for (i = 0; i < mb; i++)
#pragma GCC unroll 4
		for (j = 0; j < nv; j++)
			acc[i][j] = (v16){ 0 };
	for (k = 0; k < a->K; k++, x += a->xs) {
		v16 xv[NV];

		if (off)
			x = x0 + a->koff[k];
#pragma GCC unroll 4
		for (j = 0; j < nv; j++)
			xv[j] = ld(x + j * LANES);
		if (pf)
#pragma GCC unroll 4
			for (j = 0; j < NV; j++)
				__builtin_prefetch(x + (NV + j) * LANES);
#pragma GCC unroll 8
		for (i = 0; i < mb; i++) {
			v16 wv = splat(w[i * a->K + k]);

#pragma GCC unroll 4
			for (j = 0; j < nv; j++)
				acc[i][j] += wv * xv[j];
		}
	}
#pragma GCC unroll 8
	for (i = 0; i < mb; i++) {
		i64 mo = m0 + i;
		v16 b = splat(a->b ? a->b[mo] : 0);
		v16 s = splat(a->act == ACT_PRELU ? a->slope[mo] : 0);
		float *y = a->y + mo * a->ys + p;
		const float *r = a->res ? a->res + mo * a->ys + p : NULL;

#pragma GCC unroll 4
		for (j = 0; j < nv; j++)
			FINISH(y + j * LANES, acc[i][j], b, act, s, r ? r + j * LANES : NULL);
	}
}

/* every channel at columns [p, p + nv*16); off: rows of x by a->koff */
INLINE void columns(const struct onx_pw_args *a, i64 p, int nv, int off, int act)
{
	i64 m0;

	if (a->M >= MB) {
		tile(a, 0, MB, p, nv, off, act, 1);
		m0 = MB;
	} else
		m0 = 0;
	for (; m0 + MB <= a->M; m0 += MB)
		tile(a, m0, MB, p, nv, off, act, 0);
	switch (a->M - m0) {	/* constants, so that the tile stays in registers */
	case 7: tile(a, m0, 7, p, nv, off, act, 0); break;
	case 6: tile(a, m0, 6, p, nv, off, act, 0); break;
	case 5: tile(a, m0, 5, p, nv, off, act, 0); break;
	case 4: tile(a, m0, 4, p, nv, off, act, 0); break;
	case 3: tile(a, m0, 3, p, nv, off, act, 0); break;
	case 2: tile(a, m0, 2, p, nv, off, act, 0); break;
	case 1: tile(a, m0, 1, p, nv, off, act, 0); break;
	}
}

/* row k of x */
static const float *xrow(const struct onx_pw_args *a, i64 k)
{
	return a->x + (a->koff ? a->koff[k] : k * a->xs);
}

/* the columns [p, n) of a product less than a vector wide */
static void tail(const struct onx_pw_args *a, i64 p)
{
	i64 mo, k;

	for (mo = 0; mo < a->M; mo++)
		for (i64 q = p; q < a->n; q++) {
			float acc = 0, z;

			for (k = 0; k < a->K; k++)
				acc += a->w[mo * a->K + k] * xrow(a, k)[q];
			z = acc + (a->b ? a->b[mo] : 0);
			if (z <= 0 && a->act != ACT_NONE)
				z *= a->act == ACT_PRELU ? a->slope[mo] : 0;
			a->y[mo * a->ys + q] = z + (a->res ? a->res[mo * a->ys + q] : 0);
		}
}

/* off and act constants, so that the plain rows' loop has no table and
 * the finish no select it does not need */
INLINE void run(const struct onx_pw_args *a, int off, int act)
{
	i64 p;

	for (p = 0; p + NV * LANES <= a->n; p += NV * LANES)
		columns(a, p, NV, off, act);
	for (; p + LANES <= a->n; p += LANES)
		columns(a, p, 1, off, act);
	/* the last partial vector as the whole last vector again: y aliases
	 * neither x nor res, so its columns get the same values twice */
	if (p < a->n && a->n >= LANES)
		columns(a, a->n - LANES, 1, off, act);
	else if (p < a->n)
		tail(a, p);
}

ONX_HOT void onx_pw_run(const struct onx_pw_args *a)
{
	/* ACT_RELU as ACT_PRELU with slope 0 (tile's s) */
	if (a->koff)
		run(a, 1, a->act != ACT_NONE);
	else if (a->act == ACT_NONE)
		run(a, 0, ACT_NONE);
	else
		run(a, 0, ACT_RELU);
}

int onx_pw_pays(i64 M, i64 K, int direct)
{
	return M <= 64 && K <= 64 && (direct || M <= 16);
}
