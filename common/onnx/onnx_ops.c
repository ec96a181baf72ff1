/* onnx_ops.c - the kernels: one function per operator, reading the shapes
 * that onnx_plan.c inferred.  Convolutions and matrix products are BLIS
 * sgemm calls with strides, or for convolutions with enough channels
 * BLIS's micro-kernel on filters packed at prepare (onx_pk_gemm); a 1x1
 * stride-1 unpadded conv reads its input in place, others go through
 * im2col, with a preceding batch norm applied there as a per-channel
 * affine so that padding stays zero.  Bias, activation and a residual
 * add are applied in one pass after the GEMM. */
#include <float.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <blis.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "onnx_impl.h"
#include "error.h"

typedef int64_t i64;

static void sgemm(i64 M, i64 N, i64 K, float alpha, const float *A, i64 rsa, i64 csa,
		  const float *B, i64 rsb, i64 csb, float beta, float *C, i64 rsc, i64 csc)
{
	bli_sgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, M, N, K, &alpha, (float *)A, rsa, csa,
		  (float *)B, rsb, csb, &beta, C, rsc, csc);
}

/* x (C,H,W) -> col (C*kh*kw, OH*OW; rows rs apart), with y = x*s[c] + t[c] inside the
 * input and 0 in the padding. */
ONX_HOT static void im2col(float *col, const float *x, i64 C, i64 H, i64 W, const struct onx_node *n,
		   i64 OH, i64 OW, const float *s, const float *t, i64 rs)
{
	i64 kh = n->kernel[0], kw = n->kernel[1];
	i64 sh = n->stride[0], sw = n->stride[1], dh = n->dil[0], dw = n->dil[1];
	i64 pt = n->pad[0], pl = n->pad[1], c;

	for (c = 0; c < C; c++) {
		float sc = s ? s[c] : 1, sf = t ? t[c] : 0;
		i64 ky, kx, oy, ox;
		for (ky = 0; ky < kh; ky++)
			for (kx = 0; kx < kw; kx++) {
				float *d = col + ((c * kh + ky) * kw + kx) * rs;
				i64 lo, hi, off = kx * dw - pl;
				/* ox valid when 0 <= ox*sw + off < W */
				lo = off >= 0 ? 0 : (-off + sw - 1) / sw;
				hi = W - off <= 0 ? 0 : (W - off + sw - 1) / sw;
				if (hi > OW)
					hi = OW;
				if (lo > hi)
					lo = hi;
				for (oy = 0; oy < OH; oy++, d += OW) {
					i64 iy = oy * sh - pt + ky * dh;
					const float *src;
					if (iy < 0 || iy >= H) {
						memset(d, 0, OW * sizeof *d);
						continue;
					}
					src = x + (c * H + iy) * W + off;
					for (ox = 0; ox < lo; ox++)
						d[ox] = 0;
					if (sw == 1) {
						if (s)
#pragma omp simd
							for (ox = lo; ox < hi; ox++)
								d[ox] = src[ox] * sc + sf;
						else
							memcpy(d + lo, src + lo, (hi - lo) * sizeof *d);
					} else if (sw == 2 && !s)
						/* a constant stride: shuffles, not gathers
						 * (YuNet's first conv) */
#pragma omp simd
						for (ox = lo; ox < hi; ox++)
							d[ox] = src[ox * 2];
					else
#pragma omp simd
						for (ox = lo; ox < hi; ox++)
							d[ox] = src[ox * sw] * sc + sf;
					for (ox = hi; ox < OW; ox++)
						d[ox] = 0;
				}
			}
	}
}

/* im2col straight into onx_pk_gemm_packed's B panels, a channel's rows
 * at a time through tmp (in cache), instead of the whole matrix through
 * memory and then copied: nimg images' inputs (ims floats apart) side by
 * side, P columns each (output rows [0, OH) of nn). */
struct col_pack {
	const float *x, *s, *t;
	const struct onx_node *nn;
	i64 ims, nimg, H, W, OH, OW, P;
	float *tmp;		/* kh * kw rows of nimg * P floats */
};

static void col_pack(void *ctx, float *Bp, i64 pc, i64 kc, i64 N, i64 NR, i64 PNR)
{
	const struct col_pack *cp = ctx;
	i64 kk = cp->nn->kernel[0] * cp->nn->kernel[1], c, q, k;

	/* a channel's rows may straddle two depth blocks: then it is
	 * unfolded for each */
	for (c = pc / kk; c * kk < pc + kc; c++) {
		for (k = 0; k < cp->nimg; k++)
			im2col(cp->tmp + k * cp->P, cp->x + k * cp->ims + c * cp->H * cp->W, 1, cp->H,
			       cp->W, cp->nn, cp->OH, cp->OW, cp->s ? cp->s + c : NULL,
			       cp->t ? cp->t + c : NULL, N);
		for (q = 0; q < kk; q++)
			if (c * kk + q >= pc && c * kk + q < pc + kc)
				onx_pk_put_row(Bp + (c * kk + q - pc) * PNR, cp->tmp + q * N, N, kc,
					       NR, PNR);
	}
}

/* out (M,P) = act(y (M,P) + b[m]) + r (M,P); y may be out.  y's rows are
 * ys apart (a chunk of images side by side), out's and r's P apart. */
ONX_HOT static void epilogue(float *out, const float *y, i64 ys, i64 M, i64 P, const float *b,
			     int act, const float *slope, const float *r)
{
	i64 m;

	if (!b && act == ACT_NONE && !r && y == out)
		return;
	for (m = 0; m < M; m++) {
		const float *v = y + m * ys, *rr = r ? r + m * P : NULL;
		float *o = out + m * P, bb = b ? b[m] : 0;
		float a = act == ACT_PRELU ? slope[m] : act == ACT_RELU ? 0 : 1;
		i64 p;
		/* o may be v: element p reads and writes only index p */
#pragma omp simd
		for (p = 0; p < P; p++) {
			float z = v[p] + bb;
			o[p] = z > 0 ? z : z * a;
		}
		if (rr)
#pragma omp simd
			for (p = 0; p < P; p++)
				o[p] += rr[p];
	}
}

/* Images per GEMM: enough columns for BLIS to run well, within a bounded
 * scratch (im2col of the chunk, then its GEMM output). */
#define CONV_COLS 4096
/* Floats of unfolded columns per GEMM (4 MiB): an image whose columns are
 * more is done in blocks of output rows, which BLIS then packs from cache
 * (a stride-2 conv at 56x56 went from 17 to 12 ms per batch of 8). */
#define COL_FLOATS ((i64)1 << 20)
static i64 conv_chunk(i64 K, i64 P, i64 n)
{
	i64 c = (CONV_COLS + P - 1) / P;

	if (c > n)
		c = n;
	while (c > 1 && K * P * c > COL_FLOATS)
		c--;
	return c < 1 ? 1 : c;
}

/* One thread's share of a convolution: images [i0, i1), or, for one
 * image, output rows [r0, r1).  Single-threaded BLIS: the threads split
 * the columns, so that each conv costs one fork and join (BLIS's own
 * threading synchronises inside every call, which collapses when the cores
 * are shared). */
struct conv_job {
	struct arpg_onnx *m;
	struct onx_node *n;
	const float *x, *w, *b, *res;
	float *out, *scratch;
	i64 C, H, W, M, OH, OW, G, kh, kw;
	i64 m0, mn;		/* conv_rows: output channels [m0, m0 + mn) of each group */
	int direct;
	int pw;			/* onx_pw_run rather than BLIS and the epilogue */
	int s2;			/* onx_pw_run on split rows (conv_rows_s2) */
	float *bp;		/* onx_pk_gemm's B panels, when the filters are packed */
};

/* C (M x N, rows rsc apart) = A (M x K) B (K x N), row-major, on this thread
 * only (rntm1 is the model's one-thread BLIS runtime; BLIS copies it, so the
 * threads may share it) */
static void onx_sgemm1(rntm_t *rntm1, i64 M, i64 N, i64 K, const float *A, i64 rsa,
		       const float *B, i64 rsb, float *C, i64 rsc)
{
	float one = 1, zero = 0;

	bli_sgemm_ex(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, M, N, K, &one, (float *)A, rsa, 1,
		     (float *)B, rsb, 1, &zero, C, rsc, 1, NULL, rntm1);
}

/* ---- a 3x3, stride-2 conv without im2col ----
 * YuNet's first conv (3 to 16 channels, 640x480 in) unfolded 27 rows of
 * 320 floats for each output row (im2col was 7% of the detector).  Here
 * each input row is split once into its even and its odd columns, and
 * onx_pw_run reads an output row's 27 rows at fixed offsets (koff) in the
 * halves.  Each output is the same sum of the same products as through
 * im2col, the padding's zeros included, so the bits are the same. */

/* Floats of one channel's input row split: the even columns (OW), then
 * a zero (the left padding) and the odd ones (OW). */
static i64 s2_row_floats(i64 OW)
{
	return 2 * OW + 1;
}

/* Input row iy of the plane x (H,W) split into d: d[j] = x[2j] and
 * d[OW + 1 + j] = x[2j + 1], zeros outside the input.  Two loaded
 * vectors make a vector of each by shuffles: the loop of scalar pairs
 * was a third of YuNet's first conv. */
ONX_HOT static void s2_split(float *d, const float *x, i64 H, i64 W, i64 OW, i64 iy)
{
	float *e = d, *o = d + OW + 1;
	i64 j = 0, full = W / 2 < OW ? W / 2 : OW;

	if (iy < 0 || iy >= H) {
		memset(d, 0, s2_row_floats(OW) * sizeof *d);
		return;
	}
	x += iy * W;
	o[-1] = 0;
	for (; j + LANES <= full; j += LANES) {
		v16 a = ld(x + 2 * j), b = ld(x + 2 * j + LANES);

		st(e + j, __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20,
						  22, 24, 26, 28, 30));
		st(o + j, __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21,
						  23, 25, 27, 29, 31));
	}
	for (; j < full; j++) {
		e[j] = x[2 * j];
		o[j] = x[2 * j + 1];
	}
	for (j = full; j < OW; j++) {
		e[j] = 2 * j < W ? x[2 * j] : 0;
		o[j] = 2 * j + 1 < W ? x[2 * j + 1] : 0;
	}
}

/* Whether conv_rows_s2 runs the conv: 3x3, stride 2, a left pad of 1
 * (tap kx reads column 2*ox + kx - 1), one group, for onx_pw_run. */
static int is_s2(const struct conv_job *j)
{
	const struct onx_node *n = j->n;

	return j->pw && j->kh == 3 && j->kw == 3 && n->stride[0] == 2 && n->stride[1] == 2 &&
		n->dil[0] == 1 && n->dil[1] == 1 && n->pad[1] == 1 && j->G == 1 && !n->pre_s;
}

/* conv_rows' output rows [r0, r1) of image img by split rows: the input
 * rows they read, split into the scratch (fewer floats than im2col's) */
static void conv_rows_s2(const struct conv_job *j, i64 img, i64 r0, i64 r1)
{
	const struct onx_node *n = j->n;
	i64 C = j->C, OW = j->OW, P = j->OH * OW, RS = s2_row_floats(OW);
	i64 koff[64], i, c, ky, kx, lo;
	const float *x = j->x + img * C * j->H * j->W;
	float *y = j->out + (img * j->M + j->m0) * P + r0 * OW;
	const float *r = j->res ? j->res + (img * j->M + j->m0) * P + r0 * OW : NULL;

	for (i = 0; i < 2 * (r1 - r0) + 1; i++)
		for (c = 0; c < C; c++)
			s2_split(j->scratch + (i * C + c) * RS, x + c * j->H * j->W, j->H, j->W,
				 OW, 2 * r0 - n->pad[0] + i);
	/* columns 2*ox - 1, 2*ox, 2*ox + 1: odd[ox - 1], even[ox], odd[ox] */
	for (c = 0; c < C; c++)
		for (ky = 0; ky < 3; ky++)
			for (kx = 0; kx < 3; kx++)
				koff[(c * 3 + ky) * 3 + kx] = (ky * C + c) * RS +
					(kx == 1 ? 0 : kx == 0 ? OW : OW + 1);
	for (lo = 0; lo < r1 - r0; lo++) {
		struct onx_pw_args a = {
			.w = j->w + j->m0 * C * 9, .x = j->scratch + 2 * lo * C * RS,
			.b = j->b ? j->b + j->m0 : NULL,
			.slope = n->slope ? n->slope + j->m0 : NULL,
			.res = r ? r + lo * OW : NULL, .y = y + lo * OW, .M = j->mn,
			.K = C * 9, .n = OW, .ys = P, .koff = koff, .act = n->act,
		};
		onx_pw_run(&a);
	}
}

static void conv_rows(const struct conv_job *j, i64 img, i64 r0, i64 r1)
{
	const struct onx_node *n = j->n;
	i64 Cg = j->C / j->G, Mg = j->M / j->G, K = Cg * j->kh * j->kw, P = j->OH * j->OW;
	i64 p0 = r0 * j->OW, np = (r1 - r0) * j->OW, g;
	struct onx_node nn = *n;

	nn.kernel[0] = j->kh, nn.kernel[1] = j->kw;
	/* rows r0.. as if the input started at r0*stride */
	nn.pad[0] = n->pad[0] - r0 * n->stride[0];
	if (j->s2) {
		conv_rows_s2(j, img, r0, r1);
		return;
	}
	for (g = 0; g < j->G; g++) {
		const float *xi = j->x + (img * j->C + g * Cg) * j->H * j->W;
		i64 c0 = g * Mg + j->m0, mm;
		float *y = j->out + (img * j->M + c0) * P + p0;
		const float *r = j->res ? j->res + (img * j->M + c0) * P + p0 : NULL;
		const float *src = xi + p0;
		i64 rs = P;

		if (!j->direct && !j->bp) {
			im2col(j->scratch, xi, Cg, j->H, j->W, &nn, r1 - r0, j->OW,
			       n->pre_s ? n->pre_s + g * Cg : NULL,
			       n->pre_t ? n->pre_t + g * Cg : NULL, np);
			src = j->scratch, rs = np;
		}
		if (j->pw) {
			struct onx_pw_args a = {
				.w = j->w + c0 * K, .x = src, .b = j->b ? j->b + c0 : NULL,
				.slope = n->slope ? n->slope + c0 : NULL, .res = r, .y = y,
				.M = j->mn, .K = K, .n = np, .xs = rs, .ys = P, .act = n->act,
			};
			onx_pw_run(&a);
			continue;
		}
		if (j->bp && !j->direct) {	/* group 1: c0 is m0 */
			struct col_pack cp = {
				.x = xi, .s = n->pre_s, .t = n->pre_t, .nn = &nn, .nimg = 1,
				.H = j->H, .W = j->W, .OH = r1 - r0, .OW = j->OW, .P = np,
				.tmp = j->scratch,
			};
			onx_pk_gemm_packed(n->pk, j->M, j->m0, j->mn, np, K, col_pack, &cp, y, P,
					   j->bp);
		} else if (j->bp)
			onx_pk_gemm_rows(n->pk, j->M, j->m0, j->mn, np, K, src, rs, y, P, j->bp);
		else
			onx_sgemm1(&j->m->rntm1, j->mn, np, K, j->w + c0 * K, K, src, rs, y, P);
		/* rows of y are P apart; only np columns of each are ours */
		for (mm = 0; mm < j->mn; mm++)
			epilogue(y + mm * P, y + mm * P, P, 1, np, j->b ? j->b + c0 + mm : NULL,
				 n->act, n->slope ? n->slope + c0 + mm : NULL, r ? r + mm * P : NULL);
	}
}

/* Floats of unfolded columns per onx_pw_run: it reads them as often as it
 * has tiles of channels, so they should stay in L2. */
#define PW_COL_FLOATS ((i64)1 << 16)

/* Output rows per block of an image unfolded K floats per output: at most
 * lim floats, at least one row. */
static i64 conv_block_rows(i64 K, i64 OW, i64 OH, i64 lim)
{
	i64 rb = lim / (K * OW);

	return rb < 1 ? 1 : rb > OH ? OH : rb;
}

/* output rows [r0, r1) of image img, in blocks of conv_block_rows */
static void conv_row_blocks(const struct conv_job *j, i64 img, i64 r0, i64 r1)
{
	i64 K = j->C / j->G * j->kh * j->kw;
	i64 rb = j->direct ? r1 - r0 :
		conv_block_rows(K, j->OW, j->OH, j->pw ? PW_COL_FLOATS : COL_FLOATS);

	for (; r0 < r1; r0 += rb)
		conv_rows(j, img, r0, r0 + rb < r1 ? r0 + rb : r1);
}

/* Outputs per image up to which a batch smaller than the thread count is
 * split by output channels rather than rows: IResNet's 7x7 stage at batch
 * 1 and 2 threads (4.8 against 5.3 ms; at 14x14 rows were faster). */
#define SPLIT_M_PIXELS 64

/* images [i0, i1) in chunks side by side in one GEMM */
static void conv_images(const struct conv_job *j, i64 i0, i64 i1)
{
	const struct onx_node *n = j->n;
	i64 Cg = j->C / j->G, Mg = j->M / j->G, K = Cg * j->kh * j->kw, P = j->OH * j->OW;
	i64 ch = conv_chunk(K, P, i1 - i0), img, g, k;
	struct onx_node nn = *n;

	nn.kernel[0] = j->kh, nn.kernel[1] = j->kw;
	if (j->direct || j->pw || ch <= 1) {
		for (img = i0; img < i1; img++)
			conv_row_blocks(j, img, 0, j->OH);
		return;
	}
	for (img = i0; img < i1; img += ch) {
		i64 nc = i1 - img < ch ? i1 - img : ch, cols = nc * P;
		float *col = j->scratch, *tmp = j->scratch + K * ch * P;
		for (g = 0; g < j->G; g++) {
			if (j->bp) {	/* group 1 */
				struct col_pack cp = {
					.x = j->x + img * j->C * j->H * j->W, .s = n->pre_s,
					.t = n->pre_t, .nn = &nn, .ims = j->C * j->H * j->W,
					.nimg = nc, .H = j->H, .W = j->W, .OH = j->OH, .OW = j->OW,
					.P = P, .tmp = col,
				};
				onx_pk_gemm_packed(n->pk, Mg, 0, Mg, cols, K, col_pack, &cp, tmp, cols,
						   j->bp);
			} else {
				for (k = 0; k < nc; k++)
					im2col(col + k * P,
					       j->x + ((img + k) * j->C + g * Cg) * j->H * j->W, Cg,
					       j->H, j->W, &nn, j->OH, j->OW,
					       n->pre_s ? n->pre_s + g * Cg : NULL,
					       n->pre_t ? n->pre_t + g * Cg : NULL, cols);
				onx_sgemm1(&j->m->rntm1, Mg, cols, K, j->w + g * Mg * K, K, col, cols,
					   tmp, cols);
			}
			for (k = 0; k < nc; k++)
				epilogue(j->out + ((img + k) * j->M + g * Mg) * P, tmp + k * P, cols,
					 Mg, P, j->b ? j->b + g * Mg : NULL, n->act,
					 n->slope ? n->slope + g * Mg : NULL,
					 j->res ? j->res + ((img + k) * j->M + g * Mg) * P : NULL);
		}
	}
}

/* A depthwise convolution (one group per input channel, each with M/C
 * filters of one channel): each output plane is a sum of shifted input
 * rows times a weight, row by row, vectorised along the row; no unfolding
 * (im2col would copy the input kh*kw times for GEMMs of one row). */
static inline float max_step(float acc, float v)
{
	return v > acc || v != v ? v : acc;
}

/* MaxPool 2x2, stride 2, no padding, every window inside the input (the
 * downsampling of YuNet and of many small CNNs): the generic loop's
 * result, without its per-tap bounds checks. */
ONX_HOT static void maxpool_2x2_plane(const float *xc, float *yc, i64 W, i64 OH, i64 OW)
{
	i64 oy, ox;

	for (oy = 0; oy < OH; oy++) {
		const float *r0 = xc + 2 * oy * W, *r1 = r0 + W;
		float *yr = yc + oy * OW;
		/* branch-free selects: vectorised along the row */
#pragma omp simd
		for (ox = 0; ox < OW; ox++)
			yr[ox] = max_step(max_step(max_step(max_step(-FLT_MAX, r0[2 * ox]),
							    r0[2 * ox + 1]), r1[2 * ox]),
					  r1[2 * ox + 1]);
	}
}

/* Rows of a 3x3, stride-1, dilation-1 depthwise plane from input rows
 * r[] padded so that output ox reads r[k][ox..ox+2]: d0[0..OW) from
 * r[0..2], and, unless d1 is NULL, d1[0..OW) from r[1..3] in the same
 * pass (the two share the loads of r[1] and r[2]).  Each output is
 * act(b + the nine taps) + res (res0 and res1 NULL for none), where act
 * keeps a positive value and multiplies the others by a; it sums its taps
 * in the order dw_plane's row passes add them (b, then row by row, left
 * to right), so that the two give the same bits. */
/* dw3_rows' two rows at columns [ox, ox + nv*16): each output's taps
 * added in the same order, but the 2*nv outputs' chains side by side
 * (the compiler made one chain after the other, each FMA waiting on the
 * last: dw3_rows ran at half the FMA rate, a fifth of YuNet's time). */
static inline __attribute__((always_inline)) void
dw3_pair_vec(float *const d[2], const float *const r[4], const v16 *wv, const v16 *ba,
	     const float *const res[2], i64 ox, int nv)
{
	v16 acc[2][2];
	int i, j, k;

#pragma GCC unroll 2
	for (i = 0; i < 2; i++)
#pragma GCC unroll 2
		for (j = 0; j < nv; j++)
			acc[i][j] = ba[0];
#pragma GCC unroll 9
	for (k = 0; k < 9; k++)
#pragma GCC unroll 2
		for (i = 0; i < 2; i++)
#pragma GCC unroll 2
			for (j = 0; j < nv; j++)
				acc[i][j] += wv[k] * ld(r[i + k / 3] + ox + j * LANES + k % 3);
#pragma GCC unroll 2
	for (i = 0; i < 2; i++)
#pragma GCC unroll 2
		for (j = 0; j < nv; j++) {
			v16 z = acc[i][j];
			v16i pos = z > (v16){ 0 };

			z = (v16)((pos & (v16i)z) | (~pos & (v16i)(z * ba[1])));
			if (res[i])
				z += ld(res[i] + ox + j * LANES);
			st(d[i] + ox + j * LANES, z);
		}
}

/* Row r's taps at columns [ox - 1, ox + 1] as vectors, r unpadded (W a
 * multiple of 16): first, the vector at column 0, takes its left tap's
 * lane 0 as the padding's zero; last, the vector ending at W, its right
 * tap's lane 15 (shuffles, not loads outside the row). */
static inline __attribute__((always_inline)) void
dw3_tap(v16 *t, const float *r, i64 ox, int kx, int first, int last)
{
	const v16 zero = { 0 }, c = ld(r + ox);

	if (kx == 0 && first)
		*t = __builtin_shufflevector(zero, c, 15, 16, 17, 18, 19, 20, 21, 22, 23,
					    24, 25, 26, 27, 28, 29, 30);
	else if (kx == 2 && last)
		*t = __builtin_shufflevector(c, zero, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
					    12, 13, 14, 15, 16);
	else {
		*t = ld(r + ox + kx - 1);
		return;
	}
	/* opaque: the compiler moved the weight's multiply inside the
	 * shuffle, and the multiply and add were no longer one FMA (other
	 * bits than the padded rows') */
	__asm__("" : "+m"(*t));
}

/* dw3_pair_vec's outputs on unpadded rows, after the activation, into z:
 * nv vectors of columns (1 or 2) from ox, nr rows (1 or 2); the padding's
 * zeros from dw3_tap (first: the first vector is the row's first; last:
 * the last vector its last) */
static inline __attribute__((always_inline)) void
dw3_direct_acc(v16 z[2][2], const float *const r[4], const v16 *wv, const v16 *ba, i64 ox,
	       int nr, int nv, int first, int last)
{
	const v16 b = ba[0], a = ba[1];
	int i, j, k;

#pragma GCC unroll 2
	for (i = 0; i < nr; i++)
#pragma GCC unroll 2
		for (j = 0; j < nv; j++)
			z[i][j] = b;
#pragma GCC unroll 9
	for (k = 0; k < 9; k++)
#pragma GCC unroll 2
		for (i = 0; i < nr; i++)
#pragma GCC unroll 2
			for (j = 0; j < nv; j++) {
				v16 t;

				dw3_tap(&t, r[i + k / 3], ox + j * LANES, k % 3, first && !j,
					last && j == nv - 1);
				z[i][j] += wv[k] * t;
			}
#pragma GCC unroll 2
	for (i = 0; i < nr; i++)
#pragma GCC unroll 2
		for (j = 0; j < nv; j++) {
			v16i pos = z[i][j] > (v16){ 0 };

			z[i][j] = (v16)((pos & (v16i)z[i][j]) | (~pos & (v16i)(z[i][j] * a)));
		}
}

/* dw3_direct_acc's rows stored at column ox of d[0], d[1] (nv vectors) */
static inline __attribute__((always_inline)) void
dw3_direct_vec(float *const d[2], const float *const r[4], const v16 *wv, const v16 *ba,
	       i64 ox, int nr, int nv, int first, int last)
{
	v16 z[2][2];
	int i, j;

	dw3_direct_acc(z, r, wv, ba, ox, nr, nv, first, last);
#pragma GCC unroll 2
	for (i = 0; i < nr; i++)
#pragma GCC unroll 2
		for (j = 0; j < nv; j++)
			st(d[i] + ox + j * LANES, z[i][j]);
}

/* k ? a : b, lane by lane, k a comparison's lanes */
#define SEL_VEC(k, a, b) ((v16)(((k) & (v16i)(a)) | (~(k) & (v16i)(b))))

/* max_step on vectors: *acc becomes *v where *v > *acc, stays where *v
 * <= *acc, and where the two are unordered becomes a NaN (*v + *acc).  No
 * v != v: GCC 12 made that test one lane at a time in a target_clones
 * function (five times slower). */
static inline __attribute__((always_inline)) void max_vec(v16 *acc, const v16 *v)
{
	v16 m = SEL_VEC(*v <= *acc, *acc, *v + *acc);

	*acc = SEL_VEC(*v > *acc, *v, m);
}

/* The 2x2 max pool of dw3_direct_acc's two rows z at columns [ox, ox +
 * nv*16) into y[ox/2..]: maxpool_2x2_plane's steps in its order (row 0's
 * even and odd column, then row 1's), on the even and odd lanes */
static inline __attribute__((always_inline)) void
dw3_pool_vecs(float *y, const float *const r[4], const v16 *wv, const v16 *ba, i64 ox, int nv,
	      int first, int last)
{
	typedef float v8u __attribute__((vector_size(LANES / 2 * sizeof(float)), aligned(4),
					 may_alias));
	v16 z[2][2], m = splat(-FLT_MAX);
	int i;

	dw3_direct_acc(z, r, wv, ba, ox, 2, nv, first, last);
	if (nv == 1)
		z[0][1] = z[0][0], z[1][1] = z[1][0];
#pragma GCC unroll 2
	for (i = 0; i < 2; i++) {
		v16 e = __builtin_shufflevector(z[i][0], z[i][1], 0, 2, 4, 6, 8, 10, 12, 14, 16,
						18, 20, 22, 24, 26, 28, 30);
		v16 o = __builtin_shufflevector(z[i][0], z[i][1], 1, 3, 5, 7, 9, 11, 13, 15, 17,
						19, 21, 23, 25, 27, 29, 31);

		max_vec(&m, &e);
		max_vec(&m, &o);
	}
	if (nv == 2)
		st(y + ox / 2, m);
	else
		*(v8u *)(y + ox / 2) = __builtin_shufflevector(m, m, 0, 1, 2, 3, 4, 5, 6, 7);
}

/* dw3_walk's step: nv vectors of columns from ox, stored (nr rows into
 * d) or, with pool, the two rows max-pooled into y */
static inline __attribute__((always_inline)) void
dw3_step(float *const d[2], float *y, const float *const r[4], const v16 *wv, const v16 *ba,
	 i64 ox, int nr, int nv, int first, int last, int pool)
{
	if (pool)
		dw3_pool_vecs(y, r, wv, ba, ox, nv, first, last);
	else
		dw3_direct_vec(d, r, wv, ba, ox, nr, nv, first, last);
}

/* dw3_rows on unpadded rows r[k][0..W) (or a row of W zeros), W a
 * multiple of 16, no residual: into d[0], and d[1] when nr is 2, or with
 * pool the two rows max-pooled into y (W/2).  dw3_plane then reads its
 * input rows where they are: copying every row into its padded ring was
 * 6% of YuNet's time.  Two vectors of columns at a time, for more chains
 * of FMAs side by side (dw3_direct_acc); nv and pool constants, so that
 * the accumulators stay in registers. */
static inline __attribute__((always_inline)) void
dw3_walk(float *const d[2], float *y, const float *const r[4], const v16 *wv, const v16 *ba,
	 i64 W, int nr, int pool)
{
	i64 ox = 2 * LANES;

	if (W == LANES) {
		dw3_step(d, y, r, wv, ba, 0, nr, 1, 1, 1, pool);
		return;
	}
	if (W == 2 * LANES) {
		dw3_step(d, y, r, wv, ba, 0, nr, 2, 1, 1, pool);
		return;
	}
	dw3_step(d, y, r, wv, ba, 0, nr, 2, 1, 0, pool);
	for (; ox + 2 * LANES < W; ox += 2 * LANES)
		dw3_step(d, y, r, wv, ba, ox, nr, 2, 0, 0, pool);
	if (W - ox == 2 * LANES)
		dw3_step(d, y, r, wv, ba, ox, nr, 2, 0, 1, pool);
	else
		dw3_step(d, y, r, wv, ba, ox, nr, 1, 0, 1, pool);
}

ONX_HOT static void dw3_direct(float *d0, float *d1, const float *const r[4], const float *w,
			       i64 W, float b, float a)
{
	float *const d[2] = { d0, d1 };
	v16 wv[9], ba[2] = { splat(b), splat(a) };
	int k;

	for (k = 0; k < 9; k++)
		wv[k] = splat(w[k]);
	if (d1)
		dw3_walk(d, NULL, r, wv, ba, W, 2, 0);
	else
		dw3_walk(d, NULL, r, wv, ba, W, 1, 0);
}

/* dw3_direct's two rows max-pooled 2x2 into the row y (W/2), in
 * registers: storing the rows and pooling them after cost as much as a
 * third of the pooled convs' time. */
ONX_HOT static void dw3_direct_pool(float *y, const float *const r[4], const float *w, i64 W,
				    float b, float a)
{
	v16 wv[9], ba[2] = { splat(b), splat(a) };
	int k;

	for (k = 0; k < 9; k++)
		wv[k] = splat(w[k]);
	dw3_walk(NULL, y, r, wv, ba, W, 2, 1);
}

/* dw3_rows' two rows in whole vectors: the columns done */
static inline __attribute__((always_inline)) i64
dw3_pair_vecs(float *d0, float *d1, const float *const r[4], const float *w, i64 OW, float b,
	      float a, const float *res0, const float *res1)
{
	float *const d[2] = { d0, d1 };
	const float *const res[2] = { res0, res1 };
	v16 wv[9], ba[2] = { splat(b), splat(a) };
	i64 ox = 0;
	int k;

	for (k = 0; k < 9; k++)
		wv[k] = splat(w[k]);
	for (; ox + 2 * LANES <= OW; ox += 2 * LANES)
		dw3_pair_vec(d, r, wv, ba, res, ox, 2);
	if (ox + LANES <= OW) {
		dw3_pair_vec(d, r, wv, ba, res, ox, 1);
		ox += LANES;
	}
	/* the last partial vector as the whole last vector again, when no
	 * residual (which d might be) is added twice */
	if (ox < OW && OW >= LANES && !res0) {
		dw3_pair_vec(d, r, wv, ba, res, OW - LANES, 1);
		ox = OW;
	}
	return ox;
}

ONX_HOT static void dw3_rows(float *d0, float *d1, const float *const r[4], const float *w,
			     i64 OW, float b, float a, const float *res0, const float *res1)
{
	const float *r0 = r[0], *r1 = r[1], *r2 = r[2], *r3 = d1 ? r[3] : NULL;
	i64 o0 = d1 ? dw3_pair_vecs(d0, d1, r, w, OW, b, a, res0, res1) : 0;
	/* the weights in locals: d might alias w, so the compiler loaded and
	 * broadcast all nine again for every vector of outputs */
	const float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5];
	const float w6 = w[6], w7 = w[7], w8 = w[8];
	i64 ox;
#define DW3_TAPS(acc, ox, ra, rb, rc) do { \
	acc = b; \
	acc += w0 * ra[ox]; \
	acc += w1 * ra[ox + 1]; \
	acc += w2 * ra[ox + 2]; \
	acc += w3 * rb[ox]; \
	acc += w4 * rb[ox + 1]; \
	acc += w5 * rb[ox + 2]; \
	acc += w6 * rc[ox]; \
	acc += w7 * rc[ox + 1]; \
	acc += w8 * rc[ox + 2]; \
	acc = acc > 0 ? acc : acc * a; \
} while (0)

	/* separate loops: a load of res under a mask inside one loop faulted
	 * (and was retried) on every vector when res was NULL */
	if (d1 && res0)
#pragma omp simd
		for (ox = o0; ox < OW; ox++) {
			float acc0, acc1;

			DW3_TAPS(acc0, ox, r0, r1, r2);
			DW3_TAPS(acc1, ox, r1, r2, r3);
			d0[ox] = acc0 + res0[ox];
			d1[ox] = acc1 + res1[ox];
		}
	else if (d1)
#pragma omp simd
		for (ox = o0; ox < OW; ox++) {
			float acc0, acc1;

			DW3_TAPS(acc0, ox, r0, r1, r2);
			DW3_TAPS(acc1, ox, r1, r2, r3);
			d0[ox] = acc0;
			d1[ox] = acc1;
		}
	else if (res0)
#pragma omp simd
		for (ox = 0; ox < OW; ox++) {
			float acc;

			DW3_TAPS(acc, ox, r0, r1, r2);
			d0[ox] = acc + res0[ox];
		}
	else
#pragma omp simd
		for (ox = 0; ox < OW; ox++) {
			float acc;

			DW3_TAPS(acc, ox, r0, r1, r2);
			d0[ox] = acc;
		}
#undef DW3_TAPS
}

/* Floats between dw3_plane's rows for an output OW wide: whole cache
 * lines, so that every row's middle taps are aligned loads (a 64-byte
 * load across two lines costs two; unaligned, all three taps of a vector
 * crossed lines, and dw3_rows waited on its loads). */
static i64 dw3_row_floats(i64 OW)
{
	return (OW + 2 + 15) & ~(i64)15;
}

/* Floats of the rows dw3_plane keeps for an output OW wide: the ring of
 * four, the zero row, two output rows to pool, and the slack to align
 * them. */
static i64 dw3_buf_floats(i64 OW)
{
	return 7 * dw3_row_floats(OW) + 32;
}

/* A 3x3, stride-1, dilation-1 depthwise plane (OH,OW) of x (H,W) padded
 * pt on top and pl on the left, into y, or with pool into y (OH/2,OW/2)
 * max-pooled 2x2 (res then NULL): each input row is read in place by
 * dw3_direct (dw3_direct_pool, pooled in registers) when the rows are
 * whole vectors (YuNet's widths but its two smallest), else copied once
 * into a ring of four rows zero-padded to OW + 2 (buf, dw3_buf_floats), and
 * rows outside the input read a row of zeros, so that every output, the
 * edges' included, takes dw3_rows' vectorised pass, two rows at a time
 * (the edges' taps one by one had cost as much as the rest of the row).
 * Padding adds w * 0, which leaves every sum as the row passes make it. */
static void dw3_plane(float *y, const float *x, const float *w, i64 H, i64 W, i64 OH, i64 OW,
		      i64 pt, i64 pl, float b, float a, const float *res, int pool, float *buf)
{
	i64 PW = dw3_row_floats(OW), next = 0, oy, k;
	/* row + 1, output ox = 0's middle tap, on a cache line */
	float *ring = (float *)(((uintptr_t)buf + 63) & ~(uintptr_t)63) + 15;
	float *zero = ring + 4 * PW, *pair = ring + 5 * PW + 1;
	int direct = W == OW && pl == 1 && W % LANES == 0 && !res;

	if (pool)	/* the last odd row, which the pool drops, is not made */
		OH -= OH & 1;
	/* the zeros around each copied row, and the zero row (not the whole
	 * buffer: a fused 1x1 makes this call per channel and band) */
	for (k = 0; k < 4 * !direct; k++) {
		memset(ring + k * PW, 0, pl * sizeof *buf);
		memset(ring + k * PW + pl + W, 0, (PW - pl - W) * sizeof *buf);
	}
	memset(zero, 0, PW * sizeof *buf);
	/* rows in pairs (the last alone when OH is odd) */
	for (oy = 0; oy < OH; oy += 2) {
		const float *rows[4];
		int two = oy + 1 < OH;

		for (k = 0; k < 3 + two; k++) {
			i64 iy = oy - pt + k;

			if (iy < 0 || iy >= H || direct) {
				rows[k] = iy < 0 || iy >= H ? zero : x + iy * W;
				continue;
			}
			for (; next <= iy; next++)
				memcpy(ring + next % 4 * PW + pl, x + next * W, W * sizeof *x);
			rows[k] = ring + iy % 4 * PW;
		}
		if (direct && pool)
			dw3_direct_pool(y + oy / 2 * (OW / 2), rows, w, W, b, a);
		else if (direct)
			dw3_direct(y + oy * OW, two ? y + (oy + 1) * OW : NULL, rows, w, W, b, a);
		else if (!pool)
			dw3_rows(y + oy * OW, two ? y + (oy + 1) * OW : NULL, rows, w, OW, b, a,
				 res ? res + oy * OW : NULL,
				 res && two ? res + (oy + 1) * OW : NULL);
		else
			dw3_rows(pair, pair + PW, rows, w, OW, b, a, NULL, NULL);
		if (pool && !direct)
			maxpool_2x2_plane(pair, y + oy / 2 * (OW / 2), PW, 1, OW / 2);
	}
}

/* Any other depthwise plane: row passes of one tap each, vectorised along
 * the row. */
ONX_HOT static void dw_plane(float *y, const float *x, const float *w, i64 H, i64 W, i64 OH,
			     i64 OW, const struct onx_node *n, i64 kh, i64 kw, float b, float a,
			     const float *res)
{
	i64 sh = n->stride[0], sw = n->stride[1], dh = n->dil[0], dwl = n->dil[1];
	i64 pt = n->pad[0], pl = n->pad[1], oy, ox, ky, kx;

	for (oy = 0; oy < OH; oy++) {
		float *d = y + oy * OW;

		for (ox = 0; ox < OW; ox++)
			d[ox] = b;
		for (ky = 0; ky < kh; ky++) {
			i64 iy = oy * sh - pt + ky * dh;
			if (iy < 0 || iy >= H)
				continue;
			for (kx = 0; kx < kw; kx++) {
				i64 off = kx * dwl - pl, lo, hi;
				const float *src = x + iy * W + off;
				float wv = w[ky * kw + kx];
				/* ox valid when 0 <= ox*sw + off < W */
				lo = off >= 0 ? 0 : (-off + sw - 1) / sw;
				hi = W - off <= 0 ? 0 : (W - off + sw - 1) / sw;
				if (hi > OW)
					hi = OW;
				if (sw == 1)
#pragma omp simd
					for (ox = lo; ox < hi; ox++)
						d[ox] += wv * src[ox];
				else
#pragma omp simd
					for (ox = lo; ox < hi; ox++)
						d[ox] += wv * src[ox * sw];
			}
		}
#pragma omp simd
		for (ox = 0; ox < OW; ox++)
			d[ox] = d[ox] > 0 ? d[ox] : d[ox] * a;
		if (res)
#pragma omp simd
			for (ox = 0; ox < OW; ox++)
				d[ox] += res[oy * OW + ox];
	}
}

static int is_dw3(const struct conv_job *j)
{
	const struct onx_node *n = j->n;

	return j->kh == 3 && j->kw == 3 && n->stride[0] == 1 && n->stride[1] == 1 &&
		n->dil[0] == 1 && n->dil[1] == 1;
}

/* (with n->pool2, the output planes are the pooled ones) */
static void exec_dwconv(const struct conv_job *j, i64 N, int nth)
{
	const struct onx_node *n = j->n;
	i64 k = j->M / j->C, P = n->pool2 ? j->OH / 2 * (j->OW / 2) : j->OH * j->OW, q;
	int dw3 = is_dw3(j);

#pragma omp parallel for schedule(static) num_threads(nth) if (nth > 1 && N * j->M * P > 16384)
	for (q = 0; q < N * j->M; q++) {
		i64 img = q / j->M, mo = q % j->M, ci = mo / k;
		const float *x = j->x + (img * j->C + ci) * j->H * j->W, *w = j->w + mo * j->kh * j->kw;
		const float *res = j->res ? j->res + q * P : NULL;
		float b = j->b ? j->b[mo] : 0;
		float a = n->act == ACT_PRELU ? n->slope[mo] : n->act == ACT_RELU ? 0 : 1;
		int t = 0;
#ifdef _OPENMP
		t = omp_get_thread_num();
#endif
		if (dw3)
			dw3_plane(j->out + q * P, x, w, j->H, j->W, j->OH, j->OW, n->pad[0],
				  n->pad[1], b, a, res, n->pool2,
				  j->m->scratch + (size_t)t * j->m->scratch_per_thread);
		else
			dw_plane(j->out + q * P, x, w, j->H, j->W, j->OH, j->OW, n, j->kh, j->kw,
				 b, a, res);
	}
}

/* Depthwise: a group per input channel, and not a single input channel
 * spread over many outputs (a GEMM does that better). */
static int is_depthwise(const struct onx_node *n, i64 C, i64 M, i64 wc)
{
	return wc == 1 && n->group == C && !n->pre_s && (C > 1 || M == 1);
}

/* ---- a 1x1 conv and the depthwise 3x3 conv after it, in bands ----
 * YuNet's blocks are a 1x1 conv (onx_pw_run) feeding a depthwise 3x3
 * (dw3_plane).  Run one after the other, the 1x1's output (up to 5 MB)
 * goes out to L3 and comes back; here each thread makes the 1x1's output
 * a band of rows at a time into a buffer that stays in L2, and the
 * depthwise conv reads the band there.  The two rows of the band that the
 * next band reads again (the 3x3's halo) are moved, not recomputed.  Each
 * output is the sum the two kernels make on their own, so the results are
 * the same bits. */

/* Floats of the 1x1's output a band holds (512 KiB: half of a Zen 4 or
 * Skylake-X L2, the rest for the 1x1's input rows and the outputs). */
#define BAND_FLOATS ((i64)1 << 17)

/* Rows of the 1x1's output a band buffer holds: a band of output rows,
 * even (a fused pool takes them in pairs), and the 3x3's two halo rows. */
static i64 band_cap_rows(i64 M, i64 W)
{
	i64 b = BAND_FLOATS / (M * W) - 2;

	b -= b & 1;
	return (b < 2 ? 2 : b) + 2;
}

/* A thread's view of the pair on one image. */
struct pw_dw {
	const struct onx_node *pw, *dw;
	const float *x;		/* the 1x1's input image (K,H,W) */
	float *y;		/* the depthwise conv's output image */
	const float *res;	/* the depthwise conv's residual image, or NULL */
	i64 K, M, H, W, OH, OW, R;	/* R: rows the buffer holds */
	float *buf;		/* (M,R,W): rows [blo, bhi) of the 1x1's output */
	float *ring;		/* dw3_plane's rows */
	i64 blo, bhi;
};

/* Makes s->buf hold rows [lo, hi) of the 1x1's output (hi - lo <= R):
 * rows it holds already and still needs are moved to the front, the
 * others computed. */
static void band_fill(struct pw_dw *s, i64 lo, i64 hi)
{
	i64 from = lo, c, W = s->W, RW = s->R * W;

	if (lo >= s->blo && lo < s->bhi) {
		i64 keep = (s->bhi < hi ? s->bhi : hi) - lo;

		if (lo > s->blo)
			for (c = 0; c < s->M; c++)
				memmove(s->buf + c * RW, s->buf + c * RW + (lo - s->blo) * W,
					keep * W * sizeof *s->buf);
		from = lo + keep;
	}
	if (from < hi) {
		const struct onx_node *p = s->pw;
		struct onx_pw_args a = {
			.w = p->w, .x = s->x + from * W, .b = p->b, .slope = p->slope,
			.y = s->buf + (from - lo) * W, .M = s->M, .K = s->K,
			.n = (hi - from) * W, .xs = s->H * W, .ys = RW, .act = p->act,
		};
		onx_pw_run(&a);
	}
	s->blo = lo, s->bhi = hi;
}

/* Output rows [a, b) of the depthwise conv (a even), every channel, from
 * the band of the 1x1's output they read (pads of 1: rows a-1 to b). */
static void band_dw(struct pw_dw *s, i64 a, i64 b)
{
	const struct onx_node *n = s->dw;
	i64 lo = a - 1 < 0 ? 0 : a - 1, hi = b + 1 > s->H ? s->H : b + 1, c;
	i64 P = n->pool2 ? s->OH / 2 * (s->OW / 2) : s->OH * s->OW;
	i64 y0 = n->pool2 ? a / 2 * (s->OW / 2) : a * s->OW;

	band_fill(s, lo, hi);
	for (c = 0; c < s->M; c++) {
		float bias = n->b ? n->b[c] : 0;
		float act = n->act == ACT_PRELU ? n->slope[c] : n->act == ACT_RELU ? 0 : 1;

		dw3_plane(s->y + c * P + y0, s->buf + c * s->R * s->W, n->w + c * 9, hi - lo,
			  s->W, b - a, s->OW, 1 + lo - a, 1, bias, act,
			  s->res ? s->res + c * P + y0 : NULL, n->pool2, s->ring);
	}
}

int onx_pw_dw_fits(const struct arpg_onnx *m, const struct onx_node *pw,
		   const struct onx_node *dw)
{
	const struct onx_tensor *w1, *w3;
	i64 M, K;

	/* the weights' shapes only of convs: another node's in[1] may be -1 */
	if (pw->op != OP_CONV || dw->op != OP_CONV)
		return 0;
	w1 = &m->t[pw->in[1]], w3 = &m->t[dw->in[1]];
	M = w1->dims[0], K = w1->dims[1];
	return pw->w && dw->w && pw->group == 1 &&
		w1->dims[2] == 1 && w1->dims[3] == 1 && pw->stride[0] == 1 &&
		pw->stride[1] == 1 && !pw->pad[0] && !pw->pad[1] && !pw->pad[2] &&
		!pw->pad[3] && !pw->pre_s && pw->res < 0 && !pw->pool2 && pw->pre_pw < 0 &&
		onx_pw_pays(M, K, 1) && M > 1 && dw->group == M && w3->dims[0] == M &&
		w3->dims[1] == 1 && w3->dims[2] == 3 && w3->dims[3] == 3 &&
		dw->stride[0] == 1 && dw->stride[1] == 1 && dw->dil[0] == 1 &&
		dw->dil[1] == 1 && dw->pad[0] == 1 && dw->pad[1] == 1 && dw->pad[2] == 1 &&
		dw->pad[3] == 1 && !dw->pre_s && dw->res < 0 && !dw->pool2 && dw->pre_pw < 0;
}

/* Floats of scratch a thread needs for the pair: the band, dw3's rows. */
static i64 pw_dw_scratch(i64 M, i64 W)
{
	return M * band_cap_rows(M, W) * W + dw3_buf_floats(W);
}

/* The depthwise node n with its 1x1 node fused (n->pre_pw): each thread
 * takes a share of the output rows, in pairs, of every image. */
static int exec_pw_dw(struct arpg_onnx *m, struct onx_node *n)
{
	const struct onx_node *pw = &m->nodes[n->pre_pw];
	const struct onx_tensor *xt = &m->t[pw->in[0]], *mid = &m->t[n->in[0]];
	i64 N = xt->dims[0], OH = m->t[n->out[0]].dims[2], OW = m->t[n->out[0]].dims[3];
	i64 M = mid->dims[1], pairs = (OH + 1) / 2;
	int nth = m->nthreads;

	if (pairs < nth || N * M * OH * OW <= 16384)
		nth = 1;
#pragma omp parallel num_threads(nth) if (nth > 1)
	{
		int t = 0, T = 1;
		i64 img, a, r0, r1, B;
		float *sc;
		struct pw_dw s = {
			.pw = pw, .dw = n, .K = xt->dims[1], .M = M, .H = mid->dims[2],
			.W = mid->dims[3], .OH = OH, .OW = OW,
		};
#ifdef _OPENMP
		t = omp_get_thread_num(), T = omp_get_num_threads();
#endif
		sc = m->scratch + (size_t)t * m->scratch_per_thread;
		s.R = band_cap_rows(M, s.W), B = s.R - 2;
		s.buf = sc, s.ring = sc + M * s.R * s.W;
		r0 = 2 * (pairs * t / T), r1 = 2 * (pairs * (t + 1) / T);
		if (r1 > OH)
			r1 = OH;
		for (img = 0; img < N; img++) {
			i64 P = n->pool2 ? OH / 2 * (OW / 2) : OH * OW;

			s.x = xt->data + img * s.K * s.H * s.W;
			s.y = m->t[n->out_final].data + img * M * P;
			s.res = n->res >= 0 ? m->t[n->res].data + img * M * P : NULL;
			s.blo = s.bhi = 0;
			for (a = r0; a < r1; a += B)
				band_dw(&s, a, a + B < r1 ? a + B : r1);
		}
	}
	return 0;
}

int onx_conv_packs(const struct arpg_onnx *m, const struct onx_node *n)
{
	const struct onx_tensor *w = &m->t[n->in[1]];
	i64 K = w->dims[1] * w->dims[2] * w->dims[3];

	return n->op == OP_CONV && !n->dead && (n->w || w->kind == TK_STATIC) && n->group == 1 &&
		n->pre_pw < 0 && !n->pool2 && !n->wino && w->dims[0] >= 32 && K >= 64 &&
		!onx_pw_pays(w->dims[0], K, 0) && !onx_pw_pays(w->dims[0], K, 1);
}

/* Floats of the im2col scratch of conv n (one thread's), before its B
 * panels (onx_pk_gemm) */
static i64 conv_scratch(const struct arpg_onnx *m, const struct onx_node *n)
{
	const struct onx_tensor *w = &m->t[n->in[1]], *o = &m->t[n->out[0]];
	i64 K = w->dims[1] * w->dims[2] * w->dims[3], P = o->dims[2] * o->dims[3];
	i64 c = conv_chunk(K, P, o->dims[0]), Mg = w->dims[0] / n->group;

	/* images side by side (columns, then the GEMM's output), or one
	 * image in blocks of rows */
	if (c > 1)
		return (K + Mg) * P * c;
	return K * o->dims[3] * conv_block_rows(K, o->dims[3], o->dims[2], COL_FLOATS);
}

/* Where a thread's B panels start in its scratch: after the columns, on a
 * 64-byte boundary */
static i64 pk_offset(const struct arpg_onnx *m, const struct onx_node *n)
{
	return (conv_scratch(m, n) + 15) & ~(i64)15;
}

/* The most columns of one GEMM of conv n: a chunk of images side by side,
 * an image whose input is read in place, or a block of rows */
static i64 pk_max_cols(const struct arpg_onnx *m, const struct onx_node *n)
{
	const struct onx_tensor *w = &m->t[n->in[1]], *o = &m->t[n->out[0]];
	i64 K = w->dims[1] * w->dims[2] * w->dims[3], P = o->dims[2] * o->dims[3];
	i64 c = conv_chunk(K, P, o->dims[0]);

	if (c > 1)
		return c * P;
	if (w->dims[2] == 1 && w->dims[3] == 1 && n->stride[0] == 1 && n->stride[1] == 1 &&
	    !n->pad[0] && !n->pad[1] && !n->pad[2] && !n->pad[3] && !n->pre_s)
		return P;
	return o->dims[3] * conv_block_rows(K, o->dims[3], o->dims[2], COL_FLOATS);
}

static int exec_conv(struct arpg_onnx *m, struct onx_node *n)
{
	const struct onx_tensor *xt = &m->t[n->in[0]], *wt = &m->t[n->in[1]];
	struct onx_tensor *ot = &m->t[n->out_final];
	struct conv_job j;
	i64 N = xt->dims[0];
	int nth = m->nthreads, split_m;

	j.m = m, j.n = n, j.x = xt->data, j.w = n->w ? n->w : wt->data;
	j.b = n->w ? n->b : n->in[2] >= 0 ? m->t[n->in[2]].data : NULL;
	j.res = n->res >= 0 ? m->t[n->res].data : NULL;
	j.out = ot->data;
	j.C = xt->dims[1], j.H = xt->dims[2], j.W = xt->dims[3], j.M = wt->dims[0];
	/* the conv's own output: a fused pool's is smaller */
	j.OH = m->t[n->out[0]].dims[2], j.OW = m->t[n->out[0]].dims[3], j.G = n->group;
	j.kh = wt->dims[2], j.kw = wt->dims[3];
	j.m0 = 0, j.mn = j.M / j.G;
	if (n->pre_pw >= 0)
		return exec_pw_dw(m, n);
	/* onnx_plan.c fuses a pool only into the depthwise convs of dw3_plane */
	if (is_depthwise(n, j.C, j.M, wt->dims[1]) || n->pool2) {
		exec_dwconv(&j, N, nth);
		return 0;
	}
	j.direct = j.kh == 1 && j.kw == 1 && n->stride[0] == 1 && n->stride[1] == 1 &&
		!n->pad[0] && !n->pad[1] && !n->pad[2] && !n->pad[3] && !n->pre_s;
	j.pw = onx_pw_pays(j.mn, j.C / j.G * j.kh * j.kw, j.direct);
	j.s2 = is_s2(&j);	/* K = C * 9 <= 64 rows of offsets */
	if (n->wino && onx_wino_pays(j.OH, j.OW, N, n->wino_m)) {
		struct onx_wino_args a = {
			.x = j.x, .N = N, .C = j.C, .H = j.H, .W = j.W, .m = n->wino_m,
			.U = n->wino, .M = j.M, .OH = j.OH, .OW = j.OW, .pt = n->pad[0], .pl = n->pad[1],
			.pre_s = n->pre_s, .pre_t = n->pre_t, .b = j.b, .slope = n->slope,
			.res = j.res, .act = n->act, .y = j.out,
		};
		onx_wino_run(&a, m->scratch, nth);
		return 0;
	}
	/* Fewer images than threads: split the output rows, or, when a share
	 * of rows would make a thin GEMM, the output channels (each thread
	 * then unfolds the whole image itself). */
	split_m = N < nth && j.OH * j.OW <= SPLIT_M_PIXELS && j.mn >= 16 * nth;
	if (nth > 1 && N < nth && j.OH < nth && !split_m)
		nth = 1;
#pragma omp parallel num_threads(nth) if (nth > 1)
	{
		struct conv_job jt = j;
		int t = 0, T = 1;
		i64 img;
#ifdef _OPENMP
		t = omp_get_thread_num(), T = omp_get_num_threads();
#endif
		jt.scratch = m->scratch + (size_t)t * m->scratch_per_thread;
		jt.bp = NULL;
		if (n->pk && !j.pw)
			jt.bp = jt.scratch + pk_offset(m, n);
		if (N >= T)
			conv_images(&jt, N * t / T, N * (t + 1) / T);
		else if (split_m) {
			/* whole vectors of channels per thread, or whole panels
			 * of the packed filters (which BLIS would pack again,
			 * 9.4 MB at IResNet's 7x7 stage, on every call) */
			i64 q = jt.bp ? onx_pk_mr() : 16;

			jt.m0 = j.mn / q * t / T * q;
			jt.mn = (t + 1 == T ? j.mn : j.mn / q * (t + 1) / T * q) - jt.m0;
			for (img = 0; img < N; img++)
				conv_row_blocks(&jt, img, 0, j.OH);
		} else
			for (img = 0; img < N; img++)
				conv_row_blocks(&jt, img, j.OH * t / T, j.OH * (t + 1) / T);
	}
	return 0;
}

void onx_bn_affine(float *s, float *t, const float *scale, const float *bias,
		   const float *mean, const float *var, float eps, int64_t C)
{
	int64_t c;

	for (c = 0; c < C; c++) {
		double k = scale[c] / sqrt((double)var[c] + eps);
		s[c] = (float)k;
		t[c] = (float)(bias[c] - mean[c] * k);
	}
}

static int exec_bn(struct arpg_onnx *m, struct onx_node *n)
{
	const struct onx_tensor *xt = &m->t[n->in[0]];
	float *y = m->t[n->out_final].data, *s = n->bn_s, *t = n->bn_t;
	const float *x = xt->data;
	i64 N = xt->dims[0], C = xt->dims[1], S = onx_numel(xt) / (N * C), i;

	if (!s) {
		s = m->scratch, t = m->scratch + C;
		onx_bn_affine(s, t, m->t[n->in[1]].data, m->t[n->in[2]].data, m->t[n->in[3]].data,
			      m->t[n->in[4]].data, n->eps, C);
	}
#pragma omp parallel for schedule(static) if (N * C * S > 65536)
	for (i = 0; i < N * C; i++) {
		float a = s[i % C], d = t[i % C];
		const float *xi = x + i * S;
		float *yi = y + i * S;
		i64 k;
		for (k = 0; k < S; k++)
			yi[k] = xi[k] * a + d;
	}
	return 0;
}

/* Broadcast strides of t aligned right to rank r (0 where broadcast). */
static void bstrides(const struct onx_tensor *t, int r, const int64_t *od, i64 *st)
{
	i64 s = 1;
	int i;

	for (i = r - 1; i >= 0; i--) {
		int j = i - (r - t->rank);
		i64 d = j >= 0 ? t->dims[j] : 1;
		st[i] = d == 1 && od[i] != 1 ? 0 : s;
		if (d == 1)
			st[i] = 0;
		s *= d;
	}
}

#define BIN_LOOP(EXPR) \
	for (p = 0; p < inner; p++) { \
		float a = A[p * sa], b = B[p * sb]; \
		O[p] = (EXPR); \
	}

/* ---- elementwise passes on the model's threads ----
 * YuNet's Adds, Sigmoids, Transposes, Reshapes and Resizes ran on one
 * thread; at 2 threads they took longer than at 1 (their inputs were
 * half in the other core's cache) and were 8% of the frame.  Each value
 * is computed as before, so the bits do not depend on the threads. */

/* The fewest floats worth a thread's share: below, the fork and join
 * cost more than the thread saves. */
#define PAR_MIN_FLOATS ((i64)2048)

/* Threads for a pass over n floats: the model's, or 1 when their shares
 * would be smaller than PAR_MIN_FLOATS */
static int par_threads(const struct arpg_onnx *m, i64 n)
{
	return m->nthreads > 1 && n >= m->nthreads * PAR_MIN_FLOATS ? m->nthreads : 1;
}

/* This thread's share [*lo, *hi) of n items, in whole cache lines of
 * floats (the threads write no line in common) */
static void par_share(i64 n, i64 *lo, i64 *hi)
{
	int t = 0, T = 1;
#ifdef _OPENMP
	t = omp_get_thread_num(), T = omp_get_num_threads();
#endif
	*lo = t ? (n * t / T) & ~(i64)15 : 0;
	*hi = t + 1 < T ? (n * (t + 1) / T) & ~(i64)15 : n;
}

/* memcpy of n floats on nth threads */
static void par_copy(float *y, const float *x, i64 n, int nth)
{
#pragma omp parallel num_threads(nth) if (nth > 1)
	{
		i64 lo, hi;

		par_share(n, &lo, &hi);
		memcpy(y + lo, x + lo, (hi - lo) * sizeof *y);
	}
}

/* o = a op b over n values of operands of the output's own size (no
 * broadcast): contiguous loops the compiler vectorises (the strided loop
 * of binop ran one value at a time on YuNet's Adds). */
ONX_HOT static void binop_same(int op, float *o, const float *a, const float *b, i64 n)
{
	i64 p;

	switch (op) {
	case OP_ADD:
#pragma omp simd
		for (p = 0; p < n; p++)
			o[p] = a[p] + b[p];
		break;
	case OP_SUB:
#pragma omp simd
		for (p = 0; p < n; p++)
			o[p] = a[p] - b[p];
		break;
	case OP_MUL:
#pragma omp simd
		for (p = 0; p < n; p++)
			o[p] = a[p] * b[p];
		break;
	case OP_PRELU:
#pragma omp simd
		for (p = 0; p < n; p++)
			o[p] = a[p] > 0 ? a[p] : a[p] * b[p];
		break;
	}
}

static void binop(int op, struct onx_tensor *ot, const struct onx_tensor *at,
		  const struct onx_tensor *bt, int nth)
{
	i64 sa_[MAXR], sb_[MAXR], idx[MAXR] = { 0 }, total = onx_numel(ot), inner, outer, q;
	int r = ot->rank, i;

	if (onx_numel(at) == total && onx_numel(bt) == total) {
#pragma omp parallel num_threads(nth) if (nth > 1)
		{
			i64 lo, hi;

			par_share(total, &lo, &hi);
			binop_same(op, ot->data + lo, at->data + lo, bt->data + lo, hi - lo);
		}
		return;
	}
	bstrides(at, r, ot->dims, sa_);
	bstrides(bt, r, ot->dims, sb_);
	inner = r ? ot->dims[r - 1] : 1;
	outer = total / inner;
	{
		i64 sa = r ? sa_[r - 1] : 0, sb = r ? sb_[r - 1] : 0;
		if (!r)
			sa = sb = 0;
		for (q = 0; q < outer; q++) {
			i64 ao = 0, bo = 0, p;
			const float *A, *B;
			float *O = ot->data + q * inner;
			for (i = 0; i < r - 1; i++)
				ao += idx[i] * sa_[i], bo += idx[i] * sb_[i];
			A = at->data + ao, B = bt->data + bo;
			switch (op) {
			case OP_ADD: BIN_LOOP(a + b); break;
			case OP_SUB: BIN_LOOP(a - b); break;
			case OP_MUL: BIN_LOOP(a * b); break;
			case OP_PRELU: BIN_LOOP(a > 0 ? a : a * b); break;
			}
			for (i = r - 2; i >= 0; i--) {
				if (++idx[i] < ot->dims[i])
					break;
				idx[i] = 0;
			}
		}
	}
}

/* The max of the generic loop below, one value at a time (a NaN wins). */
static void maxpool_2x2(const float *x, float *y, i64 NC, i64 H, i64 W, i64 OH, i64 OW)
{
	i64 i;

#pragma omp parallel for schedule(static) if (NC * OH * OW > 16384)
	for (i = 0; i < NC; i++)
		maxpool_2x2_plane(x + i * H * W, y + i * OH * OW, W, OH, OW);
}

static int exec_pool(struct arpg_onnx *m, struct onx_node *n)
{
	const struct onx_tensor *xt = &m->t[n->in[0]];
	struct onx_tensor *ot = &m->t[n->out_final];
	i64 NC = xt->dims[0] * xt->dims[1], H = xt->dims[2], W = xt->dims[3];
	i64 OH = ot->dims[2], OW = ot->dims[3], i;
	int ismax = n->op == OP_MAXPOOL;

	if (ismax && n->kernel[0] == 2 && n->kernel[1] == 2 && n->stride[0] == 2 &&
	    n->stride[1] == 2 && n->dil[0] == 1 && n->dil[1] == 1 && !n->pad[0] && !n->pad[1] &&
	    2 * OH <= H && 2 * OW <= W) {
		maxpool_2x2(xt->data, ot->data, NC, H, W, OH, OW);
		return 0;
	}

#pragma omp parallel for schedule(static) if (NC * OH * OW > 16384)
	for (i = 0; i < NC; i++) {
		const float *x = xt->data + i * H * W;
		float *y = ot->data + i * OH * OW;
		i64 oy, ox, ky, kx;
		for (oy = 0; oy < OH; oy++)
			for (ox = 0; ox < OW; ox++) {
				i64 y0 = oy * n->stride[0] - n->pad[0], x0 = ox * n->stride[1] - n->pad[1];
				double acc = ismax ? -FLT_MAX : 0;
				i64 cnt = 0, ye, xe;
				int any = 0;
				for (ky = 0; ky < n->kernel[0]; ky++) {
					i64 iy = y0 + ky * n->dil[0];
					if (iy < 0 || iy >= H)
						continue;
					for (kx = 0; kx < n->kernel[1]; kx++) {
						i64 ix = x0 + kx * n->dil[1];
						float v;
						if (ix < 0 || ix >= W)
							continue;
						v = x[iy * W + ix];
						any = 1;
						if (ismax) {
							if (v > acc || v != v)
								acc = v;
						} else
							acc += v, cnt++;
					}
				}
				if (ismax) {
					y[oy * OW + ox] = any ? (float)acc : -FLT_MAX;
					continue;
				}
				if (n->count_include_pad) {
					/* windows clipped at the end of the padding */
					ye = y0 + (n->kernel[0] - 1) * n->dil[0] + 1;
					xe = x0 + (n->kernel[1] - 1) * n->dil[1] + 1;
					if (ye > H + n->pad[2])
						ye = H + n->pad[2];
					if (xe > W + n->pad[3])
						xe = W + n->pad[3];
					cnt = ((ye - y0 + n->dil[0] - 1) / n->dil[0]) *
						((xe - x0 + n->dil[1] - 1) / n->dil[1]);
				}
				y[oy * OW + ox] = cnt ? (float)(acc / cnt) : 0;
			}
	}
	return 0;
}

static int exec_gap(struct arpg_onnx *m, struct onx_node *n)
{
	const struct onx_tensor *xt = &m->t[n->in[0]];
	i64 NC = xt->dims[0] * xt->dims[1], S = onx_numel(xt) / NC, i, k;
	float *y = m->t[n->out_final].data;

	for (i = 0; i < NC; i++) {
		const float *x = xt->data + i * S;
		double acc = 0;
		for (k = 0; k < S; k++)
			acc += x[k];
		y[i] = (float)(acc / S);
	}
	return 0;
}

/* y (M,N) = broadcast of c (beta applied later by the GEMM's beta) */
static void fill_broadcast(struct onx_tensor *ot, const struct onx_tensor *ct)
{
	i64 M = ot->dims[0], N = ot->dims[1], i, j;
	i64 rs = ct->rank == 2 && ct->dims[0] != 1 ? ct->dims[1] : 0;
	i64 cs = ct->rank >= 1 && ct->dims[ct->rank - 1] != 1 ? 1 : 0;

	for (i = 0; i < M; i++)
		for (j = 0; j < N; j++)
			ot->data[i * N + j] = ct->data[i * rs + j * cs];
}

/* BLIS's sgemm repacks all of W on every call, which for few rows of A
 * costs ten times reading W once: iresnet50's 25088x512 embedding layer
 * took 12.5 ms for 1 row and 12.7 for 8 by sgemm, 1.3 and 4.5 by sgemv on
 * blocks of GEMV_BLOCK rows of W (small enough to stay in L2 while each row
 * of A passes).  Past 16 rows sgemm wins again (18 against 24 ms at 64).
 * y (M x N) = A (M x K; rows rsa apart, columns csa) times W^T, W (N x K). */
#define GEMV_ROWS_MAX 16
#define GEMV_BLOCK 8
static void gemm_few_rows(const struct arpg_onnx *m, const struct onx_node *n, const float *a,
			  i64 rsa, i64 csa, float *y, i64 M, i64 N, i64 K)
{
	i64 nb = (N + GEMV_BLOCK - 1) / GEMV_BLOCK, b;

#pragma omp parallel for schedule(static) num_threads(m->nthreads) if (m->nthreads > 1 && nb > 1)
	for (b = 0; b < nb; b++) {
		float one = 1, zero = 0;
		i64 j0 = b * GEMV_BLOCK, nj = N - j0 < GEMV_BLOCK ? N - j0 : GEMV_BLOCK, i;
		for (i = 0; i < M; i++)
			bli_sgemv(BLIS_NO_TRANSPOSE, BLIS_NO_CONJUGATE, nj, K, &one,
				  n->w + j0 * K, K, 1, (float *)a + i * rsa, csa, &zero,
				  y + i * N + j0, 1);
	}
}

static int exec_gemm(struct arpg_onnx *m, struct onx_node *n)
{
	const struct onx_tensor *at = &m->t[n->in[0]], *bt = &m->t[n->in[1]];
	struct onx_tensor *ot = &m->t[n->out_final];
	i64 M = ot->dims[0], N = ot->dims[1], K = at->dims[!n->trans_a];
	i64 rsa = n->trans_a ? 1 : K, csa = n->trans_a ? M : 1;

	if (n->w) {
		i64 i, j;
		if (M <= GEMV_ROWS_MAX)
			gemm_few_rows(m, n, at->data, rsa, csa, ot->data, M, N, K);
		else
			sgemm(M, N, K, 1, at->data, rsa, csa, n->w, 1, K, 0, ot->data, N, 1);
		for (i = 0; i < M; i++)
			for (j = 0; j < N; j++)
				ot->data[i * N + j] += n->b[j];
		return 0;
	}
	if (n->in[2] >= 0)
		fill_broadcast(ot, &m->t[n->in[2]]);
	sgemm(M, N, K, n->alpha, at->data, rsa, csa, bt->data, n->trans_b ? 1 : N,
	      n->trans_b ? K : 1, n->in[2] >= 0 ? n->beta : 0, ot->data, N, 1);
	return 0;
}

static int exec_matmul(struct arpg_onnx *m, struct onx_node *n)
{
	const struct onx_tensor *at = &m->t[n->in[0]], *bt = &m->t[n->in[1]];
	struct onx_tensor *ot = &m->t[n->out_final];
	i64 ad[MAXR], bd[MAXR], ob[MAXR], idx[MAXR] = { 0 }, nb = 1, q;
	int ra, rb, r, i;

	onx_matmul_dims(ad, &ra, bd, &rb, at, bt);
	/* the stack of products: the operands' leading dimensions broadcast
	 * (onx_infer checked that they agree) */
	onx_broadcast(ra - 2, ad, rb - 2, bd, &r, ob);
	for (i = 0; i < r; i++)
		nb *= ob[i];
	{
		i64 M = ad[ra - 2], K = ad[ra - 1], N = bd[rb - 1];
		for (q = 0; q < nb; q++) {
			i64 ao = 0, bo = 0, sa = 1, sb = 1;
			for (i = r - 1; i >= 0; i--) {
				int ja = i - (r - (ra - 2)), jb = i - (r - (rb - 2));
				if (ja >= 0) {
					if (ad[ja] != 1)
						ao += idx[i] * sa;
					sa *= ad[ja];
				}
				if (jb >= 0) {
					if (bd[jb] != 1)
						bo += idx[i] * sb;
					sb *= bd[jb];
				}
			}
			sgemm(M, N, K, 1, at->data + ao * M * K, K, 1, bt->data + bo * K * N, N, 1,
			      0, ot->data + q * M * N, N, 1);
			for (i = r - 1; i >= 0; i--) {
				if (++idx[i] < ob[i])
					break;
				idx[i] = 0;
			}
		}
	}
	return 0;
}

ONX_HOT static void sigmoid(float *y, const float *x, i64 k)
{
	i64 i;

	for (i = 0; i < k; i++) {
		/* exp of a non-positive number only: no overflow */
		float e = expf(-fabsf(x[i]));
		y[i] = x[i] >= 0 ? 1 / (1 + e) : e / (1 + e);
	}
}

/* sigmoid on the model's threads */
static void exec_sigmoid(struct arpg_onnx *m, struct onx_node *n)
{
	float *y = m->t[n->out_final].data;
	const float *x = m->t[n->in[0]].data;
	i64 k = onx_numel(&m->t[n->out_final]);
	int nth = par_threads(m, k);

#pragma omp parallel num_threads(nth) if (nth > 1)
	{
		i64 lo, hi;

		par_share(k, &lo, &hi);
		sigmoid(y + lo, x + lo, hi - lo);
	}
}

/* Whether transposing x by n's perm moves only axes of length 1: the
 * values keep their order (YuNet's heads of one channel). */
static int transpose_is_copy(const struct onx_node *n, const struct onx_tensor *xt)
{
	int i, last = -1;

	for (i = 0; i < xt->rank; i++) {
		int a = n->nperm ? (int)n->perm[i] : xt->rank - 1 - i;

		if (xt->dims[a] == 1)
			continue;
		if (a < last)
			return 0;
		last = a;
	}
	return 1;
}

/* y (N,S,C) = x (N,C,S) transposed per image: NCHW to NHWC. */
ONX_HOT static void channels_last_part(float *y, const float *x, i64 N, i64 C, i64 S, i64 p0,
				       i64 p1)
{
	i64 img, c, p;

	for (img = 0; img < N; img++, x += C * S, y += C * S)
		for (c = 0; c < C; c++)
			for (p = p0; p < p1; p++)
				y[p * C + c] = x[c * S + p];
}

/* (N,C,S) to (N,S,C), each thread a share of the positions */
static void channels_last(float *y, const float *x, i64 N, i64 C, i64 S, int nth)
{
#pragma omp parallel num_threads(nth) if (nth > 1)
	{
		i64 lo, hi;

		par_share(S, &lo, &hi);
		channels_last_part(y, x, N, C, S, lo, hi);
	}
}

/* y = x with its axes permuted: output axis i is input axis perm[i]. */
static void exec_transpose(struct arpg_onnx *m, struct onx_node *n)
{
	const struct onx_tensor *xt = &m->t[n->in[0]];
	struct onx_tensor *ot = &m->t[n->out_final];
	i64 ist[MAXR], st[MAXR], idx[MAXR] = { 0 }, inner, outer, q, p;
	int r = xt->rank, i;
	float *y = ot->data;

	if (r == 0 || transpose_is_copy(n, xt)) {
		par_copy(y, xt->data, onx_numel(xt), par_threads(m, onx_numel(xt)));
		return;
	}
	if (r == 4 && n->nperm == 4 && n->perm[0] == 0 && n->perm[1] == 2 && n->perm[2] == 3 &&
	    n->perm[3] == 1) {
		channels_last(y, xt->data, xt->dims[0], xt->dims[1], xt->dims[2] * xt->dims[3],
			      par_threads(m, onx_numel(xt)));
		return;
	}
	for (i = r - 1, p = 1; i >= 0; i--)
		ist[i] = p, p *= xt->dims[i];
	for (i = 0; i < r; i++)
		st[i] = ist[n->nperm ? n->perm[i] : r - 1 - i];
	inner = ot->dims[r - 1];
	outer = onx_numel(ot) / inner;
	for (q = 0; q < outer; q++, y += inner) {
		const float *x = xt->data;
		for (i = 0; i < r - 1; i++)
			x += idx[i] * st[i];
		for (p = 0; p < inner; p++)
			y[p] = x[p * st[r - 1]];
		for (i = r - 2; i >= 0; i--) {
			if (++idx[i] < ot->dims[i])
				break;
			idx[i] = 0;
		}
	}
}

/* The input coordinate of output coordinate i along an axis of lin inputs
 * and lout outputs, scale s as given (ONNX's coordinate_transformation_mode;
 * align_corners divides by lin * s - 1, which is lout - 1 when sizes are
 * given and not floored when scales are, as ONNX's reference does). */
static double resize_coord(int mode, i64 i, double s, i64 lin, i64 lout)
{
	switch (mode) {
	case RS_PYTORCH_HALF_PIXEL:
		return lout > 1 ? (i + 0.5) / s - 0.5 : 0;
	case RS_ALIGN_CORNERS:
		return i == 0 ? 0 : (double)i * (lin - 1) / (lin * s - 1);
	case RS_ASYMMETRIC:
		return i / s;
	case RS_TF_HALF_PIXEL_FOR_NN:
		return (i + 0.5) / s;
	case RS_HALF_PIXEL_SYMMETRIC: {
		double adj = lout / (s * lin), c = lin / 2.0;
		return c * (1 - adj) + (i + 0.5) / s - 0.5;
	}
	default:
		return (i + 0.5) / s - 0.5;
	}
}

static i64 resize_nearest(int mode, double x, i64 lin)
{
	double f = floor(x);
	i64 v;

	switch (mode) {
	case RS_ROUND_PREFER_FLOOR: v = (i64)(x - f == 0.5 ? f : floor(x + 0.5)); break;
	case RS_ROUND_PREFER_CEIL: v = (i64)(x - f == 0.5 ? f + 1 : floor(x + 0.5)); break;
	case RS_FLOOR: v = (i64)f; break;
	default: v = (i64)ceil(x); break;
	}
	return v < 0 ? 0 : v >= lin ? lin - 1 : v;
}

/* Whether src[p] = p / 2 for every p < n: each input value twice. */
static int upsamples_by_2(const i64 *src, i64 n)
{
	i64 p;

	for (p = 0; p < n && src[p] == p / 2; p++)
		;
	return p == n;
}

/* y[p] = x[src[p]] for p < n; with dup2 (upsamples_by_2) by shuffles,
 * without the gather. */
ONX_HOT static void gather_row(float *y, const float *x, const i64 *src, i64 n, int dup2)
{
	i64 p;

	if (dup2) {
		for (p = 0; p + 2 * LANES <= n; p += 2 * LANES) {
			v16 v = ld(x + p / 2);

			st(y + p, __builtin_shufflevector(v, v, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4,
							  5, 5, 6, 6, 7, 7));
			st(y + p + LANES, __builtin_shufflevector(v, v, 8, 8, 9, 9, 10, 10, 11,
								  11, 12, 12, 13, 13, 14, 14,
								  15, 15));
		}
		for (; p < n; p++)
			y[p] = x[p / 2];
		return;
	}
	for (p = 0; p < n; p++)
		y[p] = x[src[p]];
}

/* Nearest: an input index per output index and axis (src[axis][i]), then
 * a gather, row by row along the last axis (a row that reads the input
 * row the row before read is a copy of it); the planes (all axes but the
 * last two) shared among the threads. */
static int resize_nearest_nd(struct arpg_onnx *m, struct onx_node *n)
{
	const struct onx_tensor *xt = &m->t[n->in[0]];
	struct onx_tensor *ot = &m->t[n->out_final];
	i64 *src[MAXR] = { 0 }, ist[MAXR], inner, rows, planes, pl, q, p;
	int r = xt->rank, i, rc = 0, dup2, nth = par_threads(m, onx_numel(ot));

	for (i = r - 1, p = 1; i >= 0; i--) {
		ist[i] = p, p *= xt->dims[i];
		if (!(src[i] = malloc(ot->dims[i] * sizeof **src))) {
			rc = ARPG_ENOMEM;
			goto out;
		}
		for (q = 0; q < ot->dims[i]; q++)
			src[i][q] = ist[i] * resize_nearest(n->rs_nearest,
				resize_coord(n->rs_coord, q, n->rs_scale[i], xt->dims[i], ot->dims[i]),
				xt->dims[i]);
	}
	inner = r ? ot->dims[r - 1] : 1;
	rows = r >= 2 ? ot->dims[r - 2] : 1;
	planes = onx_numel(ot) / (inner * rows);
	dup2 = r && upsamples_by_2(src[r - 1], inner);
#pragma omp parallel for schedule(static) num_threads(nth) if (nth > 1 && planes > 1)
	for (pl = 0; pl < planes; pl++) {
		const float *x = xt->data;
		float *y = ot->data + pl * rows * inner;
		i64 rest = pl, j;
		int a;

		for (a = r - 3; a >= 0; a--) {
			x += src[a][rest % ot->dims[a]];
			rest /= ot->dims[a];
		}
		for (j = 0; j < rows; j++, y += inner) {
			if (r >= 2 && j > 0 && src[r - 2][j] == src[r - 2][j - 1])
				/* the row the last one read: a copy of it */
				memcpy(y, y - inner, inner * sizeof *y);
			else if (r)
				gather_row(y, x + (r >= 2 ? src[r - 2][j] : 0), src[r - 1], inner,
					   dup2);
			else
				y[0] = x[0];
		}
	}
out:
	for (i = 0; i < r; i++)
		free(src[i]);
	return rc;
}

/* Linear along the last two axes (infer_resize refused others): per
 * output index the two neighbours (coordinates clamped to the input) and
 * the weight of the second. */
struct lin_tab {
	i64 *i0, *i1;
	float *w;
};

static int lin_table(struct lin_tab *t, const struct onx_node *n, int ax, i64 lin, i64 lout)
{
	i64 q;

	t->i0 = malloc(lout * sizeof *t->i0);
	t->i1 = malloc(lout * sizeof *t->i1);
	t->w = malloc(lout * sizeof *t->w);
	if (!t->i0 || !t->i1 || !t->w)
		return ARPG_ENOMEM;
	for (q = 0; q < lout; q++) {
		double x = resize_coord(n->rs_coord, q, ax >= 0 ? n->rs_scale[ax] : 1, lin, lout);
		if (x < 0)
			x = 0;
		if (x > lin - 1)
			x = (double)(lin - 1);
		t->i0[q] = (i64)x;
		t->i1[q] = t->i0[q] + 1 < lin ? t->i0[q] + 1 : lin - 1;
		t->w[q] = (float)(x - t->i0[q]);
	}
	return 0;
}

static int resize_linear_2d(struct arpg_onnx *m, struct onx_node *n)
{
	const struct onx_tensor *xt = &m->t[n->in[0]];
	struct onx_tensor *ot = &m->t[n->out_final];
	int r = xt->rank, rc;
	i64 H = r >= 2 ? xt->dims[r - 2] : 1, W = r ? xt->dims[r - 1] : 1;
	i64 OH = r >= 2 ? ot->dims[r - 2] : 1, OW = r ? ot->dims[r - 1] : 1;
	i64 planes = onx_numel(ot) / (OH * OW), pl, oy, ox;
	struct lin_tab ty = { 0 }, tx = { 0 };

	if ((rc = lin_table(&ty, n, r >= 2 ? r - 2 : -1, H, OH)) < 0 ||
	    (rc = lin_table(&tx, n, r - 1, W, OW)) < 0)
		goto out;
	for (pl = 0; pl < planes; pl++) {
		const float *x = xt->data + pl * H * W;
		float *y = ot->data + pl * OH * OW;
		for (oy = 0; oy < OH; oy++) {
			const float *r0 = x + ty.i0[oy] * W, *r1 = x + ty.i1[oy] * W;
			float wy = ty.w[oy];
			for (ox = 0; ox < OW; ox++) {
				float wx = tx.w[ox];
				float a = r0[tx.i0[ox]] + (r0[tx.i1[ox]] - r0[tx.i0[ox]]) * wx;
				float b = r1[tx.i0[ox]] + (r1[tx.i1[ox]] - r1[tx.i0[ox]]) * wx;
				y[oy * OW + ox] = a + (b - a) * wy;
			}
		}
	}
out:
	free(ty.i0), free(ty.i1), free(ty.w);
	free(tx.i0), free(tx.i1), free(tx.w);
	return rc;
}

static void exec_concat(struct arpg_onnx *m, struct onx_node *n)
{
	struct onx_tensor *ot = &m->t[n->out_final];
	int ax = n->axis < 0 ? n->axis + ot->rank : n->axis, k, i;
	i64 outer = 1, inner = 1, q;
	float *y = ot->data;

	for (i = 0; i < ax; i++)
		outer *= ot->dims[i];
	for (i = ax + 1; i < ot->rank; i++)
		inner *= ot->dims[i];
	for (q = 0; q < outer; q++)
		for (k = 0; k < n->nin; k++) {
			const struct onx_tensor *xt = &m->t[n->in[k]];
			i64 len = xt->dims[ax] * inner;
			memcpy(y, xt->data + q * len, len * sizeof *y);
			y += len;
		}
}

/* Softmax over len values inner apart, for each of outer x inner lanes
 * (onx_infer made n->axis non-negative). */
static void exec_softmax(struct arpg_onnx *m, struct onx_node *n)
{
	const struct onx_tensor *xt = &m->t[n->in[0]];
	float *y = m->t[n->out_final].data;
	i64 outer = 1, len = 1, inner = 1, q, p, k;
	int i;

	for (i = 0; i < xt->rank; i++) {
		if (i < n->axis)
			outer *= xt->dims[i];
		else if (i == n->axis || m->opset < 13)
			len *= xt->dims[i];
		else
			inner *= xt->dims[i];
	}
	for (q = 0; q < outer; q++)
		for (p = 0; p < inner; p++) {
			const float *x = xt->data + q * len * inner + p;
			float *o = y + q * len * inner + p, mx = -INFINITY;
			double sum = 0;
			for (k = 0; k < len; k++)
				if (x[k * inner] > mx)
					mx = x[k * inner];
			for (k = 0; k < len; k++)
				sum += o[k * inner] = expf(x[k * inner] - mx);
			for (k = 0; k < len; k++)
				o[k * inner] = (float)(o[k * inner] / sum);
		}
}

/* LayerNormalization over the len values from n->axis on, for each of
 * the rows before it: (x - mean) / sqrt(var + eps) * scale + bias, the
 * sums in double. */
static void exec_layernorm(struct arpg_onnx *m, struct onx_node *n)
{
	const struct onx_tensor *xt = &m->t[n->in[0]];
	const float *g = m->t[n->in[1]].f;
	const float *b = n->nin > 2 && n->in[2] >= 0 ? m->t[n->in[2]].f : NULL;
	float *y = m->t[n->out_final].data;
	i64 rows = 1, len = 1, r, k;
	int i;

	for (i = 0; i < xt->rank; i++)
		*(i < n->axis ? &rows : &len) *= xt->dims[i];
	for (r = 0; r < rows; r++) {
		const float *x = xt->data + r * len;
		float *o = y + r * len;
		double s = 0, ss = 0, mean, rstd;

		for (k = 0; k < len; k++)
			s += x[k];
		mean = s / len;
		for (k = 0; k < len; k++)
			ss += (x[k] - mean) * (x[k] - mean);
		rstd = 1 / sqrt(ss / len + n->eps);
		for (k = 0; k < len; k++)
			o[k] = (float)((x[k] - mean) * rstd) * g[k] + (b ? b[k] : 0);
	}
}

/* ReduceMean: each input element added to its output element (a reduced
 * axis has output stride 0), in double, then divided by the count. */
static int exec_reducemean(struct arpg_onnx *m, struct onx_node *n)
{
	const struct onx_tensor *xt = &m->t[n->in[0]];
	struct onx_tensor *ot = &m->t[n->out_final];
	i64 ostride[MAXR], idx[MAXR] = { 0 }, nout = onx_numel(ot), nin = onx_numel(xt), q, o;
	int red[MAXR] = { 0 }, i;
	double *acc = calloc((size_t)(nout ? nout : 1), sizeof *acc);

	if (!acc)
		return ARPG_ENOMEM;
	for (i = 0; i < n->naxes; i++)
		red[n->axes[i] < 0 ? n->axes[i] + xt->rank : n->axes[i]] = 1;
	for (i = xt->rank - 1, q = 1; i >= 0; i--) {
		ostride[i] = red[i] || !n->naxes ? 0 : q;
		q *= red[i] || !n->naxes ? 1 : xt->dims[i];
	}
	for (q = 0, o = 0; q < nin; q++) {
		acc[o] += xt->data[q];
		for (i = xt->rank - 1; i >= 0; i--) {	/* the next index, its output offset */
			o += ostride[i];
			if (++idx[i] < xt->dims[i])
				break;
			o -= ostride[i] * idx[i];
			idx[i] = 0;
		}
	}
	for (o = 0; o < nout; o++)
		ot->data[o] = (float)(acc[o] * nout / (nin ? nin : 1));
	free(acc);
	return 0;
}

void onx_ops_init(struct arpg_onnx *m)
{
	bli_rntm_init(&m->rntm1);
	bli_rntm_set_num_threads(1, &m->rntm1);
	/* BLIS's small-matrix (sup) kernels block and reduce differently
	 * from its large ones, and which runs depends on the GEMM's size, so
	 * a thread's share of a convolution would change the last bits of
	 * the outputs with the thread count (and with arpg-features' default
	 * -j, the load).  Without them a column's sums are the same in any
	 * share: the cache is the same bit for bit at any -j (about 2% slower
	 * at batch 1 on one thread, within the noise elsewhere). */
	bli_rntm_disable_l3_sup(&m->rntm1);
}

size_t onx_scratch_need(const struct arpg_onnx *m, const struct onx_node *n)
{
	if (n->op == OP_CONV) {
		const struct onx_tensor *w = &m->t[n->in[1]], *o = &m->t[n->out[0]];
		i64 K = w->dims[1] * w->dims[2] * w->dims[3];
		i64 need = conv_scratch(m, n);
		/* and the B panels of its GEMMs */
		if (onx_conv_packs(m, n))
			need = pk_offset(m, n) + (i64)onx_pk_scratch(K, pk_max_cols(m, n));
		/* a depthwise conv's padded rows (dw3_plane) */
		if (need < dw3_buf_floats(o->dims[3]))
			need = dw3_buf_floats(o->dims[3]);
		/* with its 1x1 conv fused, a band of the 1x1's output too */
		if (n->pre_pw >= 0 && need < pw_dw_scratch(w->dims[0], o->dims[3]))
			need = pw_dw_scratch(w->dims[0], o->dims[3]);
		return (size_t)need;
	}
	if (n->op == OP_BN)
		return 2 * (size_t)m->t[n->in[0]].dims[1];
	return 0;
}

int onx_exec(struct arpg_onnx *m, struct onx_node *n, char *err, size_t errn)
{
	struct onx_tensor *o = &m->t[n->out_final];

	switch (n->op) {
	case OP_CONV:
		return exec_conv(m, n);
	case OP_BN:
		return exec_bn(m, n);
	case OP_ADD: case OP_SUB: case OP_MUL: case OP_PRELU:
		binop(n->op, o, &m->t[n->in[0]], &m->t[n->in[1]], par_threads(m, onx_numel(o)));
		return 0;
	case OP_RELU: {
		const float *x = m->t[n->in[0]].data;
		i64 i, k = onx_numel(o);
		for (i = 0; i < k; i++)
			o->data[i] = x[i] > 0 ? x[i] : 0;
		return 0;
	}
	case OP_AVGPOOL: case OP_MAXPOOL:
		return exec_pool(m, n);
	case OP_GAP:
		return exec_gap(m, n);
	case OP_GEMM:
		return exec_gemm(m, n);
	case OP_MATMUL:
		return exec_matmul(m, n);
	case OP_SIGMOID:
		exec_sigmoid(m, n);
		return 0;
	case OP_TRANSPOSE:
		exec_transpose(m, n);
		return 0;
	case OP_RESIZE: case OP_UPSAMPLE:
		if ((n->rs_mode == RS_LINEAR ? resize_linear_2d(m, n) : resize_nearest_nd(m, n)) < 0)
			return arpg_errf(err, errn, ARPG_ENOMEM, "node '%s' (%s): out of memory",
					 n->name, n->opname);
		return 0;
	case OP_CONCAT:
		exec_concat(m, n);
		return 0;
	case OP_SOFTMAX:
		exec_softmax(m, n);
		return 0;
	case OP_ELU: case OP_LEAKYRELU: {
		const float *x = m->t[n->in[0]].data;
		i64 i, k = onx_numel(o);
		if (n->op == OP_ELU)
			for (i = 0; i < k; i++)
				o->data[i] = x[i] > 0 ? x[i] : n->alpha * (expf(x[i]) - 1);
		else
			for (i = 0; i < k; i++)
				o->data[i] = x[i] >= 0 ? x[i] : n->alpha * x[i];
		return 0;
	}
	case OP_LAYERNORM:
		exec_layernorm(m, n);
		return 0;
	case OP_REDUCEMEAN:
		if (exec_reducemean(m, n) < 0)
			return arpg_errf(err, errn, ARPG_ENOMEM, "node '%s' (%s): out of memory",
					 n->name, n->opname);
		return 0;
	case OP_FLATTEN: case OP_RESHAPE: case OP_IDENTITY: case OP_DROPOUT:
		if (o->data != m->t[n->in[0]].data)
			par_copy(o->data, m->t[n->in[0]].data, onx_numel(o),
				 par_threads(m, onx_numel(o)));
		return 0;
	}
	return arpg_errf(err, errn, ARPG_EUNSUPPORTED, "node '%s' (%s): no kernel", n->name,
			 n->opname);
}
