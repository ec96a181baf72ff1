/* tune_phase.c - the stride-2 3x3 convolution's whole-map algorithm (see
 * tune_phase.h).  Its transforms run on 16 samples (or filters) at once, one
 * per vector lane, as tune_wgrad.c's do, so that an entry's 16 values are
 * one store into the GEMMs' rows of samples. */
#include "tune_phase.h"
#include "layers.h"

#include <math.h>
#include <string.h>

typedef float v16f __attribute__((vector_size(64)));
#define LANES 16

/* The Winograd correlation F(m,2) (m + 1 entries) by Toom-Cook on the
 * points 0, 1, -1, 2 and infinity (the first m of them finite): in double,
 * bt (n x n), g (n x 2), at (m x n), n = m + 1.  For the evaluation
 * matrix V of a polynomial of degree m at the points, linear convolution
 * is c = V^-1 ((G g) . (B h)), so correlation, its transpose in h, is y =
 * B^T ((G g) . (V^-T d)). */
static void toom2(int m, double bt[5][5], double g[5][2], double at[4][5])
{
	static const double pt[4] = { 0, 1, -1, 2 };
	int n = m + 1;
	double v[5][10];

	for (int j = 0; j < n; j++) {	/* [V | I] */
		for (int k = 0; k < n; k++) {
			v[j][k] = j < n - 1 ? pow(pt[j], k) : k == n - 1;
			v[j][n + k] = j == k;
		}
		for (int k = 0; k < 2; k++)
			g[j][k] = j < n - 1 ? pow(pt[j], k) : k == 1;
		for (int k = 0; k < m; k++)
			at[k][j] = j < n - 1 ? pow(pt[j], k) : k == m - 1;
	}
	for (int c = 0; c < n; c++) {	/* Gauss-Jordan: [I | V^-1] */
		int piv = c;

		for (int r = c + 1; r < n; r++)
			if (fabs(v[r][c]) > fabs(v[piv][c]))
				piv = r;
		for (int k = 0; k < 2 * n; k++) {
			double s = v[c][k];

			v[c][k] = v[piv][k], v[piv][k] = s;
		}
		for (int k = 2 * n - 1; k >= c; k--)
			v[c][k] /= v[c][c];
		for (int r = 0; r < n; r++)
			for (int k = 2 * n - 1; r != c && k >= c; k--)
				v[r][k] -= v[r][c] * v[c][k];
	}
	for (int j = 0; j < n; j++)
		for (int t = 0; t < n; t++)
			bt[j][t] = v[t][n + j];
}

int phase2_init(struct phase2 *p, int h)
{
	int e = 0;

	if (h < 2 || h % 2 || h > PHASE_SIDE)
		return -1;
	memset(p, 0, sizeof *p);
	p->h = h;
	p->ho = h / 2;
	for (int o0 = 0, m; o0 < p->ho; o0 += m) {
		double bt[5][5], g[5][2], at[4][5];

		m = p->ho - o0 < 4 ? p->ho - o0 : 4;
		toom2(m, bt, g, at);
		for (int i = 0; i <= m; i++) {	/* the odd inputs 2(o0+j)-1, j = 0..m */
			for (int j = 0; j <= m; j++)
				if (2 * (o0 + j) - 1 >= 0)	/* else the padding */
					p->bt[e + i][2 * (o0 + j) - 1] = (float)bt[i][j];
			p->g[e + i][0] = (float)g[i][0];
			p->g[e + i][2] = (float)g[i][1];
			for (int o = 0; o < m; o++)
				p->at[o0 + o][e + i] = (float)at[o][i];
		}
		e += m + 1;
		for (int o = 0; o < m; o++, e++) {	/* the middle tap on x[2o] */
			p->bt[e][2 * (o0 + o)] = 1;
			p->g[e][1] = 1;
			p->at[o0 + o][e] = 1;
		}
	}
	p->ne = e;
	return 0;
}

/* nl lanes of v to dst, or of src to v (the rest zero): whole vectors
 * when all 16 are wanted, which the compiler inlines, where a call to
 * memcpy of nl floats took 7 % of the tail's time. */
static inline void put_lanes(float *dst, const v16f *v, int nl)
{
	if (nl == LANES)
		memcpy(dst, v, sizeof *v);
	else
		memcpy(dst, v, sizeof(float) * (size_t)nl);
}

static inline void get_lanes(v16f *v, const float *src, int nl)
{
	if (nl == LANES) {
		memcpy(v, src, sizeof *v);
		return;
	}
	*v = (v16f){ 0 };
	memcpy(v, src, sizeof(float) * (size_t)nl);
}

/* A matrix's nonzeros, row by row: the transforms' matrices are mostly
 * zeros (a row of bt has at most 5 of 14), and testing each in the inner
 * loops took more time than the products. */
struct sparse {
	int rows;
	int n[PHASE_NE];			/* nonzeros of row i */
	int k[PHASE_NE][PHASE_NE];		/* their columns */
	float v[PHASE_NE][PHASE_NE];		/* and values */
};

/* s = mat (rows x cols, its (i, k) at mat[i * ri + k * ci]: a matrix or,
 * ri 1, a transposed one) */
static void sparse_of(struct sparse *s, const float *mat, int ri, int ci, int rows, int cols)
{
	s->rows = rows;
	for (int i = 0; i < rows; i++) {
		s->n[i] = 0;
		for (int k = 0; k < cols; k++)
			if (mat[i * ri + k * ci] != 0) {
				s->k[i][s->n[i]] = k;
				s->v[i][s->n[i]++] = mat[i * ri + k * ci];
			}
	}
}

/* The transforms are HOT (layers.h): a v16f is four SSE registers in the
 * plain build. */

/* o[i * os] = sum_k m[i][k] v[k * vs] */
static inline void apply(v16f *o, int os, const struct sparse *m, const v16f *v, int vs)
{
	for (int i = 0; i < m->rows; i++) {
		v16f s = { 0 };

		for (int j = 0; j < m->n[i]; j++)
			s += m->v[i][j] * v[m->k[i][j] * vs];
		o[i * os] = s;
	}
}

/* Entries E[(i * ne + j) * es] (nl lanes) of the side x side planes p
 * (nl of them, ps apart): E = mat d mat^T, mat ne x side. */
HOT static void to_entries(float *E, size_t es, const float *p, size_t ps, int nl, int side,
			   const struct sparse *mat, int ne)
{
	v16f d[PHASE_SIDE * PHASE_SIDE], r[PHASE_NE * PHASE_SIDE], e[PHASE_NE];

	for (int q = 0; q < side * side; q++) {
		d[q] = (v16f){ 0 };
		for (int l = 0; l < nl; l++)
			d[q][l] = p[l * ps + q];
	}
	for (int c = 0; c < side; c++)	/* r = mat d, column by column */
		apply(r + c, side, mat, d + c, side);
	for (int i = 0; i < ne; i++) {	/* row i of r mat^T */
		apply(e, 1, mat, r + i * side, 1);
		for (int j = 0; j < ne; j++)
			put_lanes(E + (size_t)(i * ne + j) * es, &e[j], nl);
	}
}

/* The planes p (nl, side x side, ps apart) = (acc: +=) mat E mat^T of
 * entries laid out as to_entries', mat side x ne. */
HOT static void from_entries(float *p, size_t ps, int nl, int acc, const float *E, size_t es,
			     int side, const struct sparse *mat, int ne)
{
	v16f d[PHASE_NE * PHASE_NE], r[PHASE_SIDE * PHASE_NE], o[PHASE_SIDE];

	for (int q = 0; q < ne * ne; q++)
		get_lanes(&d[q], E + (size_t)q * es, nl);
	for (int c = 0; c < ne; c++)	/* r = mat d, column by column */
		apply(r + c, ne, mat, d + c, ne);
	for (int i = 0; i < side; i++) {	/* row i of r mat^T */
		apply(o, 1, mat, r + i * ne, 1);
		for (int j = 0; j < side; j++)
			for (int l = 0; l < nl; l++) {
				float *t = p + l * ps + (size_t)i * side + j;

				*t = (acc ? *t : 0.0f) + o[j][l];
			}
	}
}

/* Runs to_entries (out 0: src the planes, dst the entries) or
 * from_entries (out 1: src the entries, dst the planes) over every
 * channel of ns samples, 16 samples of a channel a call, on the OpenMP
 * threads. */
static void each_plane(const struct phase2 *p, float *dst, const float *src, int ns, int C,
		       int side, const float *mat, int ri, int ci, int out, int acc)
{
	int ng = (ns + LANES - 1) / LANES;
	size_t P = (size_t)side * side, es = (size_t)C * ns;
	struct sparse m;

	if (out)
		sparse_of(&m, mat, ri, ci, side, p->ne);
	else
		sparse_of(&m, mat, ri, ci, p->ne, side);

#pragma omp parallel for schedule(static)
	for (int q = 0; q < ng * C; q++) {
		int c = q / ng, l0 = q % ng * LANES, nl = ns - l0 < LANES ? ns - l0 : LANES;
		size_t pl = ((size_t)l0 * C + c) * P, e = (size_t)c * ns + l0;

		if (out)
			from_entries(dst + pl, (size_t)C * P, nl, acc, src + e, es, side, &m, p->ne);
		else
			to_entries(dst + e, es, src + pl, (size_t)C * P, nl, side, &m, p->ne);
	}
}

void phase2_input(const struct phase2 *p, float *V, const float *x, int ns, int C)
{
	each_plane(p, V, x, ns, C, p->h, &p->bt[0][0], PHASE_SIDE, 1, 0, 0);
}

void phase2_grad_entries(const struct phase2 *p, float *D, const float *dy, int ns, int C)
{
	each_plane(p, D, dy, ns, C, p->ho, &p->at[0][0], 1, PHASE_NE, 0, 0);
}

void phase2_output(const struct phase2 *p, float *y, const float *Y, int ns, int C)
{
	each_plane(p, y, Y, ns, C, p->ho, &p->at[0][0], PHASE_NE, 1, 1, 0);
}

void phase2_input_grad(const struct phase2 *p, float *dx, int acc, const float *dV, int ns, int C)
{
	each_plane(p, dx, dV, ns, C, p->h, &p->bt[0][0], 1, PHASE_SIDE, 1, acc);
}

/* U's entries of filters w[j0..j0+nl), a filter per lane */
HOT static void phase_filter_block(const struct phase2 *p, const struct sparse *g, float *U,
				   size_t np, const float *w, int nl)
{
	v16f k[9], r[PHASE_NE * 3], e[PHASE_NE];

	for (int t = 0; t < 9; t++) {
		k[t] = (v16f){ 0 };
		for (int l = 0; l < nl; l++)
			k[t][l] = w[l * 9 + t];
	}
	for (int c = 0; c < 3; c++)	/* r = g k, column by column */
		apply(r + c, 3, g, k + c, 3);
	for (int i = 0; i < p->ne; i++) {
		apply(e, 1, g, r + i * 3, 1);
		for (int j = 0; j < p->ne; j++)
			put_lanes(U + (size_t)(i * p->ne + j) * np, &e[j], nl);
	}
}

/* dw[j0..j0+nl) += g^T dU g, a filter per lane */
HOT static void phase_filter_grad_block(const struct phase2 *p, const struct sparse *gt, float *dw,
					const float *dU, size_t np, int nl)
{
	v16f d[PHASE_NE * PHASE_NE], r[3 * PHASE_NE], k[9];

	for (int q = 0; q < p->ne * p->ne; q++)
		get_lanes(&d[q], dU + (size_t)q * np, nl);
	for (int c = 0; c < p->ne; c++)	/* r = g^T d, column by column */
		apply(r + c, p->ne, gt, d + c, p->ne);
	for (int i = 0; i < 3; i++)
		apply(k + i * 3, 1, gt, r + i * p->ne, 1);
	for (int t = 0; t < 9; t++)
		for (int l = 0; l < nl; l++)
			dw[l * 9 + t] += k[t][l];
}

void phase2_filters(const struct phase2 *p, float *U, const float *w, size_t np)
{
	struct sparse g;

	sparse_of(&g, &p->g[0][0], 3, 1, p->ne, 3);
#pragma omp parallel for schedule(static)
	for (size_t j = 0; j < np; j += LANES)
		phase_filter_block(p, &g, U + j, np, w + j * 9,
				   np - j < LANES ? (int)(np - j) : LANES);
}

void phase2_filter_grad(const struct phase2 *p, float *dw, const float *dU, size_t np)
{
	struct sparse gt;

	sparse_of(&gt, &p->g[0][0], 1, 3, 3, p->ne);
#pragma omp parallel for schedule(static)
	for (size_t j = 0; j < np; j += LANES)
		phase_filter_grad_block(p, &gt, dw + j * 9, dU + j, np,
					np - j < LANES ? (int)(np - j) : LANES);
}
