/* tune.c - the backbone's tail as trainer layers (see tune.h).
 * Convolutions are im2col + BLIS sgemm one sample at a time, forward and
 * backward (dW += dy cols^T, dcols = W^T dy, col2im into dx). */
#include "tune.h"
#include "error.h"
#include "layers.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int out_side(int s, int k, int stride, int pad) { return (s + 2 * pad - k) / stride + 1; }

struct tune *tune_new(int c, int h, int w)
{
	struct tune *t = calloc(1, sizeof *t);

	if (!t || !(t->vals = malloc(sizeof *t->vals))) {
		free(t);
		return NULL;
	}
	t->vals[0] = (struct tune_val){ c, h, w, 0 };
	t->nvals = 1;
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
	free(t->cols);
	free(t->dcols);
	free(t);
}

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
	t->vals[t->nvals++] = (struct tune_val){ c, h, w, 0 };
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

static size_t val_size(const struct tune_val *v) { return (size_t)v->c * v->h * v->w; }

int tune_finish(struct tune *t, int max_n)
{
	size_t off = 0, cols = 1;

	if (t->failed || t->nops < 1 || max_n < 1)
		return ARPG_EINVAL;
	t->max_n = max_n;
	for (int i = 0; i < t->nvals; i++) {
		t->vals[i].off = off;
		off += val_size(&t->vals[i]) * (size_t)max_n;
	}
	t->nact = off;
	for (int i = 0; i < t->nops; i++) {
		const struct tune_op *op = &t->ops[i];
		const struct tune_val *x = &t->vals[op->in], *y = &t->vals[op->out];
		size_t n = (size_t)x->c * op->k * op->k * y->h * y->w;

		if (op->kind == TUNE_CONV && n > cols)
			cols = n;
	}
	t->ncols = cols;
	t->params = calloc(t->nparams ? t->nparams : 1, sizeof *t->params);
	t->grads = calloc(t->nparams ? t->nparams : 1, sizeof *t->grads);
	t->consts = calloc(t->nconsts ? t->nconsts : 1, sizeof *t->consts);
	t->act = calloc(off, sizeof *t->act);
	t->dact = calloc(off, sizeof *t->dact);
	t->cols = malloc(sizeof *t->cols * cols);
	t->dcols = malloc(sizeof *t->dcols * cols);
	if (!t->params || !t->grads || !t->consts || !t->act || !t->dact || !t->cols || !t->dcols)
		return ARPG_ENOMEM;
	return 0;
}

int tune_out_dim(const struct tune *t) { return (int)val_size(&t->vals[t->nvals - 1]); }
size_t tune_in_dim(const struct tune *t) { return val_size(&t->vals[0]); }

void tune_zero_grads(struct tune *t) { memset(t->grads, 0, sizeof *t->grads * t->nparams); }

/* x (C, H, W) -> cols (C*k*k, Ho*Wo), zeros outside the map */
static void im2col(float *cols, const float *x, int c, int h, int w, int k, int stride, int pad,
		   int ho, int wo)
{
	for (int ci = 0; ci < c; ci++)
		for (int ky = 0; ky < k; ky++)
			for (int kx = 0; kx < k; kx++) {
				float *d = cols + ((size_t)(ci * k + ky) * k + kx) * ho * wo;

				for (int oy = 0; oy < ho; oy++) {
					int iy = oy * stride - pad + ky;

					for (int ox = 0; ox < wo; ox++) {
						int ix = ox * stride - pad + kx;

						d[oy * wo + ox] = iy >= 0 && iy < h && ix >= 0 && ix < w
							? x[((size_t)ci * h + iy) * w + ix] : 0.0f;
					}
				}
			}
}

/* dx (C, H, W) += the columns' gradients put back where im2col took them */
static void col2im(float *dx, const float *dcols, int c, int h, int w, int k, int stride,
		   int pad, int ho, int wo)
{
	for (int ci = 0; ci < c; ci++)
		for (int ky = 0; ky < k; ky++)
			for (int kx = 0; kx < k; kx++) {
				const float *s = dcols + ((size_t)(ci * k + ky) * k + kx) * ho * wo;

				for (int oy = 0; oy < ho; oy++) {
					int iy = oy * stride - pad + ky;

					if (iy < 0 || iy >= h)
						continue;
					for (int ox = 0; ox < wo; ox++) {
						int ix = ox * stride - pad + kx;

						if (ix >= 0 && ix < w)
							dx[((size_t)ci * h + iy) * w + ix] += s[oy * wo + ox];
					}
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

/* y (n, Cout, Ho, Wo) = conv(x (n, Cin, H, W)) */
static void conv_fwd(struct tune *t, const struct tune_op *op, float *y, const float *x, int n)
{
	const struct tune_val *vx = &t->vals[op->in], *vy = &t->vals[op->out];
	const float *W = t->params + op->w;
	int K = vx->c * op->k * op->k, P = vy->h * vy->w;
	int direct = op->k == 1 && op->stride == 1 && op->pad == 0;

	for (int s = 0; s < n; s++) {
		const float *xs = x + (size_t)s * val_size(vx);
		float *ys = y + (size_t)s * val_size(vy);

		if (!direct)
			im2col(t->cols, xs, vx->c, vx->h, vx->w, op->k, op->stride, op->pad, vy->h,
			       vy->w);
		gemm(vy->c, P, K, W, K, 1, direct ? xs : t->cols, P, 1, 0.0f, ys, P);
		for (int co = 0; op->bias && co < vy->c; co++)
			for (int p = 0; p < P; p++)
				ys[(size_t)co * P + p] += t->params[op->b + co];
	}
}

/* dW += dy cols^T, db += sum dy, and (dx not NULL) dx += col2im(W^T dy) */
static void conv_bwd(struct tune *t, const struct tune_op *op, float *dx, const float *dy,
		     const float *x, int n)
{
	const struct tune_val *vx = &t->vals[op->in], *vy = &t->vals[op->out];
	const float *W = t->params + op->w;
	float *dW = t->grads + op->w;
	int K = vx->c * op->k * op->k, P = vy->h * vy->w;
	int direct = op->k == 1 && op->stride == 1 && op->pad == 0;

	for (int s = 0; s < n; s++) {
		const float *xs = x + (size_t)s * val_size(vx);
		const float *dys = dy + (size_t)s * val_size(vy);

		if (!direct)
			im2col(t->cols, xs, vx->c, vx->h, vx->w, op->k, op->stride, op->pad, vy->h,
			       vy->w);
		/* dW (Cout, K) += dy (Cout, P) cols^T (P, K) */
		gemm(vy->c, K, P, dys, P, 1, direct ? xs : t->cols, 1, P, 1.0f, dW, K);
		for (int co = 0; op->bias && co < vy->c; co++) {
			double g = 0;

			for (int p = 0; p < P; p++)
				g += dys[(size_t)co * P + p];
			t->grads[op->b + co] += (float)g;
		}
		if (!dx)
			continue;
		if (direct) {	/* dx (K, P) += W^T (K, Cout) dy (Cout, P) */
			gemm(K, P, vy->c, W, 1, K, dys, P, 1, 1.0f, dx + (size_t)s * val_size(vx), P);
			continue;
		}
		gemm(K, P, vy->c, W, 1, K, dys, P, 1, 0.0f, t->dcols, P);
		col2im(dx + (size_t)s * val_size(vx), t->dcols, vx->c, vx->h, vx->w, op->k,
		       op->stride, op->pad, vy->h, vy->w);
	}
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
			float k = g[c] / sqrtf(var[c] + op->eps), m = mean[c], bb = b[c];
			size_t o = ((size_t)s * v->c + c) * P;

			for (size_t p = 0; p < P; p++)
				y[o + p] = (x[o + p] - m) * k + bb;
		}
}

static void bn_bwd(struct tune *t, const struct tune_op *op, float *dx, const float *dy,
		   const float *x, int n)
{
	const struct tune_val *v = &t->vals[op->in];
	const float *g = t->params + op->w;
	const float *mean = t->consts + op->stat, *var = mean + v->c;
	float *dg = t->grads + op->w, *db = t->grads + op->b;
	size_t P = (size_t)v->h * v->w;

	for (int c = 0; c < v->c; c++) {
		float rs = 1.0f / sqrtf(var[c] + op->eps), k = g[c] * rs;
		double sg = 0, sb = 0;

		for (int s = 0; s < n; s++) {
			size_t o = ((size_t)s * v->c + c) * P;

			for (size_t p = 0; p < P; p++) {
				sg += (double)dy[o + p] * (x[o + p] - mean[c]) * rs;
				sb += dy[o + p];
				if (dx)
					dx[o + p] += dy[o + p] * k;
			}
		}
		dg[c] += (float)sg;
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

			for (size_t p = 0; p < P; p++)
				y[o + p] = x[o + p] > 0 ? x[o + p] : a[c] * x[o + p];
		}
}

static void prelu_bwd(struct tune *t, const struct tune_op *op, float *dx, const float *dy,
		      const float *x, int n)
{
	const struct tune_val *v = &t->vals[op->in];
	const float *a = t->params + op->w;
	float *da = t->grads + op->w;
	size_t P = (size_t)v->h * v->w;

	for (int c = 0; c < v->c; c++) {
		double sa = 0;

		for (int s = 0; s < n; s++) {
			size_t o = ((size_t)s * v->c + c) * P;

			for (size_t p = 0; p < P; p++) {
				if (x[o + p] > 0) {
					if (dx)
						dx[o + p] += dy[o + p];
				} else {
					sa += (double)dy[o + p] * x[o + p];
					if (dx)
						dx[o + p] += a[c] * dy[o + p];
				}
			}
		}
		da[c] += (float)sa;
	}
}

/* y (n, E) = x (n, D) W^T + b, W (E, D) */
static void fc_fwd(struct tune *t, const struct tune_op *op, float *y, const float *x, int n)
{
	int D = (int)val_size(&t->vals[op->in]), E = t->vals[op->out].c;

	gemm(n, E, D, x, D, 1, t->params + op->w, 1, D, 0.0f, y, E);
	for (int s = 0; op->bias && s < n; s++)
		for (int e = 0; e < E; e++)
			y[(size_t)s * E + e] += t->params[op->b + e];
}

static void fc_bwd(struct tune *t, const struct tune_op *op, float *dx, const float *dy,
		   const float *x, int n)
{
	int D = (int)val_size(&t->vals[op->in]), E = t->vals[op->out].c;

	/* dW (E, D) += dy^T (E, n) x (n, D) */
	gemm(E, D, n, dy, 1, E, x, D, 1, 1.0f, t->grads + op->w, D);
	for (int e = 0; op->bias && e < E; e++) {
		double g = 0;

		for (int s = 0; s < n; s++)
			g += dy[(size_t)s * E + e];
		t->grads[op->b + e] += (float)g;
	}
	if (dx)		/* dx (n, D) += dy (n, E) W (E, D) */
		gemm(n, D, E, dy, E, 1, t->params + op->w, D, 1, 1.0f, dx, D);
}

void tune_forward(struct tune *t, const float *maps, int n, float *emb)
{
	const struct tune_val *last = &t->vals[t->nvals - 1];

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

void tune_backward(struct tune *t, const float *demb, int n)
{
	const struct tune_val *last = &t->vals[t->nvals - 1];

	memset(t->dact, 0, sizeof *t->dact * t->nact);
	memcpy(t->dact + last->off, demb, sizeof *demb * val_size(last) * (size_t)n);
	for (int i = t->nops - 1; i >= 0; i--) {
		const struct tune_op *op = &t->ops[i];
		const float *x = t->act + t->vals[op->in].off;
		const float *dy = t->dact + t->vals[op->out].off;
		/* the input map needs no gradient */
		float *dx = op->in ? t->dact + t->vals[op->in].off : NULL;

		switch (op->kind) {
		case TUNE_CONV: conv_bwd(t, op, dx, dy, x, n); break;
		case TUNE_BN: bn_bwd(t, op, dx, dy, x, n); break;
		case TUNE_PRELU: prelu_bwd(t, op, dx, dy, x, n); break;
		case TUNE_FC: fc_bwd(t, op, dx, dy, x, n); break;
		case TUNE_ADD: {
			size_t m = val_size(&t->vals[op->out]) * (size_t)n;
			float *dx2 = op->in2 ? t->dact + t->vals[op->in2].off : NULL;

			for (size_t j = 0; dx && j < m; j++)
				dx[j] += dy[j];
			for (size_t j = 0; dx2 && j < m; j++)
				dx2[j] += dy[j];
			break;
		}
		}
	}
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
