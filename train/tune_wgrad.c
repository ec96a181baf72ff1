/* tune_wgrad.c - a 3x3 convolution's weight gradient by Winograd (see
 * tune_wgrad.h).  The matrices are onnx_wino.c's (G from onnx_wino.h;
 * Bt and At written out below), so that the gradient is the adjoint of
 * the forward the trainer runs.
 * Measured on bench/tune.sh's epoch (iresnet50, 512 frames, -j 1), the
 * five convolutions' weight gradients took about 7.5 s of CPU by im2col,
 * 6.2 s by this with the transforms in scalar loops (3 s of it the
 * transforms); with the transforms in vector lanes the epoch took 2.9 s
 * less again. */
#include "tune_wgrad.h"
#include "layers.h"
#include "onnx/onnx_wino.h"

#include <string.h>

/* The transforms run on 16 samples at once, a sample per vector lane, so
 * that a tile's (m+2)^2 entries are stored as whole vectors: the tiles are
 * numbered tile by tile, a tile's samples contiguous (the GEMMs sum over
 * them in any order).  Scalar, with an entry's stores spread over the
 * rows, the transforms cost as much as the GEMMs. */
typedef float v16f __attribute__((vector_size(64)));
#define LANES 16

/* The transforms are HOT (layers.h): a v16f is four SSE registers in the
 * plain build. */

/* o = Bt v: a = m + 2 vectors v[0], v[vs], ... to o[0], o[os], ...;
 * written out, the matrices being mostly zeros and small integers.
 * (Pointers, not vectors, are passed: without AVX-512 a vector argument
 * changes the ABI, which GCC warns of.) */
static inline void bt(int m, v16f *o, int os, const v16f *v, int vs)
{
	v16f v0 = v[0], v1 = v[vs], v2 = v[2 * vs], v3 = v[3 * vs], v4, v5;

	if (m == 2) {
		o[0] = v0 - v2, o[os] = v1 + v2, o[2 * os] = v2 - v1, o[3 * os] = v1 - v3;
		return;
	}
	v4 = v[4 * vs], v5 = v[5 * vs];
	o[0] = 4 * v0 - 5 * v2 + v4;
	o[os] = v3 + v4 - 4 * (v1 + v2);
	o[2 * os] = 4 * (v1 - v2) + v4 - v3;
	o[3 * os] = 2 * (v3 - v1) + v4 - v2;
	o[4 * os] = 2 * (v1 - v3) + v4 - v2;
	o[5 * os] = 4 * v1 - 5 * v3 + v5;
}

/* o = A g (A = At transposed, a x m): m vectors g to a vectors o */
static inline void a_of(int m, v16f *o, int os, const v16f *g, int gs)
{
	v16f g0 = g[0], g1 = g[gs], g2, g3;

	if (m == 2) {
		o[0] = g0, o[os] = g0 + g1, o[2 * os] = g0 - g1, o[3 * os] = -g1;
		return;
	}
	g2 = g[2 * gs], g3 = g[3 * gs];
	o[0] = g0;
	o[os] = g0 + g1 + g2 + g3;
	o[2 * os] = g0 - g1 + g2 - g3;
	o[3 * os] = g0 + 2 * g1 + 4 * g2 + 8 * g3;
	o[4 * os] = g0 - 2 * g1 + 4 * g2 - 8 * g3;
	o[5 * os] = g3;
}

/* The value at (y, x) of nl planes ps apart (zero outside h x w and in
 * the lanes past nl) */
static inline void gather(v16f *d, const float *p, size_t ps, int nl, int y, int x, int h, int w)
{
	*d = (v16f){ 0 };
	if (y < 0 || y >= h || x < 0 || x >= w)
		return;
	for (int l = 0; l < nl; l++)
		(*d)[l] = p[l * ps + (size_t)y * w + x];
}

/* Stores the a x a entries e of a tile (its nl samples) at V[xi * xs] */
static inline void put(float *V, size_t xs, v16f (*e)[6], int a, int nl)
{
	for (int i = 0; i < a; i++)
		for (int j = 0; j < a; j++)	/* whole vectors inline, not memcpy calls */
			if (nl == LANES)
				memcpy(V + (size_t)(i * a + j) * xs, &e[i][j], sizeof e[i][j]);
			else
				memcpy(V + (size_t)(i * a + j) * xs, &e[i][j], sizeof(float) * (size_t)nl);
}

struct wmat {
	int m, a;
	float g[6][3];		/* a x 3: G rounded to float, as filter_grad
				 * multiplies it */
};

static struct wmat wmat(int m)
{
	const double (*G)[3] = m == 4 ? arpg_wino_G4 : arpg_wino_G2;
	struct wmat k = { m, m + 2, { { 0 } } };

	for (int i = 0; i < k.a; i++)
		for (int j = 0; j < 3; j++)
			k.g[i][j] = (float)G[i][j];
	return k;
}

static int tiles_per(int h, int w, int m) { return ((h + m - 1) / m) * ((w + m - 1) / m); }

size_t wgrad_sample_floats(int c, int h, int w, int cout, int m)
{
	return (size_t)(m + 2) * (m + 2) * tiles_per(h, w, m) * ((size_t)c + cout);
}

size_t wgrad_fixed_floats(int c, int cout, int m) { return (size_t)(m + 2) * (m + 2) * c * cout; }

/* V[xi * xs + tile * ns] of nl planes p, ps apart (one channel of nl
 * samples; ns samples in all): Bt d B of each tile's a x a patch, zero
 * outside the map (the padding). */
HOT static void input_tiles(float *V, size_t xs, int ns, const float *p, size_t ps, int nl, int h,
			int w, int m)
{
	int a = m + 2, TW = (w + m - 1) / m, TH = (h + m - 1) / m;

	for (int ty = 0; ty < TH; ty++)
		for (int tx = 0; tx < TW; tx++) {
			v16f d[6][6], r[6][6], e[6][6];

			for (int i = 0; i < a; i++)
				for (int j = 0; j < a; j++)
					gather(&d[i][j], p, ps, nl, m * ty - 1 + i, m * tx - 1 + j, h, w);
			for (int j = 0; j < a; j++)	/* r = Bt d, column by column */
				bt(m, &r[0][j], 6, &d[0][j], 6);
			for (int i = 0; i < a; i++)	/* e = r B, row by row */
				bt(m, e[i], 1, r[i], 1);
			put(V + (size_t)(ty * TW + tx) * ns, xs, e, a, nl);
		}
}

/* D[xi * xs + tile * ns] of nl gradient planes p, ps apart: A g At of
 * each tile's m x m outputs, zero beyond the map (a partial tile's
 * outputs that do not exist). */
HOT static void grad_tiles(float *D, size_t xs, int ns, const float *p, size_t ps, int nl, int h,
		       int w, int m)
{
	int a = m + 2, TW = (w + m - 1) / m, TH = (h + m - 1) / m;

	for (int ty = 0; ty < TH; ty++)
		for (int tx = 0; tx < TW; tx++) {
			v16f g[4][4], r[6][4], e[6][6];

			for (int i = 0; i < m; i++)
				for (int j = 0; j < m; j++)
					gather(&g[i][j], p, ps, nl, m * ty + i, m * tx + j, h, w);
			for (int j = 0; j < m; j++)	/* r = A g, column by column */
				a_of(m, &r[0][j], 4, &g[0][j], 4);
			for (int i = 0; i < a; i++)	/* e = r At, row by row */
				a_of(m, e[i], 1, r[i], 1);
			put(D + (size_t)(ty * TW + tx) * ns, xs, e, a, nl);
		}
}

/* dW[j][9] += the nine taps of filters j = 0..nb of the A entries u[xi *
 * cm + j], kx[xi][tap] the entries' weights: the taps summed in L1 (each
 * entry's block read once), then added to dW, where a filter's taps are
 * contiguous. */
HOT static void filter_block(float *dW, const float *u, size_t cm, size_t nb, int A,
			     const float (*kx)[9])
{
	float g[9][512];

	memset(g, 0, sizeof g);
	for (int xi = 0; xi < A; xi++)
		for (int s = 0; s < 9; s++) {
			float f = kx[xi][s];

			if (f == 0)
				continue;
#pragma omp simd
			for (size_t j = 0; j < nb; j++)
				g[s][j] += f * u[xi * cm + j];
		}
	for (size_t j = 0; j < nb; j++)
		for (int s = 0; s < 9; s++)
			dW[j * 9 + s] += g[s][j];
}

/* dW (cout, c, 3, 3) += Gt dU G, dU[xi] (cout x c): in blocks of 512
 * filters (filter_block). */
static void filter_grad(float *dW, const float *dU, int c, int cout, const struct wmat *k)
{
	int a = k->a, A = a * a;
	size_t cm = (size_t)c * cout;
	float kx[36][9];

	for (int xi = 0; xi < A; xi++)
		for (int s = 0; s < 9; s++)
			kx[xi][s] = k->g[xi / a][s / 3] * k->g[xi % a][s % 3];
#pragma omp parallel for schedule(static)
	for (size_t j0 = 0; j0 < cm; j0 += 512)
		filter_block(dW + j0 * 9, dU + j0, cm, cm - j0 < 512 ? cm - j0 : 512, A,
			     (const float (*)[9])kx);
}

void wgrad_conv3x3(float *dW, const float *x, const float *dy, int n, int c, int h, int w,
		   int cout, int m, float *dU, float *V, int k)
{
	struct wmat mt = wmat(m);
	int A = mt.a * mt.a, tpi = tiles_per(h, w, m);
	size_t P = (size_t)h * w;

	for (int s0 = 0, ns, ng; s0 < n; s0 += ns) {
		size_t T;
		float *D;

		ns = n - s0 < k ? n - s0 : k;
		ng = (ns + LANES - 1) / LANES;
		T = (size_t)ns * tpi;
		D = V + (size_t)A * c * T;
		/* V[xi] (c x T) and D[xi] (cout x T): entry xi's rows of every
		 * tile, 16 samples of a channel at a time */
#pragma omp parallel for schedule(static)
		for (int q = 0; q < ng * c; q++) {
			int ch = q / ng, l0 = q % ng * LANES, nl = ns - l0 < LANES ? ns - l0 : LANES;

			input_tiles(V + (size_t)ch * T + l0, (size_t)c * T, ns,
				    x + ((size_t)(s0 + l0) * c + ch) * P, (size_t)c * P, nl, h, w, m);
		}
#pragma omp parallel for schedule(static)
		for (int q = 0; q < ng * cout; q++) {
			int ch = q / ng, l0 = q % ng * LANES, nl = ns - l0 < LANES ? ns - l0 : LANES;

			grad_tiles(D + (size_t)ch * T + l0, (size_t)cout * T, ns,
				   dy + ((size_t)(s0 + l0) * cout + ch) * P, (size_t)cout * P, nl, h, w, m);
		}
		/* dU[xi] (cout x c) = D[xi] (cout x T) V[xi]^T (T x c): a GEMM
		 * per thread, not each on BLIS's threads, which met at a barrier
		 * per block of T and spun there whenever the machine was busy */
#pragma omp parallel for schedule(static)
		for (int xi = 0; xi < A; xi++)
			gemm1(cout, c, (int)T, D + (size_t)xi * cout * T, (int)T, 1,
			      V + (size_t)xi * c * T, 1, (int)T, 0.0f, dU + (size_t)xi * c * cout, c);
		filter_grad(dW, dU, c, cout, &mt);
	}
}
