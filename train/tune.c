/* tune.c - the backbone's tail as trainer layers (see tune.h).
 * Convolutions are im2col + BLIS sgemm over a chunk of samples at a time
 * (their columns side by side), forward and backward (dW += dy cols^T,
 * dcols = W^T dy, col2im into dx): one GEMM per chunk packs the weights
 * once, where a GEMM per sample packed them again for every 49 columns.
 * The 3x3 stride-1 convolutions, most of the work, run by Winograd
 * instead: forward and input gradient on common/onnx's kernels
 * (onnx_wino.h), the weight gradient in tune_wgrad.c.  The GEMMs share
 * C's columns among the threads (gemm_cols), each share on one thread:
 * BLIS's own threads meet at a barrier per block and spin there, which
 * on a busy machine cost more CPU than the work (the same bits). */
#include "tune.h"
#include "error.h"
#include "layers.h"
#include "tune_wgrad.h"
#include "tune_phase.h"
#include "onnx/onnx_wino.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static int out_side(int s, int k, int stride, int pad) { return (s + 2 * pad - k) / stride + 1; }

struct tune *tune_new(int c, int h, int w)
{
	struct tune *t = calloc(1, sizeof *t);

	if (!t || !(t->vals = malloc(sizeof *t->vals))) {
		free(t);
		return NULL;
	}
	t->vals[0] = (struct tune_val){ c, h, w, 0, 0 };
	t->nvals = 1;
	t->wino = 4;
	return t;
}

void tune_free(struct tune *t)
{
	if (!t)
		return;
	free(t->ops);
	free(t->vals);
	free(t->params);
	free(t->grads);
	free(t->consts);
	free(t->act);
	free(t->dact);
	free(t->dset);
	free(t->cols);
	free(t->dcols);
	free(t->ycols);
	for (int i = 0; t->wc && i < t->nops; i++) {
		free(t->wc[i].U[0]);
		free(t->wc[i].U[1]);
		free(t->wc[i].w);
		free(t->wc[i].dU);
	}
	free(t->wc);
	free(t->wscr);
	free(t);
}

static size_t val_size(const struct tune_val *v) { return (size_t)v->c * v->h * v->w; }

/* Appends op with a new output value c x h x w; the value index or -1. */
static int add_op(struct tune *t, struct tune_op *op, int c, int h, int w)
{
	struct tune_op *ops;
	struct tune_val *vals;

	if (t->failed || c < 1 || h < 1 || w < 1) {
		t->failed = 1;
		return -1;
	}
	if (!(ops = realloc(t->ops, sizeof *ops * (size_t)(t->nops + 1)))) {
		t->failed = 1;
		return -1;
	}
	t->ops = ops;
	if (!(vals = realloc(t->vals, sizeof *vals * (size_t)(t->nvals + 1)))) {
		t->failed = 1;
		return -1;
	}
	t->vals = vals;
	op->out = t->nvals;
	t->vals[t->nvals++] = (struct tune_val){ c, h, w, 0, 0 };
	t->ops[t->nops++] = *op;
	return op->out;
}

static int bad_in(struct tune *t, int in)
{
	if (t->failed || in < 0 || in >= t->nvals) {
		t->failed = 1;
		return 1;
	}
	return 0;
}

int tune_conv(struct tune *t, int in, int cout, int k, int stride, int pad, int bias)
{
	struct tune_op op = { .kind = TUNE_CONV, .in = in, .k = k, .stride = stride, .pad = pad,
			      .bias = bias };
	const struct tune_val *v;

	if (bad_in(t, in) || k < 1 || stride < 1 || pad < 0) {
		t->failed = 1;
		return -1;
	}
	v = &t->vals[in];
	op.w = t->nparams;
	op.b = op.w + (size_t)cout * v->c * k * k;
	t->nparams = op.b + (bias ? (size_t)cout : 0);
	return add_op(t, &op, cout, out_side(v->h, k, stride, pad), out_side(v->w, k, stride, pad));
}

int tune_bn(struct tune *t, int in, float eps)
{
	struct tune_op op = { .kind = TUNE_BN, .in = in, .eps = eps };
	struct tune_val v;

	if (bad_in(t, in))
		return -1;
	v = t->vals[in];
	op.w = t->nparams;
	op.b = op.w + (size_t)v.c;
	t->nparams = op.b + (size_t)v.c;
	op.stat = t->nconsts;
	t->nconsts += 2 * (size_t)v.c;
	return add_op(t, &op, v.c, v.h, v.w);
}

int tune_prelu(struct tune *t, int in)
{
	struct tune_op op = { .kind = TUNE_PRELU, .in = in };
	struct tune_val v;

	if (bad_in(t, in))
		return -1;
	v = t->vals[in];
	op.w = t->nparams;
	t->nparams += (size_t)v.c;
	return add_op(t, &op, v.c, v.h, v.w);
}

int tune_add(struct tune *t, int in, int in2)
{
	struct tune_op op = { .kind = TUNE_ADD, .in = in, .in2 = in2 };
	struct tune_val a, b;

	if (bad_in(t, in) || bad_in(t, in2))
		return -1;
	a = t->vals[in], b = t->vals[in2];
	if (a.c != b.c || a.h != b.h || a.w != b.w) {
		t->failed = 1;
		return -1;
	}
	return add_op(t, &op, a.c, a.h, a.w);
}

int tune_fc(struct tune *t, int in, int E, int bias)
{
	struct tune_op op = { .kind = TUNE_FC, .in = in, .bias = bias };
	const struct tune_val *v;

	if (bad_in(t, in))
		return -1;
	v = &t->vals[in];
	op.w = t->nparams;
	op.b = op.w + (size_t)E * v->c * v->h * v->w;
	t->nparams = op.b + (bias ? (size_t)E : 0);
	return add_op(t, &op, E, 1, 1);
}

/* Samples per GEMM of a convolution: as many as keep its columns (K x
 * samples*P) under TUNE_COLS_MAX floats, so that the weights are packed
 * once for many samples, not once a sample. */
static int conv_chunk(const struct tune *t, const struct tune_op *op)
{
	const struct tune_val *x = &t->vals[op->in], *y = &t->vals[op->out];
	size_t per = (size_t)x->c * op->k * op->k * y->h * y->w;
	size_t m = TUNE_COLS_MAX / per;

	return m < 1 ? 1 : m > (size_t)t->max_n ? t->max_n : (int)m;
}

int tune_finish(struct tune *t, int max_n)
{
	size_t off = 0, doff = 0, cols = 1, ycols = 1;

	if (t->failed || t->nops < 1 || max_n < 1)
		return ARPG_EINVAL;
	t->max_n = max_n;
	t->bwd_n = max_n < TUNE_BWD_N ? max_n : TUNE_BWD_N;
	for (int i = 0; i < t->nvals; i++) {
		t->vals[i].off = off;
		t->vals[i].doff = doff;
		off += val_size(&t->vals[i]) * (size_t)max_n;
		doff += val_size(&t->vals[i]) * (size_t)t->bwd_n;
	}
	t->nact = off;
	t->ndact = doff;
	for (int i = 0; i < t->nops; i++) {
		const struct tune_op *op = &t->ops[i];
		const struct tune_val *x = &t->vals[op->in], *y = &t->vals[op->out];
		size_t m, P = (size_t)y->h * y->w;

		if (op->kind != TUNE_CONV)
			continue;
		m = (size_t)conv_chunk(t, op);
		if ((size_t)x->c * op->k * op->k * P * m > cols)
			cols = (size_t)x->c * op->k * op->k * P * m;
		if ((size_t)y->c * P * m > ycols)
			ycols = (size_t)y->c * P * m;
	}
	t->ncols = cols;
	t->params = calloc(t->nparams ? t->nparams : 1, sizeof *t->params);
	t->grads = calloc(t->nparams ? t->nparams : 1, sizeof *t->grads);
	t->consts = calloc(t->nconsts ? t->nconsts : 1, sizeof *t->consts);
	t->act = calloc(off, sizeof *t->act);
	t->dact = calloc(doff, sizeof *t->dact);
	t->dset = calloc((size_t)t->nvals, 1);
	t->cols = malloc(sizeof *t->cols * cols);
	t->dcols = malloc(sizeof *t->dcols * cols);
	t->ycols = malloc(sizeof *t->ycols * ycols);
	t->wc = calloc((size_t)t->nops, sizeof *t->wc);
	if (!t->params || !t->grads || !t->consts || !t->act || !t->dact || !t->dset || !t->cols ||
	    !t->dcols || !t->ycols || !t->wc)
		return ARPG_ENOMEM;
	return 0;
}

int tune_out_dim(const struct tune *t) { return (int)val_size(&t->vals[t->nvals - 1]); }
size_t tune_in_dim(const struct tune *t) { return val_size(&t->vals[0]); }

float *tune_input(struct tune *t) { return t->act; }

void tune_zero_grads(struct tune *t) { memset(t->grads, 0, sizeof *t->grads * t->nparams); }

/* A convolution's shapes: its input c x h x w, kernel, stride, padding and
 * output side ho x wo. */
struct conv_geom {
	int c, h, w, k, stride, pad, ho, wo;
};

static struct conv_geom conv_geom(const struct tune *t, const struct tune_op *op)
{
	const struct tune_val *x = &t->vals[op->in], *y = &t->vals[op->out];

	return (struct conv_geom){ x->c, x->h, x->w, op->k, op->stride, op->pad, y->h, y->w };
}

/* The outputs [*lo, *hi) of a side of no outputs whose input o * stride -
 * pad + kk falls inside 0..n-1: im2col and col2im test these bounds once
 * per kernel offset instead of once per element. */
static void valid_range(int n, int no, int kk, int stride, int pad, int *lo, int *hi)
{
	int a = pad - kk, b = n + pad - kk;	/* o * stride in [a, b) */

	*lo = a <= 0 ? 0 : (a + stride - 1) / stride;
	*hi = b <= 0 ? 0 : (b + stride - 1) / stride;
	if (*hi > no)
		*hi = no;
	if (*lo > *hi)
		*lo = *hi;
}

/* x (C, H, W) -> cols (C*k*k rows of ld floats, this sample's Ho*Wo from
 * the first), zeros outside the map. */
static void im2col(float *cols, size_t ld, const float *x, const struct conv_geom *g)
{
	size_t P = (size_t)g->ho * g->wo;

	for (int ci = 0; ci < g->c; ci++)
		for (int ky = 0; ky < g->k; ky++)
			for (int kx = 0; kx < g->k; kx++) {
				float *d = cols + ((size_t)(ci * g->k + ky) * g->k + kx) * ld;
				int y0, y1, x0, x1;

				valid_range(g->h, g->ho, ky, g->stride, g->pad, &y0, &y1);
				valid_range(g->w, g->wo, kx, g->stride, g->pad, &x0, &x1);
				memset(d, 0, sizeof *d * (size_t)y0 * g->wo);
				for (int oy = y0; oy < y1; oy++) {
					float *dr = d + (size_t)oy * g->wo;
					const float *sr = x + ((size_t)ci * g->h + oy * g->stride - g->pad +
							       ky) * g->w + x0 * g->stride - g->pad + kx;

					memset(dr, 0, sizeof *dr * (size_t)x0);
					if (g->stride == 1)
						memcpy(dr + x0, sr, sizeof *dr * (size_t)(x1 - x0));
					else
						for (int ox = x0; ox < x1; ox++)
							dr[ox] = sr[(size_t)(ox - x0) * g->stride];
					memset(dr + x1, 0, sizeof *dr * (size_t)(g->wo - x1));
				}
				memset(d + (size_t)y1 * g->wo, 0, sizeof *d * (P - (size_t)y1 * g->wo));
			}
}

/* dx (C, H, W) += the columns' gradients (rows of ld floats, this sample's
 * from the first) put back where im2col took them */
static void col2im(float *dx, const float *dcols, size_t ld, const struct conv_geom *g)
{
	for (int ci = 0; ci < g->c; ci++)
		for (int ky = 0; ky < g->k; ky++)
			for (int kx = 0; kx < g->k; kx++) {
				const float *s = dcols + ((size_t)(ci * g->k + ky) * g->k + kx) * ld;
				int y0, y1, x0, x1;

				valid_range(g->h, g->ho, ky, g->stride, g->pad, &y0, &y1);
				valid_range(g->w, g->wo, kx, g->stride, g->pad, &x0, &x1);
				for (int oy = y0; oy < y1; oy++) {
					const float *sr = s + (size_t)oy * g->wo;
					float *dr = dx + ((size_t)ci * g->h + oy * g->stride - g->pad + ky) *
						g->w + x0 * g->stride - g->pad + kx;

					for (int ox = x0; ox < x1; ox++)
						dr[(size_t)(ox - x0) * g->stride] += sr[ox];
				}
			}
}

void conv_naive(float *y, const float *x, const float *w, const float *b, int cin, int h,
		int wd, int cout, int k, int stride, int pad)
{
	int ho = out_side(h, k, stride, pad), wo = out_side(wd, k, stride, pad);

	for (int co = 0; co < cout; co++)
		for (int oy = 0; oy < ho; oy++)
			for (int ox = 0; ox < wo; ox++) {
				double s = b ? b[co] : 0;

				for (int ci = 0; ci < cin; ci++)
					for (int ky = 0; ky < k; ky++)
						for (int kx = 0; kx < k; kx++) {
							int iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;

							if (iy >= 0 && iy < h && ix >= 0 && ix < wd)
								s += (double)w[((size_t)(co * cin + ci) * k + ky) * k + kx] *
								     x[((size_t)ci * h + iy) * wd + ix];
						}
				y[((size_t)co * ho + oy) * wo + ox] = (float)s;
			}
}

/* The columns of samples x[0..m) side by side in t->cols (K, m*P). */
static void im2col_chunk(struct tune *t, const struct tune_op *op, const struct conv_geom *g,
			 const float *x, int m)
{
	size_t P = (size_t)g->ho * g->wo, ld = P * (size_t)m, in = val_size(&t->vals[op->in]);

	for (int s = 0; s < m; s++)
		im2col(t->cols + (size_t)s * P, ld, x + (size_t)s * in, g);
}

/* The Winograd tile of op for n samples: 4 or 2 for a 3x3 stride-1 pad-1
 * convolution where it beats im2col (arpg_wino_tile) and t->wino allows,
 * else 0. */
static int wino_tile(const struct tune *t, const struct tune_op *op, int n)
{
	const struct tune_val *x = &t->vals[op->in];
	int m;

	if (!t->wino || op->k != 3 || op->stride != 1 || op->pad != 1 || x->c < 16 ||
	    t->vals[op->out].c < 16)
		return 0;
	m = arpg_wino_tile(x->h, x->w, n);
	return m > t->wino ? t->wino : m;
}

/* *buf holds at least n floats, 64-byte aligned (the micro-kernel's
 * panels); 0 or ARPG_ENOMEM. */
static int grow_aligned(float **buf, size_t *have, size_t n)
{
	float *p;

	if (n <= *have)
		return 0;
	if (!(p = aligned_alloc(64, (n + 15) / 16 * 16 * sizeof *p)))
		return ARPG_ENOMEM;
	free(*buf);
	*buf = p;
	*have = n;
	return 0;
}

/* op's cached transforms (tune_wino), forgotten when the filters changed
 * since they were made (a compare of 2.4 M floats against a transform of
 * 85 M multiply-adds); NULL without memory. */
static struct tune_wino *filters_cache(struct tune *t, const struct tune_op *op)
{
	struct tune_wino *c = &t->wc[op - t->ops];
	size_t nw = (size_t)t->vals[op->out].c * t->vals[op->in].c * op->k * op->k;
	const float *W = t->params + op->w;

	if (!c->w && !(c->w = malloc(sizeof *c->w * nw)))
		return NULL;
	if (memcmp(c->w, W, sizeof *W * nw)) {
		memcpy(c->w, W, sizeof *W * nw);
		c->m[0] = c->m[1] = 0;
	}
	return c;
}

/* op's filters transformed for tile m, forward or (flip) for the input
 * gradient, made again only when the filters changed; NULL without
 * memory. */
static const float *wino_filters(struct tune *t, const struct tune_op *op, int m, int flip)
{
	struct tune_wino *c = filters_cache(t, op);
	int cin = t->vals[op->in].c, cout = t->vals[op->out].c;
	const float *W = t->params + op->w;

	if (!c)
		return NULL;
	if (c->m[flip] == m)
		return c->U[flip];
	c->m[flip] = 0;
	int M = flip ? cin : cout, C = flip ? cout : cin;	/* of the convolution U makes */

	if (grow_aligned(&c->U[flip], &c->nU[flip], arpg_wino_filters_floats(M, C, m)) < 0 ||
	    arpg_wino_filters(c->U[flip], W, M, C, m, flip) < 0)
		return NULL;
	c->m[flip] = m;
	return c->U[flip];
}

/* y (n, cout, H, W) = conv3x3(x (n, cin, H, W)) + res by Winograd, tile m,
 * with op's filters, or (flip) the input gradient of op: x is then dy and
 * cin, cout op's output and input channels.  0, or ARPG_ENOMEM with
 * nothing written (the caller falls back to im2col). */
static int conv_wino(struct tune *t, const struct tune_op *op, int m, int flip, float *y,
		     const float *x, const float *res, int n)
{
	const struct tune_val *v = &t->vals[flip ? op->out : op->in];
	int nth = 1, cout = t->vals[flip ? op->in : op->out].c;
	struct arpg_wino_conv c = { .x = x, .N = n, .C = v->c, .H = v->h, .W = v->w, .M = cout,
				    .m = m, .res = res, .y = y };

	if (!flip && op->bias)
		c.b = t->params + op->b;
#ifdef _OPENMP
	nth = omp_get_max_threads();
#endif
	if (!(c.U = wino_filters(t, op, m, flip)) ||
	    grow_aligned(&t->wscr, &t->nwscr, arpg_wino_scratch(v->c, cout, v->h, v->w, n, m,
								 nth)) < 0)
		return ARPG_ENOMEM;
	arpg_wino_conv(&c, t->wscr, nth);
	return 0;
}

/* The stride-2 3x3 convolution's whole-map algorithm (tune_phase.h) for
 * op: stride 2, padding 1, an even square map of at most PHASE_SIDE, and
 * channels as wino_tile asks; 1 with its matrices in *p, else 0.  At 14 x
 * 14 -> 7 x 7, 512 channels, its 256 GEMMs of 512 x 512 x 128 took 0.70
 * CPU seconds for 512 samples where im2col's 512 x 4608 GEMMs took 1.17. */
static int phase_fits(const struct tune *t, const struct tune_op *op, struct phase2 *p)
{
	const struct tune_val *x = &t->vals[op->in];

	return t->wino && op->k == 3 && op->stride == 2 && op->pad == 1 && x->h == x->w &&
	       x->c >= 16 && t->vals[op->out].c >= 16 && phase2_init(p, x->h) == 0;
}

/* op's filters' entries (phase2_filters), made again only when the
 * filters changed; NULL without memory. */
static const float *phase_filters(struct tune *t, const struct tune_op *op,
				  const struct phase2 *p)
{
	struct tune_wino *c = filters_cache(t, op);
	size_t np = (size_t)t->vals[op->out].c * t->vals[op->in].c;

	if (!c)
		return NULL;
	if (c->m[0] == TUNE_TILE_PHASE)
		return c->U[0];
	c->m[0] = 0;
	if (grow_aligned(&c->U[0], &c->nU[0], phase2_entries(p) * np) < 0)
		return NULL;
	phase2_filters(p, c->U[0], t->params + op->w, np);
	c->m[0] = TUNE_TILE_PHASE;
	return c->U[0];
}

/* Samples per round of n when each takes per floats of the scratch t->cols
 * (and of t->dcols): rounds of equal size, the last GEMMs not thin; 0 when
 * not even one fits. */
static int round_samples(const struct tune *t, size_t per, int n)
{
	int k, rounds;

	if (per > t->ncols)
		return 0;
	k = t->ncols / per < (size_t)n ? (int)(t->ncols / per) : n;
	rounds = (n + k - 1) / k;
	return (n + rounds - 1) / rounds;
}

/* db += the sum of dy (n, Cout, P) per channel, when op has a bias */
static void bias_grad(struct tune *t, const struct tune_op *op, const float *dy, int n)
{
	const struct tune_val *vy = &t->vals[op->out];
	size_t P = (size_t)vy->h * vy->w;

	for (int co = 0; op->bias && co < vy->c; co++) {
		double gb = 0;

		for (int s = 0; s < n; s++)
			for (size_t p = 0; p < P; p++)
				gb += dy[((size_t)s * vy->c + co) * P + p];
		t->grads[op->b + co] += (float)gb;
	}
}

/* y = op's convolution of x by the whole-map algorithm p: per round of
 * samples, their entries V in t->cols, a GEMM per entry (each on one
 * thread: the same bits at any thread count) into t->dcols, the outputs
 * back.  0, or ARPG_ENOMEM with nothing written (then im2col). */
static int conv_phase_fwd(struct tune *t, const struct tune_op *op, const struct phase2 *p,
			  float *y, const float *x, int n)
{
	const struct tune_val *vx = &t->vals[op->in], *vy = &t->vals[op->out];
	int cin = vx->c, cout = vy->c;
	size_t E = phase2_entries(p), np = (size_t)cin * cout, P = (size_t)vy->h * vy->w;
	const float *U = phase_filters(t, op, p);
	int k = round_samples(t, E * (size_t)(cin > cout ? cin : cout), n);

	if (!U || !k)
		return ARPG_ENOMEM;
	for (int s0 = 0, ns; s0 < n; s0 += ns) {
		ns = n - s0 < k ? n - s0 : k;
		phase2_input(p, t->cols, x + (size_t)s0 * val_size(vx), ns, cin);
#pragma omp parallel for schedule(static)
		for (size_t e = 0; e < E; e++)
			gemm1(cout, ns, cin, U + e * np, cin, 1, t->cols + e * cin * ns, ns, 1, 0.0f,
			      t->dcols + e * cout * ns, ns);
		phase2_output(p, y + (size_t)s0 * val_size(vy), t->dcols, ns, cout);
	}
	for (int s = 0; op->bias && s < n; s++)
		for (int co = 0; co < cout; co++)
			for (size_t q = 0; q < P; q++)
				y[((size_t)s * cout + co) * P + q] += t->params[op->b + co];
	return 0;
}

/* The backward of conv_phase_fwd: per round, the gradient's entries D
 * (the output transform's adjoint) in t->dcols and x's entries V in
 * t->cols; dU[e] += D[e] V[e]^T, in op's tune_wino, which tune_backward
 * turns into dW at its end (a pass of 64 samples per fold took 4 % of the
 * tail's time); then (dx not NULL) the entries' gradients U[e]^T D[e]
 * into t->cols and dx (acc: +=) their input transform's adjoint.  0, or
 * ARPG_ENOMEM with nothing done. */
static int conv_phase_bwd(struct tune *t, const struct tune_op *op, const struct phase2 *p,
			  float *dx, int acc, const float *dy, const float *x, int n)
{
	const struct tune_val *vx = &t->vals[op->in], *vy = &t->vals[op->out];
	struct tune_wino *c = &t->wc[op - t->ops];
	int cin = vx->c, cout = vy->c;
	size_t E = phase2_entries(p), np = (size_t)cin * cout;
	const float *U = phase_filters(t, op, p);
	int k = round_samples(t, E * (size_t)(cin > cout ? cin : cout), n);
	float *V = t->cols, *D = t->dcols;

	if (!U || !k || (!c->dU_live && grow_aligned(&c->dU, &c->ndU, E * np) < 0))
		return ARPG_ENOMEM;
	for (int s0 = 0, ns; s0 < n; s0 += ns) {
		float beta = c->dU_live ? 1.0f : 0.0f;

		ns = n - s0 < k ? n - s0 : k;
		phase2_grad_entries(p, D, dy + (size_t)s0 * val_size(vy), ns, cout);
		phase2_input(p, V, x + (size_t)s0 * val_size(vx), ns, cin);
#pragma omp parallel for schedule(static)
		for (size_t e = 0; e < E; e++)
			gemm1(cout, cin, ns, D + e * cout * ns, ns, 1, V + e * cin * ns, 1, ns, beta,
			      c->dU + e * np, cin);
		c->dU_live = 1;
		if (!dx)
			continue;
#pragma omp parallel for schedule(static)
		for (size_t e = 0; e < E; e++)
			gemm1(cin, ns, cout, U + e * np, 1, cin, D + e * cout * ns, ns, 1, 0.0f,
			      V + e * cin * ns, ns);
		phase2_input_grad(p, dx + (size_t)s0 * val_size(vx), acc, V, ns, cin);
	}
	bias_grad(t, op, dy, n);
	return 0;
}

/* dW += the filters' gradient of the entries' gradients summed over a
 * backward's passes (conv_phase_bwd), for every operation that has some. */
static void phase_fold(struct tune *t)
{
	for (int i = 0; i < t->nops; i++) {
		const struct tune_op *op = &t->ops[i];
		struct tune_wino *c = &t->wc[i];
		struct phase2 p;

		if (!c->dU_live || !phase_fits(t, op, &p))
			continue;
		phase2_filter_grad(&p, t->grads + op->w, c->dU,
				   (size_t)t->vals[op->in].c * t->vals[op->out].c);
		c->dU_live = 0;
	}
}

/* y (n, Cout, Ho, Wo) = conv(x (n, Cin, H, W)): per chunk of m samples,
 * im2col side by side (K, m*P), one GEMM into (Cout, m*P), then each
 * sample's P columns back to its own (Cout, P) with the bias. */
static void conv_fwd(struct tune *t, const struct tune_op *op, float *y, const float *x, int n)
{
	const struct tune_val *vx = &t->vals[op->in], *vy = &t->vals[op->out];
	struct conv_geom g = conv_geom(t, op);
	const float *W = t->params + op->w;
	int K = vx->c * op->k * op->k, P = vy->h * vy->w, chunk = conv_chunk(t, op);
	int wm = wino_tile(t, op, n);
	struct phase2 ph;

	if (wm && conv_wino(t, op, wm, 0, y, x, NULL, n) == 0)
		return;
	if (phase_fits(t, op, &ph) && conv_phase_fwd(t, op, &ph, y, x, n) == 0)
		return;
	for (int s0 = 0, m; s0 < n; s0 += m) {
		size_t ld;

		m = n - s0 < chunk ? n - s0 : chunk;
		ld = (size_t)m * P;
		im2col_chunk(t, op, &g, x + (size_t)s0 * val_size(vx), m);
		gemm_cols(vy->c, (int)ld, K, W, K, 1, t->cols, (int)ld, 1, 0.0f, t->ycols, (int)ld);
		for (int s = 0; s < m; s++)
			for (int co = 0; co < vy->c; co++) {
				float *d = y + ((size_t)(s0 + s) * vy->c + co) * P;
				const float *c = t->ycols + co * ld + (size_t)s * P;

				if (!op->bias) {
					memcpy(d, c, sizeof *d * (size_t)P);
					continue;
				}
				for (int p = 0; p < P; p++)
					d[p] = c[p] + t->params[op->b + co];
			}
	}
}

/* dW += the filters' gradient by Winograd, tile m (see tune_wgrad.h), db
 * += sum dy; 1 when done, 0 when the im2col scratch, which it uses, is
 * too small for its transforms (then nothing is done). */
static int conv_wgrad_wino(struct tune *t, const struct tune_op *op, const float *dy,
			   const float *x, int n, int m)
{
	const struct tune_val *vx = &t->vals[op->in], *vy = &t->vals[op->out];
	int k = round_samples(t, wgrad_sample_floats(vx->c, vx->h, vx->w, vy->c, m), n);

	if (wgrad_fixed_floats(vx->c, vy->c, m) > t->ncols || !k)
		return 0;
	wgrad_conv3x3(t->grads + op->w, x, dy, n, vx->c, vx->h, vx->w, vy->c, m, t->dcols, t->cols,
		      k);
	bias_grad(t, op, dy, n);
	return 1;
}

/* dW += dy cols^T, db += sum dy, and (dx not NULL) dx += col2im(W^T dy)
 * (dx = when acc is 0), a chunk of samples a GEMM as in conv_fwd: dy's
 * samples gathered side by side (Cout, m*P) first. */
static void conv_bwd(struct tune *t, const struct tune_op *op, float *dx, int acc,
		     const float *dy, const float *x, int n)
{
	const struct tune_val *vx = &t->vals[op->in], *vy = &t->vals[op->out];
	struct conv_geom g = conv_geom(t, op);
	const float *W = t->params + op->w;
	float *dW = t->grads + op->w;
	int K = vx->c * op->k * op->k, P = vy->h * vy->w, chunk = conv_chunk(t, op);
	int wm = wino_tile(t, op, n), wdone = 0;
	struct phase2 ph;

	if (phase_fits(t, op, &ph) && conv_phase_bwd(t, op, &ph, dx, acc, dy, x, n) == 0)
		return;
	/* dx += the convolution of dy by the flipped, transposed filters */
	if (wm && dx && conv_wino(t, op, wm, 1, dx, dy, acc ? dx : NULL, n) == 0)
		dx = NULL;
	if (wm && (wdone = conv_wgrad_wino(t, op, dy, x, n, wm)) && !dx)
		return;
	if (dx && !acc)		/* col2im adds */
		memset(dx, 0, sizeof *dx * val_size(vx) * (size_t)n);
	for (int s0 = 0, m; s0 < n; s0 += m) {
		size_t ld;

		m = n - s0 < chunk ? n - s0 : chunk;
		ld = (size_t)m * P;
		for (int s = 0; s < m; s++)
			for (int co = 0; co < vy->c; co++)
				memcpy(t->ycols + co * ld + (size_t)s * P,
				       dy + ((size_t)(s0 + s) * vy->c + co) * P, sizeof *dy * (size_t)P);
		if (!wdone) {
			im2col_chunk(t, op, &g, x + (size_t)s0 * val_size(vx), m);
			/* dW (Cout, K) += dy (Cout, m*P) cols^T (m*P, K) */
			gemm_cols(vy->c, K, (int)ld, t->ycols, (int)ld, 1, t->cols, 1, (int)ld, 1.0f,
				  dW, K);
		}
		for (int co = 0; !wdone && op->bias && co < vy->c; co++) {
			double gb = 0;

			for (size_t p = 0; p < ld; p++)
				gb += t->ycols[co * ld + p];
			t->grads[op->b + co] += (float)gb;
		}
		if (!dx)
			continue;
		/* dcols (K, m*P) = W^T (K, Cout) dy (Cout, m*P) */
		gemm_cols(K, (int)ld, vy->c, W, 1, K, t->ycols, (int)ld, 1, 0.0f, t->dcols, (int)ld);
		for (int s = 0; s < m; s++)
			col2im(dx + (size_t)(s0 + s) * val_size(vx), t->dcols + (size_t)s * P, ld, &g);
	}
}

/* The per-channel loops below run over one sample's channel block of P
 * values 16 lanes at a time in GCC's vector types (SSE or wider, whatever
 * the target has), their sums in float lanes added into double once a
 * block: one double accumulator serialised every add, and the compiler
 * at -O2 vectorises neither a reduction nor PReLU's select. */
typedef float v16f __attribute__((vector_size(64)));
typedef int v16i __attribute__((vector_size(64)));
#define LANES 16

/* The loops below are HOT (layers.h): a v16f is four SSE registers in
 * the plain build. */
/* No function takes or returns a vector: without AVX-512 that changes the
 * ABI (GCC warns), so loads and stores are memcpy and the select a macro. */
#define LOAD16(v, p) memcpy(&(v), (p), sizeof(v))
#define STORE16(p, v) memcpy((p), &(v), sizeof(v))
/* m ? a : b, lane by lane (m a comparison's all-ones or zero) */
#define SELECT16(m, a, b) ((v16f)(((m) & (v16i)(a)) | (~(m) & (v16i)(b))))

static double sum16(const v16f *v)
{
	double s = 0;

	for (int j = 0; j < LANES; j++)
		s += (*v)[j];
	return s;
}

/* y = (x - m) * k + b over P values */
HOT static void affine_block(float *y, const float *x, size_t P, float m, float k, float b)
{
	size_t p = 0;

	for (; p + LANES <= P; p += LANES) {
		v16f v;

		LOAD16(v, x + p);
		v = (v - m) * k + b;
		STORE16(y + p, v);
	}
	for (; p < P; p++)
		y[p] = (x[p] - m) * k + b;
}

/* sum dy * (x - m) into *sxy and sum dy into *sy, and (dx not NULL)
 * dx += dy * k (dx = when acc is 0), over P values */
HOT static void bn_bwd_block(float *dx, int acc, const float *dy, const float *x, size_t P, float m,
			 float k, double *sxy, double *sy)
{
	v16f axy = { 0 }, ay = { 0 };
	size_t p = 0;

	for (; p + LANES <= P; p += LANES) {
		v16f d, v, g;

		LOAD16(d, dy + p);
		LOAD16(v, x + p);
		axy += d * (v - m);
		ay += d;
		if (dx) {
			g = d * k;
			if (acc) {
				v16f o;

				LOAD16(o, dx + p);
				g += o;
			}
			STORE16(dx + p, g);
		}
	}
	for (int j = 0; p < P; p++, j++) {
		axy[j] += dy[p] * (x[p] - m);
		ay[j] += dy[p];
		if (dx)
			dx[p] = (acc ? dx[p] : 0.0f) + dy[p] * k;
	}
	*sxy += sum16(&axy);
	*sy += sum16(&ay);
}

/* y = x > 0 ? x : a x over P values */
HOT static void prelu_block(float *y, const float *x, size_t P, float a)
{
	const v16f zero = { 0 };
	size_t p = 0;

	for (; p + LANES <= P; p += LANES) {
		v16f v;

		LOAD16(v, x + p);
		v = SELECT16(v > zero, v, a * v);
		STORE16(y + p, v);
	}
	for (; p < P; p++)
		y[p] = x[p] > 0 ? x[p] : a * x[p];
}

/* sum of dy * x where x <= 0 into *s, and (dx not NULL) dx += dy where x
 * > 0, a dy elsewhere (dx = when acc is 0), over P values */
HOT static void prelu_bwd_block(float *dx, int acc, const float *dy, const float *x, size_t P,
			    float a, double *s)
{
	const v16f zero = { 0 };
	v16f sa = { 0 };
	size_t p = 0;

	for (; p + LANES <= P; p += LANES) {
		v16f v, d, g;
		v16i pos;

		LOAD16(v, x + p);
		LOAD16(d, dy + p);
		pos = v > zero;
		sa += SELECT16(pos, zero, d * v);
		if (dx) {
			g = SELECT16(pos, d, a * d);
			if (acc) {
				v16f o;

				LOAD16(o, dx + p);
				g += o;
			}
			STORE16(dx + p, g);
		}
	}
	for (int j = 0; p < P; p++, j++) {
		sa[j] += x[p] > 0 ? 0.0f : dy[p] * x[p];
		if (dx)
			dx[p] = (acc ? dx[p] : 0.0f) + (x[p] > 0 ? dy[p] : a * dy[p]);
	}
	*s += sum16(&sa);
}

/* y = (x - mean) / sqrt(var + eps) * g + b, per channel */
static void bn_fwd(struct tune *t, const struct tune_op *op, float *y, const float *x, int n)
{
	const struct tune_val *v = &t->vals[op->in];
	const float *g = t->params + op->w, *b = t->params + op->b;
	const float *mean = t->consts + op->stat, *var = mean + v->c;
	size_t P = (size_t)v->h * v->w;

	for (int s = 0; s < n; s++)
		for (int c = 0; c < v->c; c++) {
			size_t o = ((size_t)s * v->c + c) * P;

			affine_block(y + o, x + o, P, mean[c], g[c] / sqrtf(var[c] + op->eps), b[c]);
		}
}

static void bn_bwd(struct tune *t, const struct tune_op *op, float *dx, int acc,
		   const float *dy, const float *x, int n)
{
	const struct tune_val *v = &t->vals[op->in];
	const float *g = t->params + op->w;
	const float *mean = t->consts + op->stat, *var = mean + v->c;
	float *dg = t->grads + op->w, *db = t->grads + op->b;
	size_t P = (size_t)v->h * v->w;

	for (int c = 0; c < v->c; c++) {
		float rs = 1.0f / sqrtf(var[c] + op->eps);
		double sg = 0, sb = 0;

		for (int s = 0; s < n; s++) {
			size_t o = ((size_t)s * v->c + c) * P;

			bn_bwd_block(dx ? dx + o : NULL, acc, dy + o, x + o, P, mean[c], g[c] * rs,
				     &sg, &sb);
		}
		dg[c] += (float)(sg * rs);
		db[c] += (float)sb;
	}
}

static void prelu_fwd(struct tune *t, const struct tune_op *op, float *y, const float *x, int n)
{
	const struct tune_val *v = &t->vals[op->in];
	const float *a = t->params + op->w;
	size_t P = (size_t)v->h * v->w;

	for (int s = 0; s < n; s++)
		for (int c = 0; c < v->c; c++) {
			size_t o = ((size_t)s * v->c + c) * P;

			prelu_block(y + o, x + o, P, a[c]);
		}
}

static void prelu_bwd(struct tune *t, const struct tune_op *op, float *dx, int acc,
		      const float *dy, const float *x, int n)
{
	const struct tune_val *v = &t->vals[op->in];
	const float *a = t->params + op->w;
	float *da = t->grads + op->w;
	size_t P = (size_t)v->h * v->w;

	for (int c = 0; c < v->c; c++) {
		double sa = 0;

		for (int s = 0; s < n; s++) {
			size_t o = ((size_t)s * v->c + c) * P;

			prelu_bwd_block(dx ? dx + o : NULL, acc, dy + o, x + o, P, a[c], &sa);
		}
		da[c] += (float)sa;
	}
}

/* y (n, E) = x (n, D) W^T + b, W (E, D) */
static void fc_fwd(struct tune *t, const struct tune_op *op, float *y, const float *x, int n)
{
	int D = (int)val_size(&t->vals[op->in]), E = t->vals[op->out].c;

	gemm_cols(n, E, D, x, D, 1, t->params + op->w, 1, D, 0.0f, y, E);
	for (int s = 0; op->bias && s < n; s++)
		for (int e = 0; e < E; e++)
			y[(size_t)s * E + e] += t->params[op->b + e];
}

static void fc_bwd(struct tune *t, const struct tune_op *op, float *dx, int acc,
		   const float *dy, const float *x, int n)
{
	int D = (int)val_size(&t->vals[op->in]), E = t->vals[op->out].c;

	/* dW (E, D) += dy^T (E, n) x (n, D) */
	gemm_cols(E, D, n, dy, 1, E, x, D, 1, 1.0f, t->grads + op->w, D);
	for (int e = 0; op->bias && e < E; e++) {
		double g = 0;

		for (int s = 0; s < n; s++)
			g += dy[(size_t)s * E + e];
		t->grads[op->b + e] += (float)g;
	}
	if (dx)		/* dx (n, D) += dy (n, E) W (E, D) */
		gemm_cols(n, D, E, dy, E, 1, t->params + op->w, D, 1, acc ? 1.0f : 0.0f, dx, D);
}

void tune_forward(struct tune *t, const float *maps, int n, float *emb)
{
	const struct tune_val *last = &t->vals[t->nvals - 1];

	if (maps != t->act)	/* not loaded in place (tune_input) */
		memcpy(t->act, maps, sizeof *maps * tune_in_dim(t) * (size_t)n);
	for (int i = 0; i < t->nops; i++) {
		const struct tune_op *op = &t->ops[i];
		const float *x = t->act + t->vals[op->in].off;
		float *y = t->act + t->vals[op->out].off;

		switch (op->kind) {
		case TUNE_CONV: conv_fwd(t, op, y, x, n); break;
		case TUNE_BN: bn_fwd(t, op, y, x, n); break;
		case TUNE_PRELU: prelu_fwd(t, op, y, x, n); break;
		case TUNE_FC: fc_fwd(t, op, y, x, n); break;
		case TUNE_ADD: {
			const float *x2 = t->act + t->vals[op->in2].off;
			size_t m = val_size(&t->vals[op->out]) * (size_t)n;

			for (size_t j = 0; j < m; j++)
				y[j] = x[j] + x2[j];
			break;
		}
		}
	}
	memcpy(emb, t->act + last->off, sizeof *emb * val_size(last) * (size_t)n);
}

/* dx += dy, or dx = dy when acc is 0, over m values */
HOT static void add_bwd(float *dx, int acc, const float *dy, size_t m)
{
	if (!acc) {
		memcpy(dx, dy, sizeof *dx * m);
		return;
	}
	for (size_t j = 0; j < m; j++)
		dx[j] += dy[j];
}

/* The backward of samples s0..s0+n (n <= bwd_n) of the last forward:
 * their gradients in t->dact, the parameters' added to t->grads.  A
 * value's gradient is written by the first operation (in backward order)
 * that reads the value and added to by the others, t->dset[v] saying
 * which: zeroing every gradient first moved 230 MB per pass of 64
 * samples. */
static void backward_chunk(struct tune *t, const float *demb, int s0, int n)
{
	const struct tune_val *last = &t->vals[t->nvals - 1];

	memset(t->dset, 0, (size_t)t->nvals);
	memcpy(t->dact + last->doff, demb, sizeof *demb * val_size(last) * (size_t)n);
	t->dset[t->nvals - 1] = 1;
	for (int i = t->nops - 1; i >= 0; i--) {
		const struct tune_op *op = &t->ops[i];
		const struct tune_val *vin = &t->vals[op->in], *vout = &t->vals[op->out];
		const float *x = t->act + vin->off + (size_t)s0 * val_size(vin);
		float *dy = t->dact + vout->doff;
		/* the input map needs no gradient */
		float *dx = op->in ? t->dact + vin->doff : NULL;
		int acc = t->dset[op->in];

		if (!t->dset[op->out])	/* a value nothing after it read */
			memset(dy, 0, sizeof *dy * val_size(vout) * (size_t)n);
		t->dset[op->out] = 1;
		switch (op->kind) {
		case TUNE_CONV: conv_bwd(t, op, dx, acc, dy, x, n); break;
		case TUNE_BN: bn_bwd(t, op, dx, acc, dy, x, n); break;
		case TUNE_PRELU: prelu_bwd(t, op, dx, acc, dy, x, n); break;
		case TUNE_FC: fc_bwd(t, op, dx, acc, dy, x, n); break;
		case TUNE_ADD: {
			size_t m = val_size(vout) * (size_t)n;

			if (dx)
				add_bwd(dx, acc, dy, m);
			t->dset[op->in] = 1;
			if (op->in2)	/* after dx: in2 may be in */
				add_bwd(t->dact + t->vals[op->in2].doff, t->dset[op->in2], dy, m);
			t->dset[op->in2] = 1;
			break;
		}
		}
		t->dset[op->in] = 1;
	}
}

/* bwd_n samples at a time: the gradients of the values need not be kept
 * for the whole batch the forward kept the values of. */
void tune_backward(struct tune *t, const float *demb, int n)
{
	size_t E = val_size(&t->vals[t->nvals - 1]);

	for (int s0 = 0, m; s0 < n; s0 += m) {
		m = n - s0 < t->bwd_n ? n - s0 : t->bwd_n;
		backward_chunk(t, demb + (size_t)s0 * E, s0, m);
	}
	phase_fold(t);
}

int tune_build_iresnet(struct tune **tp, int blocks, int cin, int c, int h, int w, int emb,
		       int max_n)
{
	struct tune *t = tune_new(cin, h, w);
	int x = 0, rc;

	*tp = NULL;
	if (!t)
		return ARPG_ENOMEM;
	for (int i = 0; i < blocks; i++) {
		int stride = i ? 1 : 2, o, id = x;

		o = tune_bn(t, x, 1e-5f);
		o = tune_conv(t, o, c, 3, 1, 1, 0);
		o = tune_bn(t, o, 1e-5f);
		o = tune_prelu(t, o);
		o = tune_conv(t, o, c, 3, stride, 1, 0);
		o = tune_bn(t, o, 1e-5f);
		if (i == 0)
			id = tune_bn(t, tune_conv(t, x, c, 1, 2, 0, 0), 1e-5f);
		x = tune_add(t, o, id);
	}
	x = tune_bn(t, x, 1e-5f);
	x = tune_fc(t, x, emb, 1);
	tune_bn(t, x, 1e-5f);
	if ((rc = tune_finish(t, max_n)) < 0) {
		tune_free(t);
		return rc;
	}
	*tp = t;
	return 0;
}
