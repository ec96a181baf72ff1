/* layers.c - forward and backward of the head's layers. */
#include "layers.h"
#include "error.h"

#include <blis.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* The row kernels are HOT (layers.h): these loops are a third of a
 * training step. */
/* e^x for x in [-87, 88] (clamped outside), within 2 ulp, in a form the
 * compiler vectorises: x = n ln2 + r with n rounded by the 1.5 * 2^23
 * trick, e^r by its Taylor polynomial to r^6 (|r| <= ln2 / 2), 2^n built
 * in the exponent bits.  n is read from t's bits, in unsigned arithmetic,
 * so that a NaN (which the clamp lets through) stays a NaN without a
 * float-to-int conversion, which C leaves undefined for it. */
static inline float exp_fast(float x)
{
	const float round = 12582912.0f;	/* bits 0x4b400000 */
	float t, n, r, p, scale;
	uint32_t bits;

	x = x < -87.0f ? -87.0f : x > 88.0f ? 88.0f : x;
	t = x * 1.44269504089f + round;
	n = t - round;
	r = x - n * 0.693145751953125f - n * 1.428606765330187e-06f;
	p = 1.0f + r * (1.0f + r * (0.5f + r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120 +
							r * (1.0f / 720))))));
	memcpy(&bits, &t, sizeof bits);
	bits = (bits - 0x4b400000u + 127u) << 23;
	memcpy(&scale, &bits, sizeof scale);
	return p * scale;
}

/* The least work worth a parallel region: 2^24 FMAs (about 0.2 ms on a
 * core), 2^18 values of elementwise work.  Below that, waking the other
 * threads and meeting them at the region's end costs more than it saves,
 * and much more on a busy machine, where a thread that the scheduler has
 * put aside holds up the region's end until it runs again. */
#define PAR_FMAS 16777216.0
#define PAR_VALUES 262144L

void gemm(int m, int n, int k, const float *A, int rsa, int csa, const float *B, int rsb,
	  int csb, float beta, float *C, int ldc)
{
	float one = 1.0f;

	if (m == 0 || n == 0)
		return;
	bli_sgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, m, n, k, &one, (float *)A, rsa, csa,
		  (float *)B, rsb, csb, &beta, C, ldc, 1);
}

void gemm1(int m, int n, int k, const float *A, int rsa, int csa, const float *B, int rsb,
	   int csb, float beta, float *C, int ldc)
{
	float one = 1.0f;
	rntm_t rntm;

	if (m == 0 || n == 0)
		return;
	/* one thread, and BLIS's large kernels only: the small-matrix ones
	 * block the sums differently, and would run on some shares' sizes */
	bli_rntm_init(&rntm);
	bli_rntm_set_num_threads(1, &rntm);
	bli_rntm_disable_l3_sup(&rntm);
	bli_sgemm_ex(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, m, n, k, &one, (float *)A, rsa, csa,
		     (float *)B, rsb, csb, &beta, C, ldc, 1, NULL, &rntm);
}

void gemm_cols(int m, int n, int k, const float *A, int rsa, int csa, const float *B, int rsb,
	       int csb, float beta, float *C, int ldc)
{
#ifdef _OPENMP
	int nt = omp_get_max_threads();
#else
	int nt = 1;
#endif
	/* a share of whole 16-column panels (the kernels' width) */
	int w = ((n + nt - 1) / nt + 15) / 16 * 16, shares = (n + w - 1) / w, s;

#pragma omp parallel for schedule(static) if (shares > 1 && (double)m * n * k > PAR_FMAS)
	for (s = 0; s < shares; s++) {
		int c0 = s * w;

		gemm1(m, n - c0 < w ? n - c0 : w, k, A, rsa, csa, B + (long)c0 * csb, rsb, csb, beta,
		      C + c0, ldc);
	}
}

void gemm_naive(int m, int n, int k, const float *A, int rsa, int csa, const float *B,
		int rsb, int csb, float beta, float *C, int ldc)
{
	int i, j, p;

	for (i = 0; i < m; i++)
		for (j = 0; j < n; j++) {
			float s = 0;

			for (p = 0; p < k; p++)
				s += A[(long)i * rsa + (long)p * csa] * B[(long)p * rsb + (long)j * csb];
			C[(long)i * ldc + j] = (beta == 0 ? 0 : beta * C[(long)i * ldc + j]) + s;
		}
}

/* gemm_rows' least share: 128 rows keep the microkernels' 6-row tiles
 * full and pack B (the weights) once per 128 rows of work. */
enum { ROWS_SHARE = 128 };

void gemm_rows(int m, int n, int k, const float *A, int rsa, int csa, const float *B,
	       int rsb, int csb, float beta, float *C, int ldc, const float *bias)
{
	int shares = m / ROWS_SHARE > 1 ? m / ROWS_SHARE : 1, s;

	/* dynamic: a thread that the scheduler holds back takes fewer shares */
#pragma omp parallel for schedule(dynamic) if (shares > 1 && (double)m * n * k > PAR_FMAS)
	for (s = 0; s < shares; s++) {
		long i0 = (long)m * s / shares, i1 = (long)m * (s + 1) / shares;

		gemm1((int)(i1 - i0), n, k, A + i0 * rsa, rsa, csa, B, rsb, csb, beta, C + i0 * ldc,
		      ldc);
		for (long i = i0; bias && i < i1; i++)
#pragma omp simd
			for (int e = 0; e < n; e++)
				C[i * ldc + e] += bias[e];
	}
}

void linear_fwd(float *y, const float *x, const float *w, const float *b, int n, int D, int E)
{
	gemm_rows(n, E, D, x, D, 1, w, E, 1, 0.0f, y, E, b);
}

void linear_bwd(float *dx, float *dw, float *db, const float *dy, const float *x,
		const float *w, int n, int D, int E)
{
	long i;
	int e;

	if (dx)		/* dx (n,D) += dy (n,E) w^T (E,D) */
		gemm_rows(n, D, E, dy, E, 1, w, 1, E, 1.0f, dx, D, NULL);
	/* dw (D,E) += x^T (D,n) dy (n,E) */
	gemm_cols(D, E, n, x, 1, D, dy, E, 1, 1.0f, dw, E);
	if (db)
		for (i = 0; i < n; i++)
			for (e = 0; e < E; e++)
				db[e] += dy[i * E + e];
}

HOT static void elu_fwd_range(float *y, const float *x, long i0, long i1)
{
#pragma omp simd
	for (long i = i0; i < i1; i++)
		y[i] = x[i] > 0 ? x[i] : exp_fast(x[i]) - 1.0f;
}

HOT static void elu_bwd_range(float *dx, const float *dy, const float *x, long i0, long i1)
{
#pragma omp simd
	for (long i = i0; i < i1; i++)
		dx[i] += x[i] > 0 ? dy[i] : dy[i] * exp_fast(x[i]);
}

/* Elementwise work in blocks of 4096, spread over the threads. */
enum { ELEM_BLOCK = 4096 };

void elu_fwd(float *y, const float *x, long n)
{
	long b, nb = (n + ELEM_BLOCK - 1) / ELEM_BLOCK;

#pragma omp parallel for schedule(static) if (n > PAR_VALUES)
	for (b = 0; b < nb; b++)
		elu_fwd_range(y, x, b * ELEM_BLOCK, b + 1 < nb ? (b + 1) * ELEM_BLOCK : n);
}

void elu_bwd(float *dx, const float *dy, const float *x, long n)
{
	long b, nb = (n + ELEM_BLOCK - 1) / ELEM_BLOCK;

#pragma omp parallel for schedule(static) if (n > PAR_VALUES)
	for (b = 0; b < nb; b++)
		elu_bwd_range(dx, dy, x, b * ELEM_BLOCK, b + 1 < nb ? (b + 1) * ELEM_BLOCK : n);
}

/* Rows go in fixed blocks whose partial sums of dg and db are added in
 * block order: the same result for any thread count. */
enum { LN_BLOCK = 256 };

/* The end of a GAT layer, fused per row: y = x + ELU(o), x_out = LayerNorm(y);
 * with add, x_out is added to xo rather than stored.  Inlined, so that add
 * is a constant. */
static inline __attribute__((always_inline)) void
gat_out_row(float *xo, float *y, float *mean, float *rstd, const float *o, const float *x,
	    const float *g, const float *b, int D, const int add)
{
	float s = 0, ss = 0, m, r;
	int d;

#pragma omp simd reduction(+:s)
	for (d = 0; d < D; d++) {
		y[d] = x[d] + (o[d] > 0 ? o[d] : exp_fast(o[d]) - 1.0f);
		s += y[d];
	}
	m = s / D;
#pragma omp simd reduction(+:ss)
	for (d = 0; d < D; d++)
		ss += (y[d] - m) * (y[d] - m);
	r = 1.0f / sqrtf(ss / D + 1e-5f);
#pragma omp simd
	for (d = 0; d < D; d++) {
		float v = (y[d] - m) * r * g[d] + b[d];

		xo[d] = add ? xo[d] + v : v;
	}
	*mean = m;
	*rstd = r;
}

HOT static void gat_out_fwd_row(float *xo, float *y, float *mean, float *rstd, const float *o,
				const float *x, const float *g, const float *b, int D)
{
	gat_out_row(xo, y, mean, rstd, o, x, g, b, D, 0);
}

/* One group of n rows of gat_out_mean_fwd: their outputs summed into xm
 * (D), in row order, then divided by n as mean_fwd does. */
HOT static void gat_out_mean_group(float *xm, float *y, float *mean, float *rstd,
				   const float *o, const float *x, const float *g, const float *b,
				   int n, int D)
{
	float inv = 1.0f / n;
	int d;

	for (d = 0; d < D; d++)
		xm[d] = 0;
	for (int i = 0; i < n; i++)
		gat_out_row(xm, y + (long)i * D, mean + i, rstd + i, o + (long)i * D,
			    x + (long)i * D, g, b, D, 1);
#pragma omp simd
	for (d = 0; d < D; d++)
		xm[d] *= inv;
}

void gat_out_mean_fwd_seq(float *x_mean, float *y, float *mean, float *rstd, const float *o,
			  const float *x, const float *g, const float *b, int groups, int n, int D)
{
	for (long k = 0; k < groups; k++)
		gat_out_mean_group(x_mean + k * D, y + k * n * D, mean + k * n, rstd + k * n,
				   o + k * n * D, x + k * n * D, g, b, n, D);
}

void gat_out_mean_fwd(float *x_mean, float *y, float *mean, float *rstd, const float *o,
		      const float *x, const float *g, const float *b, int groups, int n, int D)
{
	long k;

#pragma omp parallel for schedule(static)
	for (k = 0; k < groups; k++)
		gat_out_mean_group(x_mean + k * D, y + k * n * D, mean + k * n, rstd + k * n,
				   o + k * n * D, x + k * n * D, g, b, n, D);
}

void gat_out_fwd_seq(float *x_out, float *y, float *mean, float *rstd, const float *o,
		     const float *x, const float *g, const float *b, long rows, int D)
{
	for (long i = 0; i < rows; i++)
		gat_out_fwd_row(x_out + i * D, y + i * D, mean + i, rstd + i, o + i * D, x + i * D, g,
				b, D);
}

void gat_out_fwd(float *x_out, float *y, float *mean, float *rstd, const float *o,
		 const float *x, const float *g, const float *b, long rows, int D)
{
	long i;

#pragma omp parallel for schedule(static)
	for (i = 0; i < rows; i++)
		gat_out_fwd_row(x_out + i * D, y + i * D, mean + i, rstd + i, o + i * D, x + i * D, g,
				b, D);
}

/* Rows r0..r1 of the backward, with this block's partial dg and db; row
 * i's output gradient is dxo's row i / share. */
HOT static void gat_out_bwd_rows(float *dx_in, float *do_, float *dg, float *db,
				 const float *dxo, const float *y, const float *o, const float *mean,
				 const float *rstd, const float *g, long r0, long r1, int D,
				 int share)
{
	for (long i = r0; i < r1; i++) {
		const float *yi = y + i * D, *dyi = dxo + i / share * D, *oi = o + i * D;
		float *dxi = dx_in + i * D, *doi = do_ + i * D;
		float m = mean[i], r = rstd[i], sum_dxh = 0, sum_dxh_xh = 0, a, c;
		int d;

#pragma omp simd reduction(+:sum_dxh, sum_dxh_xh)
		for (d = 0; d < D; d++) {
			float xh = (yi[d] - m) * r, dxh = dyi[d] * g[d];

			sum_dxh += dxh;
			sum_dxh_xh += dxh * xh;
			dg[d] += dyi[d] * xh;
			db[d] += dyi[d];
		}
		a = sum_dxh / D;
		c = sum_dxh_xh / D;
#pragma omp simd
		for (d = 0; d < D; d++) {
			float xh = (yi[d] - m) * r, dy = r * (dyi[d] * g[d] - a - xh * c);

			dxi[d] += dy;
			doi[d] = oi[d] > 0 ? dy : dy * exp_fast(oi[d]);
		}
	}
}

size_t gat_out_bwd_work(long rows, int D)
{
	return (size_t)((rows + LN_BLOCK - 1) / LN_BLOCK) * 2 * D;
}

int gat_out_bwd_block(void)
{
	return LN_BLOCK;
}

void gat_out_bwd_part(float *dx_in, float *do_, const float *dx_out, const float *y,
		      const float *o, const float *mean, const float *rstd, const float *g,
		      long r0, long r1, int D, int share, float *work)
{
	/* split at the blocks' ends: each block's rows add to its partial */
	for (long a = r0, e; a < r1; a = e) {
		long b = a / LN_BLOCK;

		e = (b + 1) * LN_BLOCK < r1 ? (b + 1) * LN_BLOCK : r1;
		gat_out_bwd_rows(dx_in, do_, work + b * 2 * D, work + b * 2 * D + D, dx_out, y, o,
				 mean, rstd, g, a, e, D, share);
	}
}

void gat_out_bwd_finish(float *dg, float *db, long rows, int D, const float *work)
{
	long nb = (rows + LN_BLOCK - 1) / LN_BLOCK;

	for (long b = 0; b < nb; b++)
		for (int d = 0; d < D; d++) {
			dg[d] += work[b * 2 * D + d];
			db[d] += work[b * 2 * D + D + d];
		}
}

void gat_out_bwd(float *dx_in, float *do_, float *dg, float *db, const float *dx_out,
		 const float *y, const float *o, const float *mean, const float *rstd,
		 const float *g, long rows, int D, int share, float *work)
{
	long nb = (rows + LN_BLOCK - 1) / LN_BLOCK, b;

	memset(work, 0, sizeof *work * gat_out_bwd_work(rows, D));
#pragma omp parallel for schedule(static)
	for (b = 0; b < nb; b++)
		gat_out_bwd_part(dx_in, do_, dx_out, y, o, mean, rstd, g, b * LN_BLOCK,
				 b + 1 < nb ? (b + 1) * LN_BLOCK : rows, D, share, work);
	gat_out_bwd_finish(dg, db, rows, D, work);
}

/* The column lists of nb's pairs (tstart, tidx, tpos), from its row lists. */
static void nbrs_transpose(struct gat_nbrs *nb)
{
	int n = nb->n, i, j, p;

	for (j = 0; j <= n; j++)
		nb->tstart[j] = 0;
	for (p = 0; p < nb->nnz; p++)
		nb->tstart[nb->idx[p] + 1]++;
	for (j = 0; j < n; j++)
		nb->tstart[j + 1] += nb->tstart[j];
	for (i = 0; i < n; i++)		/* rows in order: each column's list is in row order */
		for (p = nb->start[i]; p < nb->start[i + 1]; p++) {
			int q = nb->tstart[nb->idx[p]]++;

			nb->tidx[q] = i;
			nb->tpos[q] = p;
		}
	for (j = n; j > 0; j--)		/* the counters ran to the next column's start */
		nb->tstart[j] = nb->tstart[j - 1];
	nb->tstart[0] = 0;
}

int gat_nbrs_init(struct gat_nbrs *nb, const uint8_t *mask, int n)
{
	int i, j, k = 0, nnz = 0;

	memset(nb, 0, sizeof *nb);
	for (long p = 0; p < (long)n * n; p++)
		nnz += mask[p] != 0;
	nb->start = malloc(sizeof(int) * ((size_t)n + 1));
	nb->idx = malloc(sizeof(int) * ((size_t)nnz + 1));
	nb->tstart = malloc(sizeof(int) * ((size_t)n + 1));
	nb->tidx = malloc(sizeof(int) * ((size_t)nnz + 1));
	nb->tpos = malloc(sizeof(int) * ((size_t)nnz + 1));
	if (!nb->start || !nb->idx || !nb->tstart || !nb->tidx || !nb->tpos) {
		gat_nbrs_free(nb);
		return ARPG_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		nb->start[i] = k;
		for (j = 0; j < n; j++)
			if (mask[i * n + j])
				nb->idx[k++] = j;
	}
	nb->start[n] = k;
	nb->n = n;
	nb->nnz = k;
	nbrs_transpose(nb);
	return 0;
}

void gat_nbrs_free(struct gat_nbrs *nb)
{
	free(nb->start);
	free(nb->idx);
	free(nb->tstart);
	free(nb->tidx);
	free(nb->tpos);
	memset(nb, 0, sizeof *nb);
}

/* The per-graph part of the backward's work: dalpha, the gradients of a
 * row's weights (at most n per head).
 * It follows the score gradients (graphs x n x H x 2). */
static size_t graph_work(int n, int H)
{
	return (size_t)n * H;
}

size_t gat_attn_work(int graphs, int n, int H)
{
	return (size_t)graphs * ((size_t)n * H * 2 + graph_work(n, H));
}

/* Sixteen floats as one value (a register, or two or four in the clones
 * without AVX-512): sums the compiler keeps in registers. */
typedef float v16 __attribute__((vector_size(64)));

/* oi (dh) = sum_p a[p] zh[idx[p]] over the cnt neighbours, p in order,
 * with zh the head's columns of the graph's rows (row stride D); with pos
 * not NULL the weights are a[pos[p]]; with add, oi += the sum.  The sums
 * of 32 columns are kept in two vector values rather than in oi or an
 * array: accumulating in oi made every neighbour a store and a reload of
 * the row (oi may alias zh), and an array of 32 was kept half in memory,
 * a store and a reload per neighbour again (memcpy moves them: a
 * function taking or returning one would change with the clone's ABI).
 * Inlined, so that pos and add
 * are constants. */
static inline __attribute__((always_inline)) void
attn_mix(float *oi, const float *a, const int *pos, const int *idx, int cnt, const float *zh,
	 int D, int dh, const int add)
{
	int k0 = 0, k;

	for (; k0 + 32 <= dh; k0 += 32) {
		v16 acc0 = { 0 }, acc1 = { 0 };

		for (int p = 0; p < cnt; p++) {
			const float *zj = zh + (long)idx[p] * D + k0;
			float ap = a[pos ? pos[p] : p];
			v16 z0, z1;

			memcpy(&z0, zj, sizeof z0);
			memcpy(&z1, zj + 16, sizeof z1);
			acc0 += ap * z0;
			acc1 += ap * z1;
		}
		if (add) {
			v16 o0, o1;

			memcpy(&o0, oi + k0, sizeof o0);
			memcpy(&o1, oi + k0 + 16, sizeof o1);
			acc0 = o0 + acc0;
			acc1 = o1 + acc1;
		}
		memcpy(oi + k0, &acc0, sizeof acc0);
		memcpy(oi + k0 + 16, &acc1, sizeof acc1);
	}
	for (k = k0; k < dh; k++) {
		float s = 0;

		for (int p = 0; p < cnt; p++)
			s += a[pos ? pos[p] : p] * zh[(long)idx[p] * D + k];
		oi[k] = add ? oi[k] + s : s;
	}
}

/* x . y over dh floats: 16 partial sums, added as a tree.  The compiler's
 * own reduction added the lanes one after another, a chain of 16 adds per
 * call, which was a quarter of attention's backward. */
static inline __attribute__((always_inline)) float dot_dh(const float *x, const float *y, int dh)
{
	float acc[16] = { 0 }, s;
	int k0 = 0, k;

	for (; k0 + 16 <= dh; k0 += 16)
#pragma omp simd
		for (k = 0; k < 16; k++)
			acc[k] += x[k0 + k] * y[k0 + k];
	for (k = 0; k < 8; k++)
		acc[k] += acc[k + 8];
	for (k = 0; k < 4; k++)
		acc[k] += acc[k + 4];
	s = (acc[0] + acc[2]) + (acc[1] + acc[3]);
	for (k = k0; k < dh; k++)
		s += x[k] * y[k];
	return s;
}

/* s[h] = x_h . y_h for four heads h of dh floats each (x_h = x + h dh,
 * likewise y), dh a multiple of 16: dot_dh's sums in dot_dh's order, the
 * same bits, but the four heads' last additions done side by side in
 * vectors rather than each head's lane by lane (those were a third of
 * attention's backward). */
static inline __attribute__((always_inline)) void dot_dh4(float *s, const float *x,
							  const float *y, int dh)
{
	v16 a0 = { 0 }, a1 = { 0 }, a2 = { 0 }, a3 = { 0 }, b01, b23, c, d, e;

	/* the heads' FMAs interleaved, four chains rather than one, in
	 * four named values (an array of them was kept in memory) */
	for (int k0 = 0; k0 < dh; k0 += 16) {
		v16 x0, x1, x2, x3, y0, y1, y2, y3;

		memcpy(&x0, x + k0, sizeof x0);
		memcpy(&x1, x + dh + k0, sizeof x1);
		memcpy(&x2, x + 2 * dh + k0, sizeof x2);
		memcpy(&x3, x + 3 * dh + k0, sizeof x3);
		memcpy(&y0, y + k0, sizeof y0);
		memcpy(&y1, y + dh + k0, sizeof y1);
		memcpy(&y2, y + 2 * dh + k0, sizeof y2);
		memcpy(&y3, y + 3 * dh + k0, sizeof y3);
		a0 += x0 * y0;
		a1 += x1 * y1;
		a2 += x2 * y2;
		a3 += x3 * y3;
	}
	/* lanes k + 8: heads 0 and 1 in b01's halves, 2 and 3 in b23's */
	b01 = __builtin_shufflevector(a0, a1, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21,
				      22, 23) +
	      __builtin_shufflevector(a0, a1, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27,
				      28, 29, 30, 31);
	b23 = __builtin_shufflevector(a2, a3, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21,
				      22, 23) +
	      __builtin_shufflevector(a2, a3, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27,
				      28, 29, 30, 31);
	/* lanes k + 4: head h in lanes 4h..4h+3 */
	c = __builtin_shufflevector(b01, b23, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25,
				    26, 27) +
	    __builtin_shufflevector(b01, b23, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29,
				    30, 31);
	/* (lane 0 + lane 2) + (lane 1 + lane 3) */
	d = c + __builtin_shufflevector(c, c, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
	e = d + __builtin_shufflevector(d, d, 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14);
	for (int h = 0; h < 4; h++)
		s[h] = e[4 * h];
}

/* s_dst[i,h] = a_dst[h] . z[i,h] and s_src likewise, for the n rows of a
 * graph: four heads at a time by dot_dh4 (its last additions in vectors;
 * each head's own, lane by lane, were most of the time here). */
HOT static void attn_scores(float *sd, float *ss, const float *zg, const float *a_src,
			    const float *a_dst, int n, int D, int H)
{
	int dh = D / H;

	for (int i = 0; i < n; i++) {
		const float *zi = zg + (long)i * D;
		int h = 0;

		for (; dh % 16 == 0 && h + 4 <= H; h += 4) {
			dot_dh4(sd + i * H + h, a_dst + h * dh, zi + h * dh, dh);
			dot_dh4(ss + i * H + h, a_src + h * dh, zi + h * dh, dh);
		}
		for (; h < H; h++) {
			sd[i * H + h] = dot_dh(a_dst + h * dh, zi + h * dh, dh);
			ss[i * H + h] = dot_dh(a_src + h * dh, zi + h * dh, dh);
		}
	}
}

/* One graph: att (H, nnz: the weights of the joined pairs in mask order)
 * and o (n, D).  sd, ss: n*H scratch.  With masked, kg (n) drops nodes:
 * a pair (i, j) with j dropped and j != i gets weight 0.  Inlined twice, so
 * that the graphs without dropped nodes run the loop without the test. */
static inline __attribute__((always_inline)) void
attn_graph_fwd_impl(float *og, float *ag, const float *zg, const float *a_src,
		    const float *a_dst, const struct gat_nbrs *nb, int n, int D, int H,
		    float *sd, float *ss, const uint8_t *kg, const int masked)
{
	int dh = D / H, nnz = nb->start[n];

	attn_scores(sd, ss, zg, a_src, a_dst, n, D, H);
	/* the scores less their row's maximum, then their exponentials in
	 * one flat loop over all the heads' pairs, which vectorises: row by
	 * row it ran on a few pairs at a time, scalar, and the LeakyReLU's
	 * and the clamp's branches were mispredicted half the time */
	for (int h = 0; h < H; h++)
		for (int i = 0; i < n; i++) {
			int p, p0 = nb->start[i], p1 = nb->start[i + 1];
			float mx = -INFINITY, s = sd[i * H + h], *ah = ag + (long)h * nnz;

			for (p = p0; p < p1; p++) {
				float e = s + ss[nb->idx[p] * H + h], f = 0.2f * e;

				e = e > f ? e : f;	/* LeakyReLU 0.2 as a max: no branch */
				if (masked && nb->idx[p] != i && !kg[nb->idx[p]]) {
					ah[p] = -INFINITY;
					continue;
				}
				ah[p] = e;
				mx = e > mx ? e : mx;
			}
			for (p = p0; p < p1; p++)
				ah[p] -= mx;
		}
#pragma omp simd
	for (int p = 0; p < H * nnz; p++)
		ag[p] = masked && ag[p] == -INFINITY ? 0.0f : exp_fast(ag[p]);
	/* row by row with all heads: the row's neighbours' z read once,
	 * fetched into L1 a few rows ahead */
	for (int i = 0; i < n; i++) {
		if (i + 8 < n)
			for (int k = 0; k < D; k += 16)
				__builtin_prefetch(zg + (long)(i + 8) * D + k);
		for (int h = 0; h < H; h++) {
			int p, p0 = nb->start[i], p1 = nb->start[i + 1];
			float sum = 0, inv, *ah = ag + (long)h * nnz;

			for (p = p0; p < p1; p++)
				sum += ah[p];
			inv = 1.0f / sum;
			for (p = p0; p < p1; p++)
				ah[p] *= inv;
			attn_mix(og + (long)i * D + h * dh, ah + p0, NULL, nb->idx + p0, p1 - p0,
				 zg + h * dh, D, dh, 0);
		}
	}
}

HOT static void attn_graph_fwd(float *og, float *ag, const float *zg, const float *a_src,
			       const float *a_dst, const struct gat_nbrs *nb, int n, int D, int H,
			       float *sd, float *ss)
{
	attn_graph_fwd_impl(og, ag, zg, a_src, a_dst, nb, n, D, H, sd, ss, NULL, 0);
}

HOT static void attn_graph_fwd_masked(float *og, float *ag, const float *zg,
				      const float *a_src, const float *a_dst,
				      const struct gat_nbrs *nb, int n, int D, int H, float *sd,
				      float *ss, const uint8_t *kg)
{
	attn_graph_fwd_impl(og, ag, zg, a_src, a_dst, nb, n, D, H, sd, ss, kg, 1);
}

/* 1 when the graph's n nodes are all kept (kg NULL: all are). */
static int all_kept(const uint8_t *kg, int n)
{
	if (kg)
		for (int i = 0; i < n; i++)
			if (!kg[i])
				return 0;
	return 1;
}

/* Graph g of gat_attn_fwd. */
static void attn_fwd_one(float *o, float *att, float *sc, const float *z, const float *a_src,
			 const float *a_dst, const struct gat_nbrs *nb, const uint8_t *keep,
			 long g, int D, int H)
{
	int n = nb->n;
	float *sd = sc + g * n * H * 2, *ss = sd + n * H;
	const uint8_t *kg = keep ? keep + g * n : NULL;

	if (all_kept(kg, n))
		attn_graph_fwd(o + g * n * D, att + g * H * (long)nb->nnz, z + g * n * D, a_src,
			       a_dst, nb, n, D, H, sd, ss);
	else
		attn_graph_fwd_masked(o + g * n * D, att + g * H * (long)nb->nnz, z + g * n * D,
				      a_src, a_dst, nb, n, D, H, sd, ss, kg);
}

void gat_attn_fwd_seq(float *o, float *att, float *sc, const float *z, const float *a_src,
		      const float *a_dst, const struct gat_nbrs *nb, const uint8_t *keep,
		      int graphs, int D, int H)
{
	for (long g = 0; g < graphs; g++)
		attn_fwd_one(o, att, sc, z, a_src, a_dst, nb, keep, g, D, H);
}

void gat_attn_fwd(float *o, float *att, float *sc, const float *z, const float *a_src,
		  const float *a_dst, const struct gat_nbrs *nb, const uint8_t *keep, int graphs,
		  int D, int H)
{
	long g;

#pragma omp parallel for schedule(static)
	for (g = 0; g < graphs; g++)
		attn_fwd_one(o, att, sc, z, a_src, a_dst, nb, keep, g, D, H);
}

/* One graph's backward: dz += ..., and dsg (n, H, 2) = the gradients of
 * s_dst and s_src, from the forward's scores sd, ss (n*H each).  Scratch:
 * dalpha (graph_work).  Row by row with all heads at once, then column by
 * column: a row's do and its neighbours' z are read once for all heads,
 * and a head's dots are independent of the next's (head by head over all
 * rows, one dot's chain of FMAs after another was half of the time).  The
 * sums run in the order they did head by head: the same bits. */
HOT static void attn_graph_bwd(float *dzg, float *dsg, const float *dog, const float *zg,
			       const float *ag, const float *a_src, const float *a_dst,
			       const struct gat_nbrs *nb, int n, int D, int H, const float *sd,
			       const float *ss, float *dalpha)
{
	/* LeakyReLU's slope, by a load rather than a branch that the
	 * scores' signs defeated */
	static const float slope[2] = { 0.2f, 1.0f };
	int dh = D / H, nnz = nb->start[n];

	for (int j = 0; j < n * H; j++)
		dsg[j * 2 + 1] = 0;
	for (int i = 0; i < n; i++) {
		int p, p0 = nb->start[i], p1 = nb->start[i + 1], c = p1 - p0;
		const float *doi = dog + (long)i * D;

		/* z comes from the forward, out of the caches by now: fetch
		 * the row a few rows ahead, which the next rows' pairs read */
		if (i + 8 < n)
			for (int k = 0; k < D; k += 16)
				__builtin_prefetch(zg + (long)(i + 8) * D + k);
		for (p = p0; p < p1; p++) {
			const float *zj = zg + (long)nb->idx[p] * D;
			int h = 0;

			for (; dh % 16 == 0 && h + 4 <= H; h += 4) {
				float s4[4];

				dot_dh4(s4, doi + h * dh, zj + h * dh, dh);
				for (int k = 0; k < 4; k++)
					dalpha[(h + k) * c + p - p0] = s4[k];
			}
			for (; h < H; h++)
				dalpha[h * c + p - p0] = dot_dh(doi + h * dh, zj + h * dh, dh);
		}
		for (int h = 0; h < H; h++) {
			const float *ai = ag + (long)h * nnz + p0, *dai = dalpha + h * c;
			float dot = 0, rowsum = 0;

			for (p = 0; p < c; p++)
				dot += ai[p] * dai[p];
			for (p = 0; p < c; p++) {
				int j = nb->idx[p0 + p];
				float de = ai[p] * (dai[p] - dot), pre = sd[i * H + h] + ss[j * H + h];

				de *= slope[pre > 0];
				rowsum += de;
				dsg[(j * H + h) * 2 + 1] += de;
			}
			dsg[(i * H + h) * 2] = rowsum;
		}
	}
	/* dz[j] += sum_i alpha_ij do[i], gathered by column (a scatter into
	 * dz[j] from every row was a store and reload per pair), then the
	 * gradient through the scores */
	for (int j = 0; j < n; j++)
		for (int h = 0; h < H; h++) {
			int q0 = nb->tstart[j];
			float *dzj = dzg + (long)j * D + h * dh;
			const float *ad = a_dst + h * dh, *as = a_src + h * dh;
			float a = dsg[(j * H + h) * 2], b = dsg[(j * H + h) * 2 + 1];

			attn_mix(dzj, ag + (long)h * nnz, nb->tpos + q0, nb->tidx + q0,
				 nb->tstart[j + 1] - q0, dog + h * dh, D, dh, 1);
#pragma omp simd
			for (int k = 0; k < dh; k++)
				dzj[k] += a * ad[k] + b * as[k];
		}
}

/* da_dst[h] += sum_r ds_dst[r,h] z[r,h], likewise da_src, for head h:
 * rows in order, so the same for any thread count.  Columns in blocks of
 * 64, whose sums stay in eight vector values over the rows (in da_dst and
 * da_src, which may alias z for all the compiler knows, every row was a
 * store and a reload); the same FMAs in the same order. */
HOT static void attn_param_grads(float *da_src, float *da_dst, const float *ds, const float *z,
				 long rows, int D, int H, int h)
{
	int dh = D / H, k0 = 0;
	float *dd = da_dst + h * dh, *dsr = da_src + h * dh;

	for (; k0 + 64 <= dh; k0 += 64) {
		v16 d0, d1, d2, d3, s0, s1, s2, s3;

		memcpy(&d0, dd + k0, sizeof d0);
		memcpy(&d1, dd + k0 + 16, sizeof d1);
		memcpy(&d2, dd + k0 + 32, sizeof d2);
		memcpy(&d3, dd + k0 + 48, sizeof d3);
		memcpy(&s0, dsr + k0, sizeof s0);
		memcpy(&s1, dsr + k0 + 16, sizeof s1);
		memcpy(&s2, dsr + k0 + 32, sizeof s2);
		memcpy(&s3, dsr + k0 + 48, sizeof s3);
		for (long r = 0; r < rows; r++) {
			const float *zr = z + r * D + h * dh + k0;
			float a = ds[(r * H + h) * 2], b = ds[(r * H + h) * 2 + 1];
			v16 z0, z1, z2, z3;

			memcpy(&z0, zr, sizeof z0);
			memcpy(&z1, zr + 16, sizeof z1);
			memcpy(&z2, zr + 32, sizeof z2);
			memcpy(&z3, zr + 48, sizeof z3);
			d0 += a * z0;
			d1 += a * z1;
			d2 += a * z2;
			d3 += a * z3;
			s0 += b * z0;
			s1 += b * z1;
			s2 += b * z2;
			s3 += b * z3;
		}
		memcpy(dd + k0, &d0, sizeof d0);
		memcpy(dd + k0 + 16, &d1, sizeof d1);
		memcpy(dd + k0 + 32, &d2, sizeof d2);
		memcpy(dd + k0 + 48, &d3, sizeof d3);
		memcpy(dsr + k0, &s0, sizeof s0);
		memcpy(dsr + k0 + 16, &s1, sizeof s1);
		memcpy(dsr + k0 + 32, &s2, sizeof s2);
		memcpy(dsr + k0 + 48, &s3, sizeof s3);
	}
	for (long r = 0; k0 < dh && r < rows; r++) {
		const float *zr = z + r * D + h * dh;
		float a = ds[(r * H + h) * 2], b = ds[(r * H + h) * 2 + 1];

#pragma omp simd
		for (int k = k0; k < dh; k++) {
			dd[k] += a * zr[k];
			dsr[k] += b * zr[k];
		}
	}
}

void gat_attn_bwd_graphs(float *dz, const float *do_, const float *z, const float *att,
			 const float *sc, const float *a_src, const float *a_dst,
			 const struct gat_nbrs *nb, long g0, long g1, int graphs, int D, int H,
			 float *work)
{
	int n = nb->n;
	float *ds = work, *gw = work + (size_t)graphs * n * H * 2;

	for (long g = g0; g < g1; g++) {
		const float *sd = sc + g * n * H * 2, *ss = sd + n * H;
		float *dalpha = gw + g * graph_work(n, H);

		attn_graph_bwd(dz + g * n * D, ds + g * n * H * 2, do_ + g * n * D, z + g * n * D,
			       att + g * H * (long)nb->nnz, a_src, a_dst, nb, n, D, H, sd, ss,
			       dalpha);
	}
}

void gat_attn_bwd_params_rows(float *da_src, float *da_dst, const float *z, long g0, long g1,
			      int n, int D, int H, const float *work)
{
	long r0 = g0 * n;

	for (int h = 0; h < H; h++)
		attn_param_grads(da_src, da_dst, work + r0 * H * 2, z + r0 * D, (g1 - g0) * n, D, H,
				 h);
}

void gat_attn_bwd_params(float *da_src, float *da_dst, const float *z, int graphs, int n, int D,
			 int H, const float *work)
{
	int h;

	/* by head: a head's sums are one thread's, in row order */
#pragma omp parallel for schedule(static)
	for (h = 0; h < H; h++)
		attn_param_grads(da_src, da_dst, work, z, (long)graphs * n, D, H, h);
}

void gat_attn_bwd(float *dz, float *da_src, float *da_dst, const float *do_,
		  const float *z, const float *att, const float *sc, const float *a_src,
		  const float *a_dst, const struct gat_nbrs *nb, int graphs, int D, int H,
		  float *work)
{
	long g;

#pragma omp parallel for schedule(static)
	for (g = 0; g < graphs; g++)
		gat_attn_bwd_graphs(dz, do_, z, att, sc, a_src, a_dst, nb, g, g + 1, graphs, D, H,
				    work);
	gat_attn_bwd_params(da_src, da_dst, z, graphs, nb->n, D, H, work);
}

HOT static void mean_group(float *y, const float *x, int n, int D)
{
	float inv = 1.0f / n;
	int i, d;

	for (d = 0; d < D; d++)
		y[d] = 0;
	for (i = 0; i < n; i++) {
		const float *xi = x + (long)i * D;

#pragma omp simd
		for (d = 0; d < D; d++)
			y[d] += xi[d];
	}
#pragma omp simd
	for (d = 0; d < D; d++)
		y[d] *= inv;
}

void mean_fwd(float *y, const float *x, int groups, int n, int D)
{
	long g;

#pragma omp parallel for schedule(static) if ((long)groups * n * D > PAR_VALUES)
	for (g = 0; g < groups; g++)
		mean_group(y + g * D, x + g * n * D, n, D);
}

void mean_bwd(float *dx, const float *dy, int groups, int n, int D)
{
	long g;

#pragma omp parallel for schedule(static) if ((long)groups * n * D > PAR_VALUES)
	for (g = 0; g < groups; g++) {
		int i, d;

		for (i = 0; i < n; i++)
			for (d = 0; d < D; d++)
				dx[(g * n + i) * D + d] += dy[g * D + d] / n;
	}
}

void mean_keep_fwd(float *y, const float *x, const uint8_t *keep, int groups, int n, int D)
{
	long g;

#pragma omp parallel for schedule(static) if ((long)groups * n * D > PAR_VALUES)
	for (g = 0; g < groups; g++) {
		const uint8_t *kg = keep + g * n;
		int i, d, kept = 0;

		for (d = 0; d < D; d++)
			y[g * D + d] = 0;
		for (i = 0; i < n; i++)
			if (kg[i]) {
				kept++;
				for (d = 0; d < D; d++)
					y[g * D + d] += x[(g * n + i) * D + d];
			}
		for (d = 0; kept && d < D; d++)
			y[g * D + d] /= kept;
	}
}

void mean_keep_bwd(float *dx, const float *dy, const uint8_t *keep, int groups, int n, int D)
{
	long g;

#pragma omp parallel for schedule(static) if ((long)groups * n * D > PAR_VALUES)
	for (g = 0; g < groups; g++) {
		const uint8_t *kg = keep + g * n;
		int i, d, kept = 0;

		for (i = 0; i < n; i++)
			kept += kg[i] != 0;
		for (i = 0; i < n; i++)
			if (kg[i])
				for (d = 0; d < D; d++)
					dx[(g * n + i) * D + d] += dy[g * D + d] / kept;
	}
}

/* sum_b w[y_b]: the weight of the labels, the loss's denominator */
static double label_weight(const int *labels, const struct xent_opts *o, int B)
{
	double z = 0;

	for (int b = 0; b < B; b++)
		if (labels[b] >= 0)
			z += o->w ? o->w[labels[b]] : 1.0;
	return z;
}

double xent_fwd(float *probs, const float *logits, const int *labels,
		const struct xent_opts *o, int B, int C)
{
	double loss = 0, eps = o ? o->smoothing : 0, z;
	int b, c, n = 0;

	for (b = 0; b < B; b++) {
		const float *l = logits + (long)b * C;
		float *p = probs + (long)b * C, mx = l[0];
		double sum = 0, lse;

		for (c = 1; c < C; c++)
			if (l[c] > mx)
				mx = l[c];
		for (c = 0; c < C; c++)
			sum += exp((double)l[c] - mx);
		for (c = 0; c < C; c++)
			p[c] = (float)(exp((double)l[c] - mx) / sum);
		if (!labels || labels[b] < 0)
			continue;
		n++;
		if (!o) {
			loss += -((double)l[labels[b]] - mx - log(sum));
			continue;
		}
		/* (1 - eps) w[y] (-log p_y) + eps / C sum_c w[c] (-log p_c) */
		lse = mx + log(sum);
		loss += (1 - eps) * (o->w ? o->w[labels[b]] : 1.0) * (lse - l[labels[b]]);
		if (eps > 0) {
			double s = 0;

			for (c = 0; c < C; c++)
				s += (o->w ? o->w[c] : 1.0) * (lse - l[c]);
			loss += eps / C * s;
		}
	}
	if (!labels)
		return 0;
	if (!o)
		return n ? loss / n : 0;
	z = label_weight(labels, o, B);
	return z > 0 ? loss / z : 0;
}

void xent_bwd(float *dlogits, const float *probs, const int *labels, const struct xent_opts *o,
	      float scale, int B, int C)
{
	double z, wsum = 0, eps;
	int b, c, n = 0;

	if (!o) {
		for (b = 0; b < B; b++)
			n += labels[b] >= 0;
		for (b = 0; b < B; b++)
			for (c = 0; c < C && labels[b] >= 0; c++)
				dlogits[(long)b * C + c] += scale *
					((probs[(long)b * C + c] - (c == labels[b] ? 1.0f : 0.0f)) / n);
		return;
	}
	if ((z = label_weight(labels, o, B)) <= 0)
		return;
	eps = o->smoothing;
	for (c = 0; c < C; c++)
		wsum += o->w ? o->w[c] : 1.0;
	/* d/dl_bk = ((1 - eps) w[y] (p_k - [k = y]) + eps / C (W p_k - w[k])) / z */
	for (b = 0; b < B; b++) {
		double wy;

		if (labels[b] < 0)
			continue;
		wy = o->w ? o->w[labels[b]] : 1.0;

		for (c = 0; c < C; c++) {
			double p = probs[(long)b * C + c], wc = o->w ? o->w[c] : 1.0;
			double g = (1 - eps) * wy * (p - (c == labels[b])) + eps / C * (wsum * p - wc);

			dlogits[(long)b * C + c] += (float)(scale * g / z);
		}
	}
}

void dropout_fwd(float *y, float *keep, const float *x, long n, float p, uint64_t *rng)
{
	float scale = 1.0f / (1.0f - p);
	long i;

	for (i = 0; i < n; i++) {
		keep[i] = rng_uniform(rng) < p ? 0.0f : scale;
		y[i] = x[i] * keep[i];
	}
}

void dropout_bwd(float *dx, const float *dy, const float *keep, long n)
{
	long i;

	for (i = 0; i < n; i++)
		dx[i] += dy[i] * keep[i];
}

void posenc(float *pe, int T, int D)
{
	int t, i;

	for (t = 0; t < T; t++)
		for (i = 0; i < D; i += 2) {
			double f = t / pow(10000.0, (double)i / D);

			pe[t * D + i] = (float)sin(f);
			if (i + 1 < D)
				pe[t * D + i + 1] = (float)cos(f);
		}
}

uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

double rng_uniform(uint64_t *s)
{
	return (rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

double rng_normal(uint64_t *s)
{
	double u = rng_uniform(s), v = rng_uniform(s);

	return sqrt(-2.0 * log(1.0 - u)) * cos(2 * M_PI * v);
}

/* Gamma(k, 1), k > 0: Marsaglia and Tsang (2000). */
static double rng_gamma(uint64_t *s, double k)
{
	double d, c;

	if (k < 1)
		return rng_gamma(s, k + 1) * pow(1.0 - rng_uniform(s), 1.0 / k);
	d = k - 1.0 / 3;
	c = 1 / sqrt(9 * d);
	for (;;) {
		double x = rng_normal(s), v = 1 + c * x, u;

		if (v <= 0)
			continue;
		v = v * v * v;
		u = rng_uniform(s);
		if (u < 1 - 0.0331 * x * x * x * x || log(u) < 0.5 * x * x + d * (1 - v + log(v)))
			return d * v;
	}
}

double rng_beta(uint64_t *s, double a, double b)
{
	double x = rng_gamma(s, a), y = rng_gamma(s, b);

	return x + y > 0 ? x / (x + y) : 0.5;
}
