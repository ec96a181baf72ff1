/* The backbone's tail (train/tune.c): the im2col convolution against plain
 * loops on odd shapes, every gradient against central finite differences,
 * and iresnet18- and iresnet50-shaped tails against PyTorch in float64
 * (tests/train/golden/tune.golden): the embedding, the loss through a
 * linear classifier, every gradient, and one Adam step with the two
 * learning-rate groups of --tune-backbone (1e-4 tail, 1e-3 classifier);
 * the Winograd convolutions against im2col on a tail wide enough to use
 * them. */
#include "harness.h"
#include "golden.h"
#include "error.h"
#include "layers.h"
#include "optim.h"
#include "tune.h"
#include "onnx/onnx_wino.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float frand(uint64_t *s) { return (float)(rng_uniform(s) * 2 - 1); }

ARPG_TEST(tune_conv_matches_plain_loops)
{
	/* cin, h, w, cout, k, stride, pad */
	static const int shapes[][7] = { { 3, 7, 5, 4, 3, 1, 1 }, { 2, 6, 6, 5, 3, 2, 1 },
					 { 5, 5, 7, 3, 1, 2, 0 }, { 4, 4, 4, 2, 1, 1, 0 },
					 { 1, 9, 8, 3, 3, 2, 0 } };
	uint64_t rng = 7;

	for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
		const int *s = shapes[i];
		struct tune *t = tune_new(s[0], s[1], s[2]);
		int n = 2, out;
		size_t ny, nx;
		float *x, *y, *want;
		double md = 0;

		out = tune_conv(t, 0, s[3], s[4], s[5], s[6], 1);
		expect(out == 1);
		expect_int(tune_finish(t, n), 0);
		nx = tune_in_dim(t);
		ny = (size_t)tune_out_dim(t);
		x = malloc(sizeof *x * nx * n);
		y = malloc(sizeof *y * ny * n);
		want = malloc(sizeof *want * ny);
		for (size_t j = 0; j < nx * n; j++)
			x[j] = frand(&rng);
		for (size_t j = 0; j < t->nparams; j++)
			t->params[j] = frand(&rng);
		tune_forward(t, x, n, y);
		for (int b = 0; b < n; b++) {
			conv_naive(want, x + nx * b, t->params + t->ops[0].w, t->params + t->ops[0].b,
				   s[0], s[1], s[2], s[3], s[4], s[5], s[6]);
			for (size_t j = 0; j < ny; j++)
				md = fmax(md, fabs(y[ny * b + j] - want[j]));
		}
		if (!(md < 1e-5))
			arpg_test_fail(__FILE__, __LINE__, "shape %zu: max diff %.3g", i, md);
		free(x);
		free(y);
		free(want);
		tune_free(t);
	}
}

/* sum(emb * r) in double */
static double fd_loss(struct tune *t, const float *x, int n, const float *r, float *emb)
{
	double l = 0;

	tune_forward(t, x, n, emb);
	for (int j = 0; j < n * tune_out_dim(t); j++)
		l += (double)emb[j] * r[j];
	return l;
}

ARPG_TEST(tune_backward_matches_finite_differences)
{
	struct tune *t = NULL;
	uint64_t rng = 11;
	int n = 2, E;
	float *x, *r, *emb;
	double worst = 0;

	/* two blocks, a bias on the fc; a 5x5 map (odd: stride 2 pads) */
	expect_int(tune_build_iresnet(&t, 2, 3, 4, 5, 5, 3, n), 0);
	if (!t)
		return;
	E = tune_out_dim(t);
	x = malloc(sizeof *x * tune_in_dim(t) * n);
	r = malloc(sizeof *r * E * n);
	emb = malloc(sizeof *emb * E * n);
	for (size_t j = 0; j < tune_in_dim(t) * n; j++)
		x[j] = frand(&rng);
	for (int j = 0; j < E * n; j++)
		r[j] = frand(&rng);
	for (size_t j = 0; j < t->nparams; j++)
		t->params[j] = frand(&rng) * 0.5f + 0.3f;
	for (size_t j = 0; j < t->nconsts; j++)	/* means near 0, variances in [0.5, 1.5] */
		t->consts[j] = 0.1f * frand(&rng);
	for (int i = 0; i < t->nops; i++)
		if (t->ops[i].kind == TUNE_BN) {
			int c = t->vals[t->ops[i].in].c;

			for (int k = 0; k < c; k++)
				t->consts[t->ops[i].stat + c + k] = 1.0f + 0.5f * frand(&rng);
		}
	tune_zero_grads(t);
	fd_loss(t, x, n, r, emb);
	tune_backward(t, r, n);
	for (size_t j = 0; j < t->nparams; j++) {
		float keep = t->params[j], h = 1e-2f;
		double lp, lm, num, err;

		t->params[j] = keep + h;
		lp = fd_loss(t, x, n, r, emb);
		t->params[j] = keep - h;
		lm = fd_loss(t, x, n, r, emb);
		t->params[j] = keep;
		num = (lp - lm) / (2.0 * h);
		err = fabs(num - t->grads[j]) / fmax(1.0, fabs(num));
		worst = fmax(worst, err);
		if (!(err < 2e-2))
			arpg_test_fail(__FILE__, __LINE__, "param %zu: analytic %.6g numeric %.6g", j,
				       (double)t->grads[j], num);
	}
	arpg_test_note("%zu parameters, worst rel. error %.2g", t->nparams, worst);
	free(x);
	free(r);
	free(emb);
	tune_free(t);
}

/* Inputs *x (n samples) and output gradients *r of t, malloc'ed, uniform
 * in [-1, 1]; parameters uniform in [off - scale, off + scale]; BN
 * variances 1 +- 0.1, so they stay positive. */
static void randomise(struct tune *t, int n, uint64_t *rng, float scale, float off, float **x,
		      float **r)
{
	size_t D = tune_in_dim(t), E = (size_t)tune_out_dim(t);

	*x = malloc(sizeof **x * D * n);
	*r = malloc(sizeof **r * E * n);
	for (size_t j = 0; j < D * n; j++)
		(*x)[j] = frand(rng);
	for (size_t j = 0; j < E * n; j++)
		(*r)[j] = frand(rng);
	for (size_t j = 0; j < t->nparams; j++)
		t->params[j] = frand(rng) * scale + off;
	for (size_t j = 0; j < t->nconsts; j++)
		t->consts[j] = 1.0f + 0.1f * frand(rng);
}

/* A forward over more samples than a backward pass takes (TUNE_BWD_N),
 * its backward in passes, gives the parameters the gradients that one
 * sample at a time gives: the batch's samples, chunked, stay apart. */
ARPG_TEST(tune_backward_in_passes_matches_one_sample_at_a_time)
{
	struct tune *t = NULL;
	uint64_t rng = 5;
	int n = TUNE_BWD_N + 6, E;
	size_t D;
	float *x, *r, *emb, *whole;
	double worst = 0;

	expect_int(tune_build_iresnet(&t, 2, 3, 4, 5, 5, 3, n), 0);
	if (!t)
		return;
	E = tune_out_dim(t);
	D = tune_in_dim(t);
	randomise(t, n, &rng, 0.5f, 0.3f, &x, &r);
	emb = malloc(sizeof *emb * E * n);
	whole = malloc(sizeof *whole * t->nparams);
	tune_zero_grads(t);
	tune_forward(t, x, n, emb);
	tune_backward(t, r, n);
	memcpy(whole, t->grads, sizeof *whole * t->nparams);
	tune_zero_grads(t);
	for (int s = 0; s < n; s++) {
		tune_forward(t, x + D * s, 1, emb);
		tune_backward(t, r + (size_t)E * s, 1);
	}
	for (size_t j = 0; j < t->nparams; j++)
		worst = fmax(worst, fabs(whole[j] - t->grads[j]) / fmax(1.0, fabs(t->grads[j])));
	if (!(worst < 1e-4))
		arpg_test_fail(__FILE__, __LINE__, "worst rel. difference %.3g", worst);
	free(x);
	free(r);
	free(emb);
	free(whole);
	tune_free(t);
}

#define TOL 1e-5	/* the head's golden tolerance (tests/train/test_model.c) */

/* The relative error (golden_relerr) of got against want, floats. */
static double relerr_f(const float *got, const float *want, size_t n)
{
	double *w = malloc(sizeof *w * n), e;

	if (!w)
		return INFINITY;
	for (size_t i = 0; i < n; i++)
		w[i] = want[i];
	e = golden_relerr(got, w, (long)n);
	free(w);
	return e;
}

/* The 3x3 stride-1 convolutions by Winograd, F(4x4) and F(2x2), forward and
 * input gradient, and the stride-2 one by its whole-map algorithm
 * (tune_phase.h), give the embedding and every convolution's and the
 * whole tail's gradients that im2col gives (which the float64 golden
 * checks), within the golden tolerance: an iresnet50-shaped tail of 32
 * channels from 16 x 14 x 14, TUNE_BWD_N + 6 samples, so that the
 * backward runs in two passes whose entries' gradients the stride-2
 * convolution sums (F(4x4) pays at 7 x 7 from 12 samples). */
ARPG_TEST(tune_winograd_matches_im2col)
{
	struct tune *t = NULL;
	uint64_t rng = 11;
	int n = TUNE_BWD_N + 6, E;
	float *x, *r, *emb0, *emb, *g0;

	expect_int(arpg_wino_tile(7, 7, n), 4);
	expect_int(tune_build_iresnet(&t, 3, 16, 32, 14, 14, 8, n), 0);
	if (!t)
		return;
	E = tune_out_dim(t);
	randomise(t, n, &rng, 0.2f, 0.0f, &x, &r);
	emb0 = malloc(sizeof *emb0 * E * n);
	emb = malloc(sizeof *emb * E * n);
	g0 = malloc(sizeof *g0 * t->nparams);
	for (int m = 0; m <= 4; m += 2) {
		double e, worst = 0;

		t->wino = m;
		tune_zero_grads(t);
		tune_forward(t, x, n, m ? emb : emb0);
		tune_backward(t, r, n);
		if (!m) {
			memcpy(g0, t->grads, sizeof *g0 * t->nparams);
			continue;
		}
		worst = relerr_f(emb, emb0, (size_t)E * n);
		for (int i = 0; i < t->nops; i++) {	/* each operation's parameters */
			size_t end = t->nparams;

			if (t->ops[i].kind == TUNE_ADD)
				continue;
			for (int j = i + 1; j < t->nops && end == t->nparams; j++)
				if (t->ops[j].kind != TUNE_ADD)
					end = t->ops[j].w;
			e = relerr_f(t->grads + t->ops[i].w, g0 + t->ops[i].w, end - t->ops[i].w);
			worst = e > worst ? e : worst;
		}
		arpg_test_note("F(%dx%d): worst rel. error %.2g", m, m, worst);
		if (!(worst <= TOL))
			arpg_test_fail(__FILE__, __LINE__, "F(%dx%d): rel. error %.3g", m, m, worst);
	}
	free(x);
	free(r);
	free(emb0);
	free(emb);
	free(g0);
	tune_free(t);
}

struct golden_case {
	struct golden gold;	/* the case line and its arrays */
	int blocks, cin, c, side, emb, n, classes;
};

static const struct golden_arr *find(const struct golden_case *g, const char *name)
{
	return golden_find(&g->gold, name);
}

/* Reads the next case; 1, 0 at the end, -1 on a malformed file. */
static int read_case(FILE *f, struct golden_case *g)
{
	int r = golden_read(f, &g->gold);

	g->blocks = golden_int(&g->gold, "blocks");
	g->cin = golden_int(&g->gold, "cin");
	g->c = golden_int(&g->gold, "c");
	g->side = golden_int(&g->gold, "side");
	g->emb = golden_int(&g->gold, "emb");
	g->n = golden_int(&g->gold, "n");
	g->classes = golden_int(&g->gold, "classes");
	return r;
}

/* The update of one Adam step against the reference's: p is after the
 * step, p0 before it. */
static double step_err(const float *p, const double *p0, const double *want, long n)
{
	float *d = malloc(sizeof *d * n);
	double *w = malloc(sizeof *w * n), e;

	for (long i = 0; i < n; i++) {
		d[i] = (float)(p[i] - p0[i]);
		w[i] = want[i] - p0[i];
	}
	e = golden_relerr(d, w, n);
	free(d);
	free(w);
	return e;
}


ARPG_TEST(tune_matches_pytorch_golden)
{
	char path[4096];
	struct golden_case g;
	FILE *f;
	int ncase = 0, r;

	snprintf(path, sizeof path, "%s/tests/train/golden/tune.golden", arpg_test_srcdir());
	if (!(f = fopen(path, "r"))) {
		arpg_test_fail(__FILE__, __LINE__, "cannot open %s", path);
		return;
	}
	while ((r = read_case(f, &g)) == 1) {
		const struct golden_arr *p0 = find(&g, "params"), *h0 = find(&g, "head"),
				 *consts = find(&g, "consts"), *maps = find(&g, "maps"),
				 *lab = find(&g, "labels"), *wemb = find(&g, "emb"),
				 *loss = find(&g, "loss"), *grads = find(&g, "grads"),
				 *hgrads = find(&g, "hgrads"), *s1 = find(&g, "step1"),
				 *hs1 = find(&g, "hstep1");
		struct tune *t = NULL;
		struct adam ot, oh;
		int n = g.n, E = g.emb, C = g.classes, labels[16];
		float *x, *emb, *demb, *hp, *hg, *logits, *probs, *dlogits;
		double l, errs[6];

		ncase++;
		if (!p0 || !h0 || !consts || !maps || !lab || !wemb || !loss || !grads || !hgrads ||
		    !s1 || !hs1 || n > 16) {
			arpg_test_fail(__FILE__, __LINE__, "case %d incomplete", ncase);
			golden_free(&g.gold);
			break;
		}
		expect_int(tune_build_iresnet(&t, g.blocks, g.cin, g.c, g.side, g.side, E, n), 0);
		if (!t)
			break;
		expect_int((long)t->nparams, p0->n);
		expect_int((long)t->nconsts, consts->n);
		expect_int(h0->n, (long)E * C + C);
		if ((long)t->nparams != p0->n || (long)t->nconsts != consts->n) {
			tune_free(t);
			golden_free(&g.gold);
			continue;
		}
		for (long i = 0; i < p0->n; i++)
			t->params[i] = (float)p0->v[i];
		for (long i = 0; i < consts->n; i++)
			t->consts[i] = (float)consts->v[i];
		x = malloc(sizeof *x * maps->n);
		emb = calloc((size_t)n * E, sizeof *emb);
		demb = calloc((size_t)n * E, sizeof *demb);
		hp = malloc(sizeof *hp * h0->n);
		hg = calloc((size_t)h0->n, sizeof *hg);
		logits = malloc(sizeof *logits * n * C);
		probs = malloc(sizeof *probs * n * C);
		dlogits = calloc((size_t)n * C, sizeof *dlogits);
		for (long i = 0; i < maps->n; i++)
			x[i] = (float)maps->v[i];
		for (long i = 0; i < h0->n; i++)
			hp[i] = (float)h0->v[i];
		for (int i = 0; i < n; i++)
			labels[i] = (int)lab->v[i];
		/* forward: tail, classifier logits = emb W^T + b, W (C, E) */
		tune_zero_grads(t);
		tune_forward(t, x, n, emb);
		gemm(n, C, E, emb, E, 1, hp, 1, E, 0.0f, logits, C);
		for (int i = 0; i < n; i++)
			for (int c = 0; c < C; c++)
				logits[i * C + c] += hp[E * C + c];
		l = xent_fwd(probs, logits, labels, NULL, n, C);
		/* backward */
		xent_bwd(dlogits, probs, labels, NULL, 1.0f, n, C);
		gemm(C, E, n, dlogits, 1, C, emb, E, 1, 1.0f, hg, E);	/* dW += dlogits^T emb */
		for (int i = 0; i < n; i++)
			for (int c = 0; c < C; c++)
				hg[E * C + c] += dlogits[i * C + c];
		gemm(n, E, C, dlogits, C, 1, hp, E, 1, 0.0f, demb, E);	/* demb = dlogits W */
		tune_backward(t, demb, n);
		errs[0] = golden_relerr(emb, wemb->v, wemb->n);
		errs[1] = fabs(l - loss->v[0]) / fabs(loss->v[0]);
		errs[2] = golden_relerr(t->grads, grads->v, grads->n);
		errs[3] = golden_relerr(hg, hgrads->v, hgrads->n);
		/* one Adam step, two groups */
		expect_int(adam_init(&ot, OPT_ADAM, t->nparams), 0);
		expect_int(adam_init(&oh, OPT_ADAM, (size_t)h0->n), 0);
		ot.lr = 1e-4f;
		oh.lr = 1e-3f;
		adam_step(&ot, t->params, t->grads);
		adam_step(&oh, hp, hg);
		errs[4] = step_err(t->params, p0->v, s1->v, p0->n);
		errs[5] = step_err(hp, h0->v, hs1->v, h0->n);
		for (int i = 0; i < 4; i++)
			if (!(errs[i] <= TOL))
				arpg_test_fail(__FILE__, __LINE__, "case %d (%s): %s rel. error %.3g", ncase,
					       g.gold.line, (const char *[]){ "embedding", "loss",
									  "tail gradient",
									  "classifier gradient" }[i],
					       errs[i]);
		for (int i = 4; i < 6; i++)	/* as the head's test: float32 updates */
			if (!(errs[i] <= 1e-3))
				arpg_test_fail(__FILE__, __LINE__, "case %d (%s): %s step rel. error %.3g",
					       ncase, g.gold.line, i == 4 ? "tail" : "classifier", errs[i]);
		arpg_test_note("case %d:%s", ncase, g.gold.line);
		arpg_test_note("  rel. errors: embedding %.2g, loss %.2g, gradients tail %.2g "
			       "classifier %.2g, Adam step (lr 1e-4 / 1e-3) %.2g %.2g", errs[0],
			       errs[1], errs[2], errs[3], errs[4], errs[5]);
		adam_free(&ot);
		adam_free(&oh);
		free(x);
		free(emb);
		free(demb);
		free(hp);
		free(hg);
		free(logits);
		free(probs);
		free(dlogits);
		tune_free(t);
		golden_free(&g.gold);
	}
	fclose(f);
	if (r < 0)
		arpg_test_fail(__FILE__, __LINE__, "%s: malformed after case %d", path, ncase);
	expect(ncase >= 2);
}
