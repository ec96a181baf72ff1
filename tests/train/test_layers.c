/* Every layer's backward against central finite differences of its
 * forward, and the BLIS gemm against plain loops with every stride pattern
 * the model uses.
 *
 * A layer y = f(x, w) is checked through the scalar L = sum(r * y) for a
 * fixed random r: backward with dy = r must give dL/dx and dL/dw.  The
 * forward runs in float32, so the differences use h = 1e-2 and the check is
 * normwise: max |numeric - analytic| / max |analytic| <= 2e-3.  A wrong
 * backward (a missing term, a transposed index) is off by far more. */
#include "harness.h"
#include "layers.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define H_STEP 1e-2
#define FD_TOL 2e-3

/* Each test seeds this itself, so that its inputs do not depend on which
 * tests ran before it (a test run alone sees the same numbers). */
static uint64_t test_rng;

static float *randv(long n, double scale)
{
	float *v = malloc(sizeof *v * (n > 0 ? (size_t)n : 1));

	for (long i = 0; i < n; i++)
		v[i] = (float)(rng_normal(&test_rng) * scale);
	return v;
}

static float *zeros(long n)
{
	return calloc(n > 0 ? (size_t)n : 1, sizeof(float));
}

/* The layer under test: forward of ctx into y, L = sum(r*y) in double. */
struct probe {
	double (*loss)(struct probe *p);
	float *r;
	long ny;
};

static double dot(const float *r, const float *y, long n)
{
	double s = 0;

	for (long i = 0; i < n; i++)
		s += (double)r[i] * y[i];
	return s;
}

/* Normwise error of the analytic gradient ana of x (n values). */
static double fd_error(struct probe *p, float *x, long n, const float *ana)
{
	double md = 0, ma = 0;

	for (long i = 0; i < n; i++) {
		float keep = x[i];
		double lp, lm, num;

		x[i] = keep + (float)H_STEP;
		lp = p->loss(p);
		x[i] = keep - (float)H_STEP;
		lm = p->loss(p);
		x[i] = keep;
		num = (lp - lm) / (2 * H_STEP);
		if (fabs(num - ana[i]) > md)
			md = fabs(num - ana[i]);
		if (fabs(ana[i]) > ma)
			ma = fabs(ana[i]);
	}
	return ma > 0 ? md / ma : md;
}

#define expect_fd(p, x, n, ana) \
	do { double e_ = fd_error((p), (x), (n), (ana)); \
	     if (!(e_ <= FD_TOL)) arpg_test_fail(__FILE__, __LINE__, \
			"d%s: finite-difference error %.3g", #x, e_); } while (0)

/* ---- gemm ---- */

ARPG_TEST(gemm_matches_loops_for_every_transpose)
{
	test_rng = 101;
	int m = 37, n = 29, k = 41;
	float *A = randv((long)m * k, 1), *B = randv((long)k * n, 1);
	float *C = randv((long)m * n, 1), *C2 = malloc(sizeof(float) * m * n);
	int ta, tb;

	for (ta = 0; ta < 2; ta++)
		for (tb = 0; tb < 2; tb++) {
			/* A is m x k stored row-major, or k x m read transposed */
			int rsa = ta ? 1 : k, csa = ta ? m : 1, rsb = tb ? 1 : n, csb = tb ? k : 1;
			double md = 0;

			memcpy(C2, C, sizeof(float) * m * n);
			gemm(m, n, k, A, rsa, csa, B, rsb, csb, 0.5f, C, n);
			gemm_naive(m, n, k, A, rsa, csa, B, rsb, csb, 0.5f, C2, n);
			for (long i = 0; i < (long)m * n; i++)
				if (fabs(C[i] - C2[i]) > md)
					md = fabs(C[i] - C2[i]);
			if (!(md < 1e-4))
				arpg_test_fail(__FILE__, __LINE__, "transpose A %d B %d: max diff %g", ta, tb, md);
		}
	free(A);
	free(B);
	free(C);
	free(C2);
}

/* ---- linear ---- */

struct linear_probe {
	struct probe p;
	float *x, *w, *b, *y;
	int n, D, E;
};

static double linear_loss(struct probe *p)
{
	struct linear_probe *l = (struct linear_probe *)p;

	linear_fwd(l->y, l->x, l->w, l->b, l->n, l->D, l->E);
	return dot(p->r, l->y, p->ny);
}

ARPG_TEST(linear_backward_matches_finite_differences)
{
	test_rng = 102;
	struct linear_probe l = { .n = 5, .D = 7, .E = 3 };
	float *dx, *dw, *db;

	l.x = randv(35, 1);
	l.w = randv(21, 0.5);
	l.b = randv(3, 0.5);
	l.y = zeros(15);
	l.p.r = randv(15, 1);
	l.p.ny = 15;
	l.p.loss = linear_loss;
	dx = zeros(35);
	dw = zeros(21);
	db = zeros(3);
	linear_bwd(dx, dw, db, l.p.r, l.x, l.w, l.n, l.D, l.E);
	expect_fd(&l.p, l.x, 35, dx);
	expect_fd(&l.p, l.w, 21, dw);
	expect_fd(&l.p, l.b, 3, db);
	free(l.x); free(l.w); free(l.b); free(l.y); free(l.p.r);
	free(dx); free(dw); free(db);
}

/* ---- elementwise: ELU, dropout ---- */

struct elu_probe {
	struct probe p;
	float *x, *y, *keep;
	int dropout;
};

static double elu_loss(struct probe *p)
{
	struct elu_probe *e = (struct elu_probe *)p;

	if (e->dropout) {
		for (long i = 0; i < p->ny; i++)
			e->y[i] = e->x[i] * e->keep[i];
	} else {
		elu_fwd(e->y, e->x, p->ny);
	}
	return dot(p->r, e->y, p->ny);
}

ARPG_TEST(elu_backward_matches_finite_differences)
{
	test_rng = 103;
	struct elu_probe e = { 0 };
	float *dx;
	long n = 40;

	e.x = randv(n, 1);
	for (long i = 0; i < n; i++)	/* keep away from the kink at 0 */
		if (fabs(e.x[i]) < 0.05)
			e.x[i] = 0.3f;
	e.y = zeros(n);
	e.p.r = randv(n, 1);
	e.p.ny = n;
	e.p.loss = elu_loss;
	dx = zeros(n);
	elu_bwd(dx, e.p.r, e.x, n);
	expect_fd(&e.p, e.x, n, dx);
	free(e.x); free(e.y); free(e.p.r); free(dx);
}

ARPG_TEST(dropout_keeps_expectation_and_backward_uses_its_mask)
{
	test_rng = 104;
	long n = 100000, zeros_seen = 0;
	float *x = randv(n, 1), *y = zeros(n), *keep = zeros(n), *dx = zeros(n), *ones = zeros(n);
	uint64_t rng = 7;
	double sx = 0, sy = 0;

	for (long i = 0; i < n; i++)
		x[i] = 1.0f, ones[i] = 1.0f;
	dropout_fwd(y, keep, x, n, 0.25f, &rng);
	for (long i = 0; i < n; i++) {
		sx += x[i];
		sy += y[i];
		zeros_seen += keep[i] == 0;
	}
	expect_near(sy / sx, 1.0, 0.01);
	expect_near((double)zeros_seen / n, 0.25, 0.01);
	dropout_bwd(dx, ones, keep, n);
	for (long i = 0; i < n; i++)
		if (dx[i] != keep[i]) {
			arpg_test_fail(__FILE__, __LINE__, "dx[%ld] = %g, keep %g", i, dx[i], keep[i]);
			break;
		}
	free(x); free(y); free(keep); free(dx); free(ones);
}

/* ---- the fused end of a GAT layer: LayerNorm(x + ELU(o)) ---- */

/* LayerNorm of one row in double, eps 1e-5: the reference of the forward. */
static void layernorm_ref(float *y, const float *x, const float *g, const float *b, int D)
{
	double m = 0, v = 0;

	for (int d = 0; d < D; d++)
		m += x[d];
	m /= D;
	for (int d = 0; d < D; d++)
		v += (x[d] - m) * (x[d] - m);
	v /= D;
	for (int d = 0; d < D; d++)
		y[d] = (float)((x[d] - m) / sqrt(v + 1e-5) * g[d] + b[d]);
}

struct gout_probe {
	struct probe p;
	float *o, *x, *g, *b, *y, *xo, *mean, *rstd;
	int rows, D;
	int n;			/* 0, or gat_out_mean_fwd's group size */
};

static double gout_loss(struct probe *p)
{
	struct gout_probe *q = (struct gout_probe *)p;

	if (q->n)
		gat_out_mean_fwd(q->xo, q->y, q->mean, q->rstd, q->o, q->x, q->g, q->b,
				 q->rows / q->n, q->n, q->D);
	else
		gat_out_fwd(q->xo, q->y, q->mean, q->rstd, q->o, q->x, q->g, q->b, q->rows, q->D);
	return dot(p->r, q->xo, p->ny);
}

/* Fills q (rows, D, n set): inputs clear of ELU's kink, parameters,
 * outputs (rows, or rows / n with n) and r; then runs the forward once. */
static void gout_setup(struct gout_probe *q)
{
	long len = (long)q->rows * q->D;

	q->o = randv(len, 1);
	for (long i = 0; i < len; i++)	/* keep away from ELU's kink */
		if (fabs(q->o[i]) < 0.05)
			q->o[i] = -0.4f;
	q->x = randv(len, 1);
	q->g = randv(q->D, 1);
	q->b = randv(q->D, 1);
	q->y = zeros(len);
	q->p.ny = q->n ? len / q->n : len;
	q->xo = zeros(q->p.ny);
	q->mean = zeros(q->rows);
	q->rstd = zeros(q->rows);
	q->p.r = randv(q->p.ny, 1);
	q->p.loss = gout_loss;
	gout_loss(&q->p);
}

static void gout_free(struct gout_probe *q)
{
	free(q->o); free(q->x); free(q->g); free(q->b); free(q->y); free(q->xo); free(q->mean);
	free(q->rstd); free(q->p.r);
}

ARPG_TEST(gat_output_backward_matches_finite_differences)
{
	test_rng = 105;
	struct gout_probe q = { .rows = 5, .D = 8 };
	long n = 40;
	float *dx, *do_, *dg, *db, *work;

	gout_setup(&q);
	/* the forward is ELU, residual and LayerNorm composed */
	{
		float e[40], y2[40];

		elu_fwd(e, q.o, n);
		for (long i = 0; i < n; i++)
			e[i] += q.x[i];
		for (int r = 0; r < 5; r++)
			layernorm_ref(y2 + r * 8, e + r * 8, q.g, q.b, 8);
		for (long i = 0; i < n; i++)
			expect_near(q.xo[i], y2[i], 1e-5);
	}
	dx = zeros(n);
	do_ = randv(n, 1);	/* overwritten, not accumulated */
	dg = zeros(8);
	db = zeros(8);
	/* the scratch's old contents must not leak into dg and db */
	work = randv((long)gat_out_bwd_work(q.rows, q.D), 1);
	gat_out_bwd(dx, do_, dg, db, q.p.r, q.y, q.o, q.mean, q.rstd, q.g, q.rows, q.D, 1, work);
	expect_fd(&q.p, q.o, n, do_);
	expect_fd(&q.p, q.x, n, dx);
	expect_fd(&q.p, q.g, 8, dg);
	expect_fd(&q.p, q.b, 8, db);
	gout_free(&q);
	free(dx); free(do_); free(dg); free(db); free(work);
}

/* The node mean fused into the end: the same as gat_out_fwd then
 * mean_fwd, and its backward (gat_out_bwd with share n) against finite
 * differences. */
ARPG_TEST(gat_output_mean_matches_output_then_mean)
{
	test_rng = 114;
	struct gout_probe q = { .rows = 6, .D = 8, .n = 3 };
	long len = 48;
	float *dx, *do_, *dg, *db, *dxs, *work, xo_rows[48], xm[16];

	gout_setup(&q);
	gat_out_fwd(xo_rows, q.y, q.mean, q.rstd, q.o, q.x, q.g, q.b, 6, 8);
	mean_fwd(xm, xo_rows, 2, 3, 8);
	for (int i = 0; i < 16; i++)
		expect_near(q.xo[i], xm[i], 1e-6);
	gout_loss(&q.p);	/* the saved statistics of the fused forward */
	dx = zeros(len);
	do_ = randv(len, 1);
	dg = zeros(8);
	db = zeros(8);
	dxs = zeros(16);
	for (int i = 0; i < 16; i++)
		dxs[i] = q.p.r[i] / 3;
	work = randv((long)gat_out_bwd_work(q.rows, q.D), 1);
	gat_out_bwd(dx, do_, dg, db, dxs, q.y, q.o, q.mean, q.rstd, q.g, q.rows, q.D, 3, work);
	expect_fd(&q.p, q.o, len, do_);
	expect_fd(&q.p, q.x, len, dx);
	expect_fd(&q.p, q.g, 8, dg);
	expect_fd(&q.p, q.b, 8, db);
	gout_free(&q);
	free(dx); free(do_); free(dg); free(db); free(dxs); free(work);
}

/* ---- masked multi-head attention ---- */

struct attn_probe {
	struct probe p;
	float *z, *a_src, *a_dst, *o, *att, *sc, *work;
	uint8_t *mask, *keep;	/* keep: graphs x n, or NULL */
	struct gat_nbrs nb;
	int graphs, n, D, H;
};

static double attn_loss(struct probe *p)
{
	struct attn_probe *a = (struct attn_probe *)p;

	gat_attn_fwd(a->o, a->att, a->sc, a->z, a->a_src, a->a_dst, &a->nb, a->keep, a->graphs,
		     a->D, a->H);
	return dot(p->r, a->o, p->ny);
}

/* The smallest |a_dst . z_i + a_src . z_j| over the joined pairs: the
 * distance to LeakyReLU's kink, which central differences must not cross. */
static double kink_margin(const struct attn_probe *a)
{
	int dh = a->D / a->H;
	double margin = INFINITY;

	for (int g = 0; g < a->graphs; g++)
		for (int h = 0; h < a->H; h++)
			for (int i = 0; i < a->n; i++)
				for (int j = 0; j < a->n; j++) {
					const float *zi = a->z + ((long)g * a->n + i) * a->D + h * dh;
					const float *zj = a->z + ((long)g * a->n + j) * a->D + h * dh;
					double e = 0;

					if (!a->mask[i * a->n + j])
						continue;
					for (int k = 0; k < dh; k++)
						e += a->a_dst[h * dh + k] * zi[k] + a->a_src[h * dh + k] * zj[k];
					margin = fmin(margin, fabs(e));
				}
	return margin;
}

/* Fills a (graphs, n, D, H set) for mask: neighbour lists, scratch with
 * garbage in it (forward and backward must not read it), attention
 * vectors, inputs whose pre-activations all stay clear of LeakyReLU's kink
 * by more than one step moves them (h times |a_k| < 3: 0.03), outputs,
 * and r; then runs the forward once. */
static void attn_setup(struct attn_probe *a, uint8_t *mask)
{
	long nz = (long)a->graphs * a->n * a->D;

	a->mask = mask;
	expect_int(gat_nbrs_init(&a->nb, mask, a->n), 0);
	a->work = randv((long)gat_attn_work(a->graphs, a->n, a->H), 1);
	a->a_src = randv(a->D, 1);
	a->a_dst = randv(a->D, 1);
	a->z = NULL;
	for (int tries = 0; tries < 1000 && (!a->z || kink_margin(a) < 0.05); tries++) {
		free(a->z);
		a->z = randv(nz, 1);
	}
	expect(kink_margin(a) >= 0.05);
	a->o = zeros(nz);
	a->att = zeros((long)a->graphs * a->H * a->nb.nnz);
	a->sc = zeros((long)a->graphs * a->n * a->H * 2);
	a->p.r = randv(nz, 1);
	a->p.ny = nz;
	a->p.loss = attn_loss;
	attn_loss(&a->p);
}

static void attn_free(struct attn_probe *a)
{
	free(a->z); free(a->a_src); free(a->a_dst); free(a->o); free(a->att); free(a->sc);
	free(a->p.r);
	free(a->work);
	gat_nbrs_free(&a->nb);
}

ARPG_TEST(neighbour_lists_follow_the_mask_row_by_row)
{
	/* 0: joined to 2 and 0 (listed in column order); 1: to nothing; 2: to all */
	static const uint8_t mask[9] = { 1, 0, 1, 0, 0, 0, 1, 1, 1 };
	static const int start[4] = { 0, 2, 2, 5 }, idx[5] = { 0, 2, 0, 1, 2 };
	struct gat_nbrs nb;

	expect_int(gat_nbrs_init(&nb, mask, 3), 0);
	expect_int(nb.n, 3);
	expect_int(nb.nnz, 5);
	for (int i = 0; i < 4; i++)
		expect_int(nb.start[i], start[i]);
	for (int k = 0; k < 5; k++)
		expect_int(nb.idx[k], idx[k]);
	/* by column: 0 from rows 0 and 2, 1 from row 2, 2 from rows 0 and 2 */
	static const int tstart[4] = { 0, 2, 3, 5 }, tidx[5] = { 0, 2, 2, 0, 2 },
			 tpos[5] = { 0, 2, 3, 1, 4 };

	for (int i = 0; i < 4; i++)
		expect_int(nb.tstart[i], tstart[i]);
	for (int k = 0; k < 5; k++) {
		expect_int(nb.tidx[k], tidx[k]);
		expect_int(nb.tpos[k], tpos[k]);
	}
	gat_nbrs_free(&nb);
	expect(!nb.start && !nb.idx && !nb.nnz && !nb.tstart && !nb.tidx && !nb.tpos);
	gat_nbrs_free(&nb);	/* an empty one frees too */
}

/* A ring of 5 with self-loops plus one long edge, not symmetric. */
static void ring_mask(uint8_t mask[25])
{
	for (int i = 0; i < 5; i++)
		for (int j = 0; j < 5; j++)
			mask[i * 5 + j] = i == j || (i + 1) % 5 == j || (i == 0 && j == 3);
}

/* The backward of a's attention against finite differences of its
 * forward, for z, a_src and a_dst; then frees a. */
static void expect_attn_fd(struct attn_probe *a)
{
	long nz = (long)a->graphs * a->n * a->D;
	float *dz = zeros(nz), *das = zeros(a->D), *dad = zeros(a->D);

	gat_attn_bwd(dz, das, dad, a->p.r, a->z, a->att, a->sc, a->a_src, a->a_dst, &a->nb,
		     a->graphs, a->D, a->H, a->work);
	expect_fd(&a->p, a->z, nz, dz);
	expect_fd(&a->p, a->a_src, a->D, das);
	expect_fd(&a->p, a->a_dst, a->D, dad);
	attn_free(a);
	free(dz); free(das); free(dad);
}

ARPG_TEST(graph_attention_backward_matches_finite_differences)
{
	test_rng = 106;
	struct attn_probe a = { .graphs = 3, .n = 5, .D = 6, .H = 2 };
	uint8_t mask[25];

	ring_mask(mask);
	attn_setup(&a, mask);
	/* att holds the joined pairs only, row by row; each row sums to 1 */
	{
		int nnz = a.nb.nnz, k;

		expect_int(nnz, 11);
		expect_int(a.nb.start[5], 11);
		for (int gh = 0; gh < 6; gh++) {
			k = 0;
			for (int i = 0; i < 5; i++) {
				double s = 0;

				for (int j = 0; j < 5; j++)
					if (mask[i * 5 + j]) {
						expect(a.att[gh * nnz + k] > 0);
						s += a.att[gh * nnz + k++];
					}
				expect_near(s, 1.0, 1e-6);
			}
		}
	}
	expect_attn_fd(&a);
}

ARPG_TEST(graph_attention_with_dropped_nodes_matches_finite_differences)
{
	test_rng = 110;
	struct attn_probe a = { .graphs = 3, .n = 6, .D = 8, .H = 2 };
	long nz = 3 * 6 * 8;
	float *dz, *das, *dad, *o_all;
	uint8_t mask[36], keep[18] = { 1, 0, 1, 1, 0, 1,	/* two dropped */
				       1, 1, 1, 1, 1, 1,	/* none: the unmasked path */
				       0, 0, 0, 0, 0, 1 };	/* all but one */

	/* every pair joined (the fusion graph with --trs all) */
	memset(mask, 1, sizeof mask);
	a.keep = keep;
	attn_setup(&a, mask);
	/* a dropped node gets weight 0 from every other node; a row still sums
	 * to 1; a dropped node attends to itself and the kept nodes */
	for (int g = 0; g < 3; g++)
		for (int h = 0; h < 2; h++)
			for (int i = 0; i < 6; i++) {
				double sum = 0;

				for (int j = 0; j < 6; j++) {
					float w = a.att[(g * 2 + h) * 36 + i * 6 + j];

					if (!keep[g * 6 + j] && j != i)
						expect(w == 0);
					else
						expect(w > 0);
					sum += w;
				}
				expect_near(sum, 1.0, 1e-6);
			}
	/* a graph with every node kept is the same with keep NULL */
	o_all = zeros(nz);
	memcpy(o_all, a.o, sizeof *o_all * nz);
	a.keep = NULL;
	attn_loss(&a.p);
	for (long i = 6 * 8; i < 12 * 8; i++)
		expect(a.o[i] == o_all[i]);
	a.keep = keep;
	attn_loss(&a.p);
	dz = zeros(nz);
	das = zeros(8);
	dad = zeros(8);
	gat_attn_bwd(dz, das, dad, a.p.r, a.z, a.att, a.sc, a.a_src, a.a_dst, &a.nb, a.graphs,
		     a.D, a.H, a.work);
	expect_fd(&a.p, a.z, nz, dz);
	expect_fd(&a.p, a.a_src, 8, das);
	expect_fd(&a.p, a.a_dst, 8, dad);
	attn_free(&a);
	free(dz); free(das); free(dad); free(o_all);
}

/* Heads wider than attention's register blocks (dh 40: a block of 32 or
 * two of 16, and a tail of 8), on the ring of the test above. */
ARPG_TEST(graph_attention_backward_with_wide_heads_matches_finite_differences)
{
	test_rng = 113;
	struct attn_probe a = { .graphs = 2, .n = 5, .D = 80, .H = 2 };
	uint8_t mask[25];

	ring_mask(mask);
	attn_setup(&a, mask);
	expect_attn_fd(&a);
}

/* Heads wider than the forward's register block (dh 40: a block of 32
 * and a tail of 8): o is each row's weighted sum of its neighbours' z
 * with the saved weights. */
ARPG_TEST(graph_attention_output_is_the_weighted_sum_of_neighbours)
{
	enum { G = 2, n = 5, D = 80, H = 2, dh = D / H };
	struct gat_nbrs nb;
	uint8_t mask[n * n];
	float *z, *a_src, *a_dst, *o, *att, *sc;

	test_rng = 112;
	ring_mask(mask);
	expect_int(gat_nbrs_init(&nb, mask, n), 0);
	z = randv(G * n * D, 1);
	a_src = randv(D, 1);
	a_dst = randv(D, 1);
	o = randv(G * n * D, 1);	/* overwritten, not added to */
	att = zeros((long)G * H * nb.nnz);
	sc = zeros((long)G * n * H * 2);
	gat_attn_fwd(o, att, sc, z, a_src, a_dst, &nb, NULL, G, D, H);
	for (int g = 0; g < G; g++)
		for (int h = 0; h < H; h++)
			for (int i = 0; i < n; i++)
				for (int k = 0; k < dh; k++) {
					double s = 0;

					for (int p = nb.start[i]; p < nb.start[i + 1]; p++)
						s += (double)att[(g * H + h) * nb.nnz + p] *
						     z[((long)g * n + nb.idx[p]) * D + h * dh + k];
					expect_near(o[((long)g * n + i) * D + h * dh + k], s, 1e-5);
				}
	gat_nbrs_free(&nb);
	free(z); free(a_src); free(a_dst); free(o); free(att); free(sc);
}

/* ---- mean, cross-entropy ---- */

struct mean_probe {
	struct probe p;
	float *x, *y;
};

static double mean_loss(struct probe *p)
{
	struct mean_probe *m = (struct mean_probe *)p;

	mean_fwd(m->y, m->x, 3, 4, 5);
	return dot(p->r, m->y, p->ny);
}

ARPG_TEST(mean_backward_matches_finite_differences)
{
	test_rng = 107;
	struct mean_probe m;
	float *dx = zeros(60);

	m.x = randv(60, 1);
	m.y = zeros(15);
	m.p.r = randv(15, 1);
	m.p.ny = 15;
	m.p.loss = mean_loss;
	mean_bwd(dx, m.p.r, 3, 4, 5);
	expect_fd(&m.p, m.x, 60, dx);
	free(m.x); free(m.y); free(m.p.r); free(dx);
}

struct mean_keep_probe {
	struct probe p;
	float *x, *y;
	const uint8_t *keep;
};

static double mean_keep_loss(struct probe *p)
{
	struct mean_keep_probe *m = (struct mean_keep_probe *)p;

	mean_keep_fwd(m->y, m->x, m->keep, 3, 4, 5);
	return dot(p->r, m->y, p->ny);
}

ARPG_TEST(mean_over_kept_rows_matches_finite_differences)
{
	test_rng = 111;
	static const uint8_t keep[12] = { 1, 0, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1 };
	struct mean_keep_probe m = { .keep = keep };
	float *dx = zeros(60);

	m.x = randv(60, 1);
	m.y = zeros(15);
	m.p.r = randv(15, 1);
	m.p.ny = 15;
	m.p.loss = mean_keep_loss;
	mean_keep_loss(&m.p);
	/* group 1 keeps row 3 only: its mean is that row */
	for (int d = 0; d < 5; d++)
		expect_near(m.y[5 + d], m.x[(4 + 3) * 5 + d], 1e-7);
	mean_keep_bwd(dx, m.p.r, keep, 3, 4, 5);
	expect_fd(&m.p, m.x, 60, dx);
	for (int d = 0; d < 5; d++)
		expect(dx[(4 + 0) * 5 + d] == 0);	/* a dropped row gets nothing */
	free(m.x); free(m.y); free(m.p.r); free(dx);
}

struct xent_probe {
	struct probe p;
	float *logits, *probs;
	int labels[4];
	const struct xent_opts *o;
};

static double xent_loss(struct probe *p)
{
	struct xent_probe *x = (struct xent_probe *)p;

	return xent_fwd(x->probs, x->logits, x->labels, x->o, 4, 6);
}

ARPG_TEST(cross_entropy_backward_matches_finite_differences)
{
	test_rng = 108;
	struct xent_probe x = { .labels = { 0, 5, 2, 2 } };
	float *dl = zeros(24);

	x.logits = randv(24, 3);
	x.probs = zeros(24);
	x.p.loss = xent_loss;
	xent_loss(&x.p);
	xent_bwd(dl, x.probs, x.labels, NULL, 1.0f, 4, 6);
	expect_fd(&x.p, x.logits, 24, dl);
	/* a large logit must not overflow */
	x.logits[0] = 1e4f;
	expect(isfinite(xent_loss(&x.p)));
	free(x.logits); free(x.probs); free(dl);
}

ARPG_TEST(weighted_smoothed_cross_entropy_matches_finite_differences)
{
	test_rng = 112;
	static const float w[6] = { 0.5f, 2, 1, 0.25f, 1.5f, 0.75f };
	struct xent_opts o = { w, 0.1f }, plain = { NULL, 0 };
	struct xent_probe x = { .labels = { 0, 5, 2, 2 }, .o = &o };
	float *dl = zeros(24), *dl2 = zeros(24);
	double l, lnull;

	x.logits = randv(24, 3);
	x.probs = zeros(24);
	x.p.loss = xent_loss;
	xent_loss(&x.p);
	/* scale 0.5 twice: the gradient of the whole loss, as mixup adds it */
	xent_bwd(dl, x.probs, x.labels, &o, 0.5f, 4, 6);
	xent_bwd(dl, x.probs, x.labels, &o, 0.5f, 4, 6);
	expect_fd(&x.p, x.logits, 24, dl);
	/* the smoothing and weights by hand: sum_b ((1-e) w_y (-log p_y) +
	 * e/C sum_c w_c (-log p_c)) / sum_b w_y, from the float32 p (whence
	 * the tolerance) */
	{
		double num = 0, z = 0;

		for (int b = 0; b < 4; b++) {
			int y = x.labels[b];

			num += 0.9 * w[y] * -log(x.probs[b * 6 + y]);
			for (int c = 0; c < 6; c++)
				num += 0.1 / 6 * w[c] * -log(x.probs[b * 6 + c]);
			z += w[y];
		}
		expect_near(xent_loss(&x.p), num / z, 1e-5 * num / z);
	}
	/* options that change nothing give the plain loss and gradient */
	x.o = &plain;
	l = xent_loss(&x.p);
	xent_bwd(dl2, x.probs, x.labels, &plain, 1.0f, 4, 6);
	x.o = NULL;
	lnull = xent_loss(&x.p);
	expect_near(l, lnull, 1e-12);
	memset(dl, 0, sizeof *dl * 24);
	xent_bwd(dl, x.probs, x.labels, NULL, 1.0f, 4, 6);
	for (int i = 0; i < 24; i++)
		expect_near(dl[i], dl2[i], 1e-7);
	free(x.logits); free(x.probs); free(dl); free(dl2);
}

/* Rows labelled -1 (unlabelled frames of --per-frame) carry no loss: the
 * loss is that of the labelled rows alone, with and without options, and
 * their logits get no gradient. */
ARPG_TEST(cross_entropy_ignores_rows_labelled_minus_one)
{
	test_rng = 113;
	static const float w[6] = { 0.5f, 2, 1, 0.25f, 1.5f, 0.75f };
	struct xent_opts o = { w, 0.1f };
	const struct xent_opts *opts[2] = { NULL, &o };
	struct xent_probe x = { .labels = { 0, -1, 2, -1 } }, y = { .labels = { 0, 2 } };
	float *dl = zeros(24);

	x.logits = randv(24, 3);
	x.probs = zeros(24);
	y.logits = zeros(12);
	y.probs = zeros(12);
	memcpy(y.logits, x.logits, sizeof(float) * 6);
	memcpy(y.logits + 6, x.logits + 12, sizeof(float) * 6);
	x.p.loss = xent_loss;
	for (int k = 0; k < 2; k++) {
		x.o = y.o = opts[k];
		memset(dl, 0, sizeof *dl * 24);
		xent_loss(&x.p);
		xent_bwd(dl, x.probs, x.labels, x.o, 1.0f, 4, 6);
		expect_fd(&x.p, x.logits, 24, dl);
		expect_near(xent_loss(&x.p), xent_fwd(y.probs, y.logits, y.labels, y.o, 2, 6), 1e-12);
		for (int c = 0; c < 6; c++)
			expect(dl[6 + c] == 0 && dl[18 + c] == 0);
	}
	/* no labelled row: no loss, no gradient */
	x.labels[0] = x.labels[2] = -1;
	expect(xent_loss(&x.p) == 0);
	free(x.logits); free(x.probs); free(y.logits); free(y.probs); free(dl);
}

ARPG_TEST(position_encoding_is_sinusoidal)
{
	test_rng = 109;
	float pe[4 * 8];

	posenc(pe, 4, 8);
	expect_near(pe[0], 0.0, 1e-7);				/* sin(0) */
	expect_near(pe[1], 1.0, 1e-7);				/* cos(0) */
	expect_near(pe[8 + 0], sin(1.0), 1e-6);		/* t=1, i=0 */
	expect_near(pe[3 * 8 + 2], sin(3 / pow(1e4, 2.0 / 8)), 1e-6);
	expect_near(pe[3 * 8 + 3], cos(3 / pow(1e4, 2.0 / 8)), 1e-6);
}

/* mixup's Beta(a, a): the mean 1/2 and the variance 1 / (4 (2a + 1)),
 * for a shape below 1 (Gamma(k + 1) U^(1/k)) and above. */
ARPG_TEST(rng_beta_has_the_moments_of_beta)
{
	static const double as[] = { 0.2, 1, 4 };
	uint64_t s = 11;

	for (size_t i = 0; i < sizeof as / sizeof *as; i++) {
		double a = as[i], sum = 0, ss = 0, var, want = 1 / (4 * (2 * a + 1));
		int n = 200000, out = 0;

		for (int k = 0; k < n; k++) {
			double x = rng_beta(&s, a, a);

			out += !(x >= 0 && x <= 1);
			sum += x;
			ss += x * x;
		}
		var = ss / n - (sum / n) * (sum / n);
		expect_int(out, 0);
		if (fabs(sum / n - 0.5) > 0.005 || fabs(var - want) > 0.03 * want)
			arpg_test_fail(__FILE__, __LINE__, "Beta(%g, %g): mean %g var %g, want 0.5 %g",
				       a, a, sum / n, var, want);
	}
}
