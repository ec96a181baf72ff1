/* onnx_plan.c - shapes, folding and fusion, the activation arena, and the
 * run loop.  Shapes are inferred over the whole graph as loaded (folded
 * nodes included), so a run with another batch size re-infers them cheaply;
 * execution skips the nodes folded into a neighbour. */
#include <limits.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "onnx_impl.h"
#include "error.h"

static char *shape_str(char *buf, size_t n, int rank, const int64_t *d)
{
	size_t k = 0;
	int i;

	buf[0] = 0;
	if (!rank)
		snprintf(buf, n, "scalar");
	for (i = 0; i < rank && k < n; i++)
		k += snprintf(buf + k, n - k, i ? "x%lld" : "%lld", (long long)d[i]);
	return buf;
}

#define NODE_ERR(code, ...) node_err(n, err, errn, code, __VA_ARGS__)

__attribute__((format(printf, 5, 6)))
static int node_err(const struct onx_node *n, char *err, size_t errn, int code,
		    const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return arpg_errf(err, errn, code, "node '%s' (%s): %s", n->name, n->opname, msg);
}

int onx_broadcast(int ra, const int64_t *a, int rb, const int64_t *b, int *ro, int64_t *o)
{
	int r = ra > rb ? ra : rb, i;

	for (i = 0; i < r; i++) {
		int64_t x = i < r - ra ? 1 : a[i - (r - ra)];
		int64_t y = i < r - rb ? 1 : b[i - (r - rb)];
		if (x != y && x != 1 && y != 1)
			return -1;
		o[i] = x == 1 ? y : x;
	}
	*ro = r;
	return 0;
}

/* Output side of a window op: effective pads from auto_pad stored in n->pad. */
static int window_out(struct onx_node *n, int ax, int64_t in, int64_t k, int ceil_mode,
		      int64_t *out)
{
	int64_t s = n->stride[ax], d = n->dil[ax], ek = (k - 1) * d + 1, o;

	if (n->auto_pad == PAD_SAME_UPPER || n->auto_pad == PAD_SAME_LOWER) {
		int64_t tot;
		o = (in + s - 1) / s;
		tot = (o - 1) * s + ek - in;
		if (tot < 0)
			tot = 0;
		if (n->auto_pad == PAD_SAME_UPPER)
			n->pad[ax] = tot / 2, n->pad[ax + 2] = tot - tot / 2;
		else
			n->pad[ax + 2] = tot / 2, n->pad[ax] = tot - tot / 2;
	} else if (n->auto_pad == PAD_VALID)
		n->pad[ax] = n->pad[ax + 2] = 0;
	in += n->pad[ax] + n->pad[ax + 2];
	if (in < ek)
		return -1;
	o = ceil_mode ? (in - ek + s - 1) / s + 1 : (in - ek) / s + 1;
	/* the last window must start inside the input or its begin padding */
	if (ceil_mode && (o - 1) * s >= in - n->pad[ax + 2])
		o--;
	*out = o;
	return 0;
}

static int is_float(const struct onx_tensor *t)
{
	return t->dtype == DT_FLOAT;
}

/* ---- shape inference: one function per operator ---- */

/* Sets o's shape (and o->batched, when it is not x's) and n->flops from the
 * node's inputs, x the first; 0 or a NODE_ERR. */
typedef int (*infer_fn)(struct arpg_onnx *m, struct onx_node *n, const struct onx_tensor *x,
			struct onx_tensor *o, char *err, size_t errn);

static int infer_conv(struct arpg_onnx *m, struct onx_node *n, const struct onx_tensor *x,
		      struct onx_tensor *o, char *err, size_t errn)
{
	const struct onx_tensor *w = &m->t[n->in[1]];
	const struct onx_tensor *b = n->in[2] >= 0 ? &m->t[n->in[2]] : NULL;
	char s1[128], s2[128];
	int64_t C, M;
	int k;

	if (x->rank != 4 || w->rank != 4)
		return NODE_ERR(ARPG_EUNSUPPORTED, "input %s, weight %s: only 2-D "
				"convolutions (4-D tensors) are supported",
				shape_str(s1, sizeof s1, x->rank, x->dims),
				shape_str(s2, sizeof s2, w->rank, w->dims));
	C = x->dims[1], M = w->dims[0];
	if (C % n->group || M % n->group || w->dims[1] * n->group != C)
		return NODE_ERR(ARPG_EFORMAT, "input has %lld channels, weight %s with "
				"group %d does not agree", (long long)C,
				shape_str(s2, sizeof s2, w->rank, w->dims), n->group);
	if (n->has_kernel && (n->kernel[0] != w->dims[2] || n->kernel[1] != w->dims[3]))
		return NODE_ERR(ARPG_EFORMAT, "kernel_shape %lldx%lld disagrees with "
				"weight %s", (long long)n->kernel[0],
				(long long)n->kernel[1],
				shape_str(s2, sizeof s2, w->rank, w->dims));
	if (b && onx_numel(b) != M)
		return NODE_ERR(ARPG_EFORMAT, "bias has %lld values for %lld outputs",
				(long long)onx_numel(b), (long long)M);
	o->rank = 4;
	o->dims[0] = x->dims[0];
	o->dims[1] = M;
	for (k = 0; k < 2; k++)
		if (window_out(n, k, x->dims[2 + k], w->dims[2 + k], 0, &o->dims[2 + k]) < 0)
			return NODE_ERR(ARPG_EFORMAT, "kernel %s larger than the padded "
					"input %s", shape_str(s2, sizeof s2, 4, w->dims),
					shape_str(s1, sizeof s1, 4, x->dims));
	/* in double: padded sides times a large weight overflow int64 */
	if ((double)w->dims[1] * w->dims[2] * w->dims[3] * o->dims[2] * o->dims[3] >=
	    ONX_MAX_ELEMS)
		return NODE_ERR(ARPG_ERANGE, "convolution too large");
	n->flops = 2.0 * x->dims[0] * M * w->dims[1] * w->dims[2] * w->dims[3] *
		o->dims[2] * o->dims[3];
	return 0;
}

/* AveragePool, MaxPool */
static int infer_pool(struct arpg_onnx *m, struct onx_node *n, const struct onx_tensor *x,
		      struct onx_tensor *o, char *err, size_t errn)
{
	char s1[128];
	int k;

	if (x->rank != 4)
		return NODE_ERR(ARPG_EUNSUPPORTED, "input %s: only 2-D pools (4-D "
				"tensors) are supported",
				shape_str(s1, sizeof s1, x->rank, x->dims));
	o->rank = 4;
	o->dims[0] = x->dims[0], o->dims[1] = x->dims[1];
	for (k = 0; k < 2; k++) {
		if (n->pad[k] >= n->kernel[k] || n->pad[k + 2] >= n->kernel[k])
			return NODE_ERR(ARPG_EFORMAT, "pads must be smaller than the kernel");
		if (window_out(n, k, x->dims[2 + k], n->kernel[k], n->ceil_mode,
			       &o->dims[2 + k]) < 0)
			return NODE_ERR(ARPG_EFORMAT, "kernel larger than the padded input %s",
					shape_str(s1, sizeof s1, 4, x->dims));
	}
	return 0;
}

/* Relu, Identity, Dropout, and the end of BatchNormalization and PRelu:
 * the input's shape */
static int infer_same(struct arpg_onnx *m, struct onx_node *n, const struct onx_tensor *x,
		      struct onx_tensor *o, char *err, size_t errn)
{
	o->rank = x->rank;
	memcpy(o->dims, x->dims, sizeof o->dims);
	return 0;
}

static int infer_bn(struct arpg_onnx *m, struct onx_node *n, const struct onx_tensor *x,
		    struct onx_tensor *o, char *err, size_t errn)
{
	char s1[128], s2[128];
	int i;

	if (x->rank < 2)
		return NODE_ERR(ARPG_EFORMAT, "input %s has no channel dimension",
				shape_str(s1, sizeof s1, x->rank, x->dims));
	for (i = 1; i < 5; i++)
		if (onx_numel(&m->t[n->in[i]]) != x->dims[1] || m->t[n->in[i]].rank != 1)
			return NODE_ERR(ARPG_EFORMAT, "'%s' has shape %s for %lld channels",
					m->t[n->in[i]].name,
					shape_str(s2, sizeof s2, m->t[n->in[i]].rank,
						  m->t[n->in[i]].dims), (long long)x->dims[1]);
	return infer_same(m, n, x, o, err, errn);
}

static int infer_prelu(struct arpg_onnx *m, struct onx_node *n, const struct onx_tensor *x,
		       struct onx_tensor *o, char *err, size_t errn)
{
	struct onx_tensor *sl = &m->t[n->in[1]];
	char s1[128], s2[128];
	int64_t d[MAXR];
	int r;

	/* PRelu-6 took a (C) slope per channel: make it (C,1,...,1) */
	if (m->opset < 7 && sl->kind == TK_STATIC && sl->rank == 1 && x->rank > 2 &&
	    sl->dims[0] == x->dims[1] && sl->dims[0] != x->dims[x->rank - 1]) {
		sl->rank = x->rank - 1;
		for (r = 1; r < sl->rank; r++)
			sl->dims[r] = 1;
	}
	if (onx_broadcast(x->rank, x->dims, sl->rank, sl->dims, &r, d) < 0 || r != x->rank ||
	    memcmp(d, x->dims, r * sizeof *d))
		return NODE_ERR(ARPG_EFORMAT, "slope %s does not broadcast to input %s",
				shape_str(s2, sizeof s2, sl->rank, sl->dims),
				shape_str(s1, sizeof s1, x->rank, x->dims));
	return infer_same(m, n, x, o, err, errn);
}

/* Add, Mul, Sub */
static int infer_binary(struct arpg_onnx *m, struct onx_node *n, const struct onx_tensor *x,
			struct onx_tensor *o, char *err, size_t errn)
{
	const struct onx_tensor *y = &m->t[n->in[1]];
	char s1[128], s2[128];

	if (onx_broadcast(x->rank, x->dims, y->rank, y->dims, &o->rank, o->dims) < 0)
		return NODE_ERR(ARPG_EFORMAT, "shapes %s and %s do not broadcast",
				shape_str(s1, sizeof s1, x->rank, x->dims),
				shape_str(s2, sizeof s2, y->rank, y->dims));
	o->batched = (x->batched && x->rank == o->rank) || (y->batched && y->rank == o->rank);
	return 0;
}

static int infer_flatten(struct arpg_onnx *m, struct onx_node *n, const struct onx_tensor *x,
			 struct onx_tensor *o, char *err, size_t errn)
{
	int ax = n->axis < 0 ? n->axis + x->rank : n->axis, i;

	if (ax < 0 || ax > x->rank)
		return NODE_ERR(ARPG_EFORMAT, "axis %d for rank %d", n->axis, x->rank);
	o->rank = 2;
	o->dims[0] = o->dims[1] = 1;
	for (i = 0; i < x->rank; i++)
		o->dims[i >= ax] *= x->dims[i];
	o->batched = x->batched && ax == 1;
	return 0;
}

/* Reshape's target dimension i given as v: 0 copies the input's (unless
 * allowzero), and a leading dimension equal to the batch the model was
 * exported with, or to the input's batch, stays the batch, so that a run
 * at another batch size reshapes alike.  Sets o->batched for it. */
static int64_t reshape_dim(const struct arpg_onnx *m, const struct onx_node *n,
			   const struct onx_tensor *x, struct onx_tensor *o, int i, int64_t v)
{
	if (v == 0 && !n->allowzero) {
		if (i == 0 && x->batched)
			o->batched = 1;
		return x->dims[i];
	}
	if (i == 0 && v > 0 && x->batched && v == m->decl_batch && x->dims[0] != m->decl_batch) {
		o->batched = 1;
		return x->dims[0];	/* the model's batch, run at another size */
	}
	if (i == 0 && v > 0 && x->batched && v == x->dims[0])
		o->batched = 1;
	return v;
}

static int infer_reshape(struct arpg_onnx *m, struct onx_node *n, const struct onx_tensor *x,
			 struct onx_tensor *o, char *err, size_t errn)
{
	const int64_t *sh;
	char s1[128], s2[128];
	int ns, neg = -1, i;
	int64_t known = 1;

	if (n->in[1] >= 0) {
		const struct onx_tensor *st = &m->t[n->in[1]];
		if (st->kind != TK_STATIC || st->dtype != DT_INT64 || st->rank != 1)
			return NODE_ERR(ARPG_EUNSUPPORTED, "the shape '%s' must be a constant "
					"1-D int64 tensor", st->name);
		sh = st->i64;
		ns = (int)st->dims[0];
	} else
		sh = n->shape_attr, ns = n->nshape_attr;
	if (ns > MAXR)
		return NODE_ERR(ARPG_EUNSUPPORTED, "rank %d (at most %d)", ns, MAXR);
	o->rank = ns;
	o->batched = 0;
	for (i = 0; i < ns; i++) {
		int64_t v;
		if (sh[i] == 0 && !n->allowzero && i >= x->rank)
			return NODE_ERR(ARPG_EFORMAT, "shape copies dimension %d of a "
					"rank-%d input", i, x->rank);
		v = reshape_dim(m, n, x, o, i, sh[i]);
		if (v == -1) {
			if (neg >= 0)
				return NODE_ERR(ARPG_EFORMAT, "two -1 in the shape");
			neg = i;
			v = 1;
		} else if (v < 0 || v >= ONX_MAX_ELEMS)
			return NODE_ERR(ARPG_EFORMAT, "shape value %lld", (long long)sh[i]);
		o->dims[i] = v;
		known *= v;
		if (known >= ONX_MAX_ELEMS)
			return NODE_ERR(ARPG_ERANGE, "shape too large");
	}
	if (neg >= 0) {
		if (!known || onx_numel(x) % known)
			return NODE_ERR(ARPG_EFORMAT, "cannot reshape %s to %d dims with -1",
					shape_str(s1, sizeof s1, x->rank, x->dims), ns);
		o->dims[neg] = onx_numel(x) / known;
		if (neg == 0 && x->batched && o->dims[0] == x->dims[0])
			o->batched = 1;
	}
	if (onx_numel(o) != onx_numel(x))
		return NODE_ERR(ARPG_EFORMAT, "cannot reshape %s to %s",
				shape_str(s1, sizeof s1, x->rank, x->dims),
				shape_str(s2, sizeof s2, o->rank, o->dims));
	return 0;
}

static int infer_gemm(struct arpg_onnx *m, struct onx_node *n, const struct onx_tensor *x,
		      struct onx_tensor *o, char *err, size_t errn)
{
	const struct onx_tensor *b = &m->t[n->in[1]];
	const struct onx_tensor *c = n->in[2] >= 0 ? &m->t[n->in[2]] : NULL;
	char s1[128], s2[128];
	int64_t M, K, K2, N, d[MAXR];
	int r;

	if (x->rank != 2 || b->rank != 2)
		return NODE_ERR(ARPG_EFORMAT, "A %s and B %s must be matrices",
				shape_str(s1, sizeof s1, x->rank, x->dims),
				shape_str(s2, sizeof s2, b->rank, b->dims));
	M = x->dims[n->trans_a], K = x->dims[!n->trans_a];
	K2 = b->dims[n->trans_b], N = b->dims[!n->trans_b];
	if (K != K2)
		return NODE_ERR(ARPG_EFORMAT, "A %s and B %s do not agree",
				shape_str(s1, sizeof s1, x->rank, x->dims),
				shape_str(s2, sizeof s2, b->rank, b->dims));
	o->rank = 2, o->dims[0] = M, o->dims[1] = N;
	if (c && (onx_broadcast(2, o->dims, c->rank, c->dims, &r, d) < 0 || r != 2 ||
		  d[0] != M || d[1] != N))
		return NODE_ERR(ARPG_EFORMAT, "C %s does not broadcast to %lldx%lld",
				shape_str(s2, sizeof s2, c->rank, c->dims),
				(long long)M, (long long)N);
	o->batched = x->batched && !n->trans_a;
	n->flops = 2.0 * M * N * K;
	return 0;
}

static int infer_matmul(struct arpg_onnx *m, struct onx_node *n, const struct onx_tensor *x,
			struct onx_tensor *o, char *err, size_t errn)
{
	const struct onx_tensor *b = &m->t[n->in[1]];
	char s1[128], s2[128];
	int64_t ad[MAXR], bd[MAXR];
	int ra, rb, rbatch;

	if (!x->rank || !b->rank)
		return NODE_ERR(ARPG_EFORMAT, "scalar operand");
	onx_matmul_dims(ad, &ra, bd, &rb, x, b);
	if (ad[ra - 1] != bd[rb - 2] ||
	    onx_broadcast(ra - 2, ad, rb - 2, bd, &rbatch, o->dims) < 0)
		return NODE_ERR(ARPG_EFORMAT, "%s and %s do not agree",
				shape_str(s1, sizeof s1, x->rank, x->dims),
				shape_str(s2, sizeof s2, b->rank, b->dims));
	o->rank = rbatch;
	if (x->rank > 1)
		o->dims[o->rank++] = ad[ra - 2];
	if (b->rank > 1)
		o->dims[o->rank++] = bd[rb - 1];
	o->batched = x->batched && x->rank == o->rank;
	n->flops = 2.0 * (double)onx_numel(o) * ad[ra - 1];
	return 0;
}

void onx_matmul_dims(int64_t *ad, int *ra, int64_t *bd, int *rb, const struct onx_tensor *a,
		     const struct onx_tensor *b)
{
	*ra = a->rank, *rb = b->rank;
	memcpy(ad, a->dims, MAXR * sizeof *ad);
	memcpy(bd, b->dims, MAXR * sizeof *bd);
	if (*ra == 1)
		ad[1] = ad[0], ad[0] = 1, *ra = 2;
	if (*rb == 1)
		bd[1] = 1, *rb = 2;
}

/* GlobalAveragePool */
static int infer_gap(struct arpg_onnx *m, struct onx_node *n, const struct onx_tensor *x,
		     struct onx_tensor *o, char *err, size_t errn)
{
	char s1[128];
	int i;

	if (x->rank < 3)
		return NODE_ERR(ARPG_EFORMAT, "input %s has no spatial dimensions",
				shape_str(s1, sizeof s1, x->rank, x->dims));
	o->rank = x->rank;
	o->dims[0] = x->dims[0], o->dims[1] = x->dims[1];
	for (i = 2; i < x->rank; i++)
		o->dims[i] = 1;
	return 0;
}

static int infer_transpose(struct arpg_onnx *m, struct onx_node *n, const struct onx_tensor *x,
			   struct onx_tensor *o, char *err, size_t errn)
{
	int i;

	if (n->nperm && n->nperm != x->rank)
		return NODE_ERR(ARPG_EFORMAT, "perm has %d axes for a rank-%d input", n->nperm,
				x->rank);
	o->rank = x->rank;
	for (i = 0; i < x->rank; i++)
		o->dims[i] = x->dims[n->nperm ? n->perm[i] : x->rank - 1 - i];
	o->batched = x->batched && x->rank >= 1 && (n->nperm ? n->perm[0] == 0 : x->rank == 1);
	return 0;
}

/* The scales (float) and sizes (int64) inputs of Resize, each NULL when
 * absent or empty: Resize-10 takes (X, scales), later ones (X, roi,
 * scales, sizes), Upsample-9 (X, scales). */
static void resize_params(const struct arpg_onnx *m, const struct onx_node *n,
			  const struct onx_tensor **sc, const struct onx_tensor **sz)
{
	int isc = n->op == OP_UPSAMPLE || m->opset < 11 ? 1 : 2, isz = isc == 1 ? -1 : 3;

	*sc = isc < n->nin && n->in[isc] >= 0 ? &m->t[n->in[isc]] : NULL;
	*sz = isz > 0 && isz < n->nin && n->in[isz] >= 0 ? &m->t[n->in[isz]] : NULL;
	if (*sc && !onx_numel(*sc))
		*sc = NULL;
	if (*sz && !onx_numel(*sz))
		*sz = NULL;
}

/* Resize and Upsample: the output side per axis from constant scales
 * (floor(in * scale)) or sizes; n->rs_scale[] keeps output over input as
 * the coordinate mapping uses it.  Linear interpolation is done on the
 * last two axes only. */
static int infer_resize(struct arpg_onnx *m, struct onx_node *n, const struct onx_tensor *x,
			struct onx_tensor *o, char *err, size_t errn)
{
	const struct onx_tensor *sc, *sz;
	int r = x->rank, i;

	resize_params(m, n, &sc, &sz);
	if (n->rs_scales)
		sc = NULL;
	else if (!sc == !sz)
		return NODE_ERR(ARPG_EFORMAT, "%s", sc ? "both scales and sizes are given"
				: "neither scales nor sizes is given");
	if ((sc && (sc->kind != TK_STATIC || sc->dtype != DT_FLOAT)) ||
	    (sz && (sz->kind != TK_STATIC || sz->dtype != DT_INT64)))
		return NODE_ERR(ARPG_EUNSUPPORTED, "the %s must be a constant (an initializer "
				"or computed from constants)", sc ? "scales" : "sizes");
	if ((n->rs_scales ? n->nrs_scales : onx_numel(sc ? sc : sz)) != r)
		return NODE_ERR(ARPG_EFORMAT, "%lld %s for a rank-%d input",
				(long long)(n->rs_scales ? n->nrs_scales : onx_numel(sc ? sc : sz)),
				sz ? "sizes" : "scales", r);
	o->rank = r;
	o->batched = 0;
	for (i = 0; i < r; i++) {
		double s, d;
		if (sz) {
			d = (double)sz->i64[i];
			if (i == 0 && x->batched && (sz->i64[0] == x->dims[0] ||
						     sz->i64[0] == m->decl_batch))
				d = (double)x->dims[0];
			s = d / (double)x->dims[i];
		} else {
			s = n->rs_scales ? n->rs_scales[i] : sc->f[i];
			d = floor((double)x->dims[i] * s);
		}
		if (!(s > 0) || !(d >= 1) || d >= (double)ONX_MAX_ELEMS)
			return NODE_ERR(d >= (double)ONX_MAX_ELEMS ? ARPG_ERANGE : ARPG_EFORMAT,
					"axis %d: scale %g gives %g from %lld", i, s, d,
					(long long)x->dims[i]);
		o->dims[i] = (int64_t)d;
		n->rs_scale[i] = s;
		if (n->rs_mode == RS_LINEAR && i < r - 2 && o->dims[i] != x->dims[i])
			return NODE_ERR(ARPG_EUNSUPPORTED, "linear resizing of axis %d (only the "
					"last two)", i);
	}
	o->batched = x->batched && o->dims[0] == x->dims[0];
	return 0;
}

/* An axis attribute against rank r: into [0, r) (or [0, r] with
 * upto_rank), else -1. */
static int norm_axis(int axis, int r, int upto_rank)
{
	if (axis < 0)
		axis += r;
	return axis >= 0 && axis < r + upto_rank ? axis : -1;
}

static int infer_concat(struct arpg_onnx *m, struct onx_node *n, const struct onx_tensor *x,
			struct onx_tensor *o, char *err, size_t errn)
{
	char s1[128], s2[128];
	int ax = norm_axis(n->axis, x->rank, 0), i, k;

	if (ax < 0)
		return NODE_ERR(ARPG_EFORMAT, "axis %d for rank %d", n->axis, x->rank);
	o->rank = x->rank;
	memcpy(o->dims, x->dims, sizeof o->dims);
	for (k = 1; k < n->nin; k++) {
		const struct onx_tensor *y = n->in[k] >= 0 ? &m->t[n->in[k]] : NULL;
		if (!y)
			return NODE_ERR(ARPG_EFORMAT, "input %d is absent", k);
		for (i = 0; i < x->rank && y->rank == x->rank; i++)
			if (i != ax && y->dims[i] != x->dims[i])
				break;
		if (y->rank != x->rank || i < x->rank)
			return NODE_ERR(ARPG_EFORMAT, "%s and %s do not join on axis %d",
					shape_str(s1, sizeof s1, x->rank, x->dims),
					shape_str(s2, sizeof s2, y->rank, y->dims), ax);
		if ((o->dims[ax] += y->dims[ax]) >= ONX_MAX_ELEMS)
			return NODE_ERR(ARPG_ERANGE, "output too large");
	}
	o->batched = x->batched && ax != 0;
	return 0;
}

/* Softmax: before opset 13 over the axes from axis on (default 1), from
 * 13 over axis alone (default -1); n->axis is made non-negative. */
static int infer_softmax(struct arpg_onnx *m, struct onx_node *n, const struct onx_tensor *x,
			 struct onx_tensor *o, char *err, size_t errn)
{
	int a = n->axis == ONX_AXIS_DEFAULT ? (m->opset < 13 ? 1 : -1) : n->axis;

	if (norm_axis(a, x->rank, 0) < 0)
		return NODE_ERR(ARPG_EFORMAT, "axis %d for rank %d", a, x->rank);
	n->axis = norm_axis(a, x->rank, 0);
	return infer_same(m, n, x, o, err, errn);
}

/* LayerNormalization: normalized over the axes from axis on; the scale
 * and bias broadcast to them. */
static int infer_layernorm(struct arpg_onnx *m, struct onx_node *n, const struct onx_tensor *x,
			   struct onx_tensor *o, char *err, size_t errn)
{
	int a = norm_axis(n->axis, x->rank, 0), i;
	int64_t len = 1;

	if (a < 0)
		return NODE_ERR(ARPG_EFORMAT, "axis %d for rank %d", n->axis, x->rank);
	n->axis = a;
	for (i = a; i < x->rank; i++)
		len *= x->dims[i];
	for (i = 1; i < n->nin; i++) {
		const struct onx_tensor *p = n->in[i] >= 0 ? &m->t[n->in[i]] : NULL;
		char s1[128];

		if (p && (p->kind != TK_STATIC || p->rank > x->rank - a || onx_numel(p) != len))
			return NODE_ERR(ARPG_EUNSUPPORTED, "'%s' %s: the scale and bias must be "
					"constants of the normalized axes' shape", p->name,
					shape_str(s1, sizeof s1, p->rank, p->dims));
	}
	return infer_same(m, n, x, o, err, errn);
}

/* ReduceMean: the axes (all without any) dropped, or kept as 1. */
static int infer_reducemean(struct arpg_onnx *m, struct onx_node *n, const struct onx_tensor *x,
			    struct onx_tensor *o, char *err, size_t errn)
{
	int red[MAXR] = { 0 }, i;

	for (i = 0; i < n->naxes; i++) {
		int a = norm_axis((int)n->axes[i], x->rank, 0);

		if (a < 0 || red[a])
			return NODE_ERR(ARPG_EFORMAT, "axis %lld for rank %d", (long long)n->axes[i],
					x->rank);
		red[a] = 1;
	}
	o->rank = 0;
	for (i = 0; i < x->rank; i++)
		if (!red[i] && n->naxes)
			o->dims[o->rank++] = x->dims[i];
		else if (n->keepdims)
			o->dims[o->rank++] = 1;
	o->batched = x->batched && n->naxes && !red[0];
	return 0;
}

/* Constant has none: its value is made at load. */
static const infer_fn infer_op[OP_COUNT] = {
	[OP_CONV] = infer_conv, [OP_BN] = infer_bn, [OP_PRELU] = infer_prelu,
	[OP_RELU] = infer_same, [OP_ADD] = infer_binary, [OP_MUL] = infer_binary,
	[OP_SUB] = infer_binary, [OP_FLATTEN] = infer_flatten, [OP_RESHAPE] = infer_reshape,
	[OP_GEMM] = infer_gemm, [OP_MATMUL] = infer_matmul, [OP_GAP] = infer_gap,
	[OP_AVGPOOL] = infer_pool, [OP_MAXPOOL] = infer_pool, [OP_IDENTITY] = infer_same,
	[OP_DROPOUT] = infer_same, [OP_SIGMOID] = infer_same, [OP_TRANSPOSE] = infer_transpose,
	[OP_RESIZE] = infer_resize, [OP_UPSAMPLE] = infer_resize, [OP_CONCAT] = infer_concat,
	[OP_SOFTMAX] = infer_softmax, [OP_ELU] = infer_same, [OP_LEAKYRELU] = infer_same,
	[OP_LAYERNORM] = infer_layernorm, [OP_REDUCEMEAN] = infer_reducemean,
};

/* Every dimension of o at least 1, and its size within ONX_MAX_ELEMS. */
static int check_output_size(const struct onx_node *n, const struct onx_tensor *o,
			     char *err, size_t errn)
{
	char s1[128];
	int64_t numel;
	int i;

	for (i = 0; i < o->rank; i++)
		if (o->dims[i] < 1)
			return NODE_ERR(ARPG_EUNSUPPORTED, "output %s is empty",
					shape_str(s1, sizeof s1, o->rank, o->dims));
	/* a product step by step, each factor below the limit: no overflow */
	for (i = 0, numel = 1; i < o->rank; i++)
		if (o->rank > MAXR || o->dims[i] >= ONX_MAX_ELEMS ||
		    (numel *= o->dims[i]) >= ONX_MAX_ELEMS)
			return NODE_ERR(ARPG_ERANGE, "output %s too large",
					shape_str(s1, sizeof s1, o->rank, o->dims));
	return 0;
}

/* ---- shape arithmetic ----
 * Exporters compute the sizes of Resize and Reshape from the shapes of
 * the graph's tensors (PyTorch's F.interpolate(size=...) becomes Shape,
 * Gather, Unsqueeze, Concat, Slice and Cast).  These nodes run here, when
 * the shapes are known: their outputs become constants (int64, owned) and
 * the nodes are dead for the run.  A re-inference (another batch) computes
 * them again.  On tensors that are not shapes they are refused. */

static int is_shape_const(const struct onx_tensor *t)
{
	return t->kind == TK_STATIC && t->dtype == DT_INT64;
}

/* o becomes a constant int64 tensor of rank r and dims d (values to be
 * written by the caller); 0 or ARPG_ENOMEM. */
static int fold_alloc(struct onx_tensor *o, int r, const int64_t *d)
{
	int64_t k = 1;
	int i;

	o->rank = r;
	for (i = 0; i < r; i++)
		k *= (o->dims[i] = d[i]);
	free(o->i64);
	free(o->f);
	o->f = NULL;
	if (!(o->i64 = malloc((size_t)(k ? k : 1) * sizeof *o->i64)))
		return ARPG_ENOMEM;
	o->kind = TK_STATIC;
	o->dtype = DT_INT64;
	o->batched = 0;
	return 0;
}

/* Slice on a rank-1 shape: ONNX's clamping of starts and ends, any step. */
static int fold_slice(struct arpg_onnx *m, struct onx_node *n, const struct onx_tensor *x,
		      struct onx_tensor *o, char *err, size_t errn)
{
	const struct onx_tensor *a[4] = { NULL, NULL, NULL, NULL };
	int64_t len = x->rank ? x->dims[0] : 0, st, en, step = 1, cnt = 0, i, d[1];
	int k, rc;

	for (k = 1; k < n->nin && k < 5; k++)
		if (n->in[k] >= 0) {
			a[k - 1] = &m->t[n->in[k]];
			if (!is_shape_const(a[k - 1]) || onx_numel(a[k - 1]) != 1)
				return NODE_ERR(ARPG_EUNSUPPORTED, "starts, ends, axes and steps "
						"must be one constant each (a slice of a shape)");
		}
	if (x->rank != 1 || !a[0] || !a[1])
		return NODE_ERR(ARPG_EUNSUPPORTED, "only slices of a rank-1 shape are supported");
	if (a[2] && a[2]->i64[0] != 0 && a[2]->i64[0] != -1)
		return NODE_ERR(ARPG_EFORMAT, "axis %lld of a rank-1 input",
				(long long)a[2]->i64[0]);
	if (a[3] && !(step = a[3]->i64[0]))
		return NODE_ERR(ARPG_EFORMAT, "step 0");
	st = a[0]->i64[0], en = a[1]->i64[0];
	if (st < 0)
		st = st < -len ? -len : st, st += len;
	if (en < 0)
		en = en < -len ? -len : en, en += len;
	if (step > 0) {
		st = st > len ? len : st;
		en = en > len ? len : en;
		cnt = en > st ? (en - st + step - 1) / step : 0;
	} else {
		st = st > len - 1 ? len - 1 : st;
		en = en < -1 ? -1 : en > len - 1 ? len - 1 : en;
		cnt = st > en ? (st - en - step - 1) / -step : 0;
	}
	d[0] = cnt;
	if ((rc = fold_alloc(o, 1, d)) < 0)
		return rc;
	for (i = 0; i < cnt; i++)
		o->i64[i] = x->i64[st + i * step];
	return 0;
}

/* Computes a shape node (Shape, Gather, Unsqueeze, Slice, Cast; Concat of
 * constant int64 inputs): 1 when it did (o a constant, n dead), 0 when n is
 * not one (a Concat of values), or a negative code with err. */
static int fold_shape_op(struct arpg_onnx *m, struct onx_node *n, char *err, size_t errn)
{
	struct onx_tensor *x = n->in[0] >= 0 ? &m->t[n->in[0]] : NULL;
	struct onx_tensor *o = &m->t[n->out[0]];
	int64_t d[MAXR], i, k;
	int r, j, rc;

	if (n->op == OP_CONCAT) {
		for (j = 0; j < n->nin; j++)
			if (n->in[j] < 0 || !is_shape_const(&m->t[n->in[j]]))
				break;
		if (j < n->nin)
			return 0;
	} else if (n->op != OP_SHAPE && n->op != OP_GATHER && n->op != OP_UNSQUEEZE &&
		   n->op != OP_SLICE && n->op != OP_CAST)
		return 0;
	if (!x)
		return NODE_ERR(ARPG_EFORMAT, "first input is absent");
	if (n->op != OP_SHAPE && !is_shape_const(x))
		return NODE_ERR(ARPG_EUNSUPPORTED, "'%s' is not a shape: %s is supported on "
				"shapes (int64 computed from constants and tensors' shapes) only",
				x->name, n->opname);
	if (o->is_output || o->keep)
		return NODE_ERR(ARPG_EUNSUPPORTED, "its output '%s' is a shape (int64): only "
				"float tensors are given out", o->name);
	switch (n->op) {
	case OP_SHAPE:
		d[0] = x->rank;
		if ((rc = fold_alloc(o, 1, d)) < 0)
			return rc;
		memcpy(o->i64, x->dims, x->rank * sizeof *o->i64);
		break;
	case OP_CAST:
		if ((rc = fold_alloc(o, x->rank, x->dims)) < 0)
			return rc;
		memcpy(o->i64, x->i64, onx_numel(x) * sizeof *o->i64);
		break;
	case OP_GATHER: {
		const struct onx_tensor *ix = n->in[1] >= 0 ? &m->t[n->in[1]] : NULL;
		if (!ix || !is_shape_const(ix) || ix->rank > 1)
			return NODE_ERR(ARPG_EUNSUPPORTED, "the indices must be a constant "
					"int64 scalar or list");
		if (x->rank != 1 || (n->axis != 0 && n->axis != -1))
			return NODE_ERR(ARPG_EUNSUPPORTED, "only gathers from a rank-1 shape");
		if ((rc = fold_alloc(o, ix->rank, ix->dims)) < 0)
			return rc;
		for (i = 0; i < onx_numel(ix); i++) {
			k = ix->i64[i] < 0 ? ix->i64[i] + x->dims[0] : ix->i64[i];
			if (k < 0 || k >= x->dims[0])
				return NODE_ERR(ARPG_EFORMAT, "index %lld out of %lld values",
						(long long)ix->i64[i], (long long)x->dims[0]);
			o->i64[i] = x->i64[k];
		}
		break;
	}
	case OP_UNSQUEEZE: {
		const struct onx_tensor *ax = n->nin > 1 && n->in[1] >= 0 ? &m->t[n->in[1]] : NULL;
		const int64_t *axes = n->axes;
		int na = n->naxes, ins[MAXR] = { 0 }, p;
		if (ax) {
			if (!is_shape_const(ax) || ax->rank > 1 || onx_numel(ax) > MAXR)
				return NODE_ERR(ARPG_EUNSUPPORTED, "the axes must be constant");
			axes = ax->i64, na = (int)onx_numel(ax);
		}
		r = x->rank + na;
		if (!na || r > MAXR)
			return NODE_ERR(ARPG_EFORMAT, "%d axes for rank %d", na, x->rank);
		for (j = 0; j < na; j++) {
			int a = axes[j] < -MAXR || axes[j] > MAXR ? -1 : norm_axis((int)axes[j], r, 0);
			if (a < 0 || ins[a])
				return NODE_ERR(ARPG_EFORMAT, "axis %lld for rank %d",
						(long long)axes[j], r);
			ins[a] = 1;
		}
		for (j = 0, p = 0; j < r; j++)
			d[j] = ins[j] ? 1 : x->dims[p++];
		if ((rc = fold_alloc(o, r, d)) < 0)
			return rc;
		memcpy(o->i64, x->i64, onx_numel(x) * sizeof *o->i64);
		break;
	}
	case OP_SLICE:
		if ((rc = fold_slice(m, n, x, o, err, errn)) < 0)
			return rc;
		break;
	case OP_CONCAT: {
		int64_t total = 0;
		if (x->rank != 1 || norm_axis(n->axis, 1, 0) != 0)
			return NODE_ERR(ARPG_EUNSUPPORTED, "only shapes (rank 1) join as int64");
		for (j = 0; j < n->nin; j++) {
			if (m->t[n->in[j]].rank != 1)
				return NODE_ERR(ARPG_EFORMAT, "input %d is not of rank 1", j);
			total += m->t[n->in[j]].dims[0];
		}
		if (total > MAXR * 64)
			return NODE_ERR(ARPG_ERANGE, "%lld values joined", (long long)total);
		d[0] = total;
		if ((rc = fold_alloc(o, 1, d)) < 0)
			return rc;
		for (j = 0, k = 0; j < n->nin; j++) {
			const struct onx_tensor *y = &m->t[n->in[j]];
			memcpy(o->i64 + k, y->i64, y->dims[0] * sizeof *o->i64);
			k += y->dims[0];
		}
		break;
	}
	}
	n->dead = 1;
	return 1;
}

/* Whether input i of n gives a shape (int64 allowed): Reshape's shape,
 * Resize's sizes (and its roi and scales, checked by infer_resize). */
static int shape_input(const struct onx_node *n, int i)
{
	return (n->op == OP_RESHAPE && i == 1) || (n->op == OP_RESIZE && i >= 1) ||
		(n->op == OP_UPSAMPLE && i == 1);
}

/* The output shape of node n from its inputs' (float only, but for
 * shapes: shape_input), by the operator's function. */
static int infer_node(struct arpg_onnx *m, struct onx_node *n, char *err, size_t errn)
{
	struct onx_tensor *x = n->in[0] >= 0 ? &m->t[n->in[0]] : NULL;
	struct onx_tensor *o = &m->t[n->out[0]];
	int i, rc;

	if (n->op == OP_CONSTANT)
		return 0;
	if ((rc = fold_shape_op(m, n, err, errn)) != 0)
		return rc < 0 ? rc : 0;
	if (!x)
		return NODE_ERR(ARPG_EFORMAT, "first input is absent");
	for (i = 0; i < n->nin; i++)
		if (n->in[i] >= 0 && !is_float(&m->t[n->in[i]]) && !shape_input(n, i))
			return NODE_ERR(ARPG_EUNSUPPORTED, "input '%s' is int64: only float "
					"tensors are supported here", m->t[n->in[i]].name);
	o->dtype = DT_FLOAT;
	o->batched = x->batched;
	if (!infer_op[n->op])
		return NODE_ERR(ARPG_EUNSUPPORTED, "not implemented");
	if ((rc = infer_op[n->op](m, n, x, o, err, errn)) < 0)
		return rc;
	return check_output_size(n, o, err, errn);
}

/* Input shapes: set ones kept, else declared with the batch dimension. */
static int init_inputs(struct arpg_onnx *m, int batch, char *err, size_t errn)
{
	int i, k;

	for (i = 0; i < m->ninputs; i++) {
		struct onx_tensor *t = &m->t[m->inputs[i]];
		if (t->kind == TK_STATIC)
			continue;
		if (t->dtype != DT_FLOAT)
			return arpg_errf(err, errn, ARPG_EUNSUPPORTED,
					 "input '%s' is int64: only float inputs (or int64 bound "
					 "as constants) are supported", t->name);
		if (t->set_shape) {
			/* a shape given by the caller; with a batch, its first
			 * dimension is the batch */
			t->batched = batch > 0 && t->rank >= 1;
			if (t->batched) {
				m->decl_batch = t->decl_rank >= 1 && t->decl[0] > 0 ? (int)t->decl[0] : 1;
				t->dims[0] = batch;
			}
			continue;
		}
		t->rank = t->decl_rank;
		memcpy(t->dims, t->decl, sizeof t->dims);
		t->batched = 0;
		if (t->rank >= 1 && batch > 0) {
			m->decl_batch = t->decl[0] > 0 ? (int)t->decl[0] : 1;
			t->dims[0] = batch;
			t->batched = 1;
		}
		for (k = 0; k < t->rank; k++) {
			if (t->dims[k] < 0 && k == 0)
				t->dims[0] = 1;
			if (t->dims[k] < 1)
				return arpg_errf(err, errn, ARPG_EINVAL,
						 "input '%s': dimension %d is %s: give its shape",
						 t->name, k, t->dims[k] ? "symbolic" : "zero");
			if (t->dims[k] >= ONX_MAX_ELEMS || onx_numel(t) >= ONX_MAX_ELEMS)
				return arpg_errf(err, errn, ARPG_ERANGE,
						 "input '%s': dimensions too large", t->name);
		}
	}
	return 0;
}

int onx_infer(struct arpg_onnx *m, int batch, int check_decl, char *err, size_t errn)
{
	int i, j, rc;

	for (i = 0; i < m->ninputs; i++) {
		struct onx_tensor *t = &m->t[m->inputs[i]];
		if (t->batched)
			t->dims[0] = batch;
	}
	for (i = 0; i < m->nn; i++) {
		struct onx_node *n = &m->nodes[m->order[i]];
		struct onx_tensor *o = &m->t[n->out[0]];
		if ((rc = infer_node(m, n, err, errn)) < 0)
			return rc;
		if (!check_decl || !o->has_decl || n->op == OP_CONSTANT || o->dtype == DT_INT64)
			continue;
		for (j = 0; j < o->rank && o->decl_rank == o->rank; j++)
			if (o->decl[j] >= 0 && o->decl[j] != o->dims[j] && !(j == 0 && o->batched))
				break;
		if (o->decl_rank != o->rank || j < o->rank) {
			char s1[128], s2[128];
			return NODE_ERR(ARPG_EFORMAT, "output '%s' is declared %s but computes %s",
					o->name, shape_str(s1, sizeof s1, o->decl_rank, o->decl),
					shape_str(s2, sizeof s2, o->rank, o->dims));
		}
	}
	return 0;
}

int arpg_onnx_ninputs(const struct arpg_onnx *m)
{
	return m->ninputs;
}

int arpg_onnx_noutputs(const struct arpg_onnx *m)
{
	return m->noutputs;
}

int arpg_onnx_input_info(const struct arpg_onnx *m, int i, const char **name,
			 int *rank, int64_t *dims)
{
	const struct onx_tensor *t;

	if (i < 0 || i >= m->ninputs)
		return ARPG_EINVAL;
	t = &m->t[m->inputs[i]];
	if (name)
		*name = t->name;
	if (rank)
		*rank = m->prepared || t->set_shape ? t->rank : t->decl_rank;
	if (dims)
		memcpy(dims, m->prepared || t->set_shape ? t->dims : t->decl, sizeof t->dims);
	return 0;
}

int arpg_onnx_set_input_shape(struct arpg_onnx *m, int i, int rank, const int64_t *dims,
			      char *err, size_t errn)
{
	struct onx_tensor *t;
	int k;

	if (m->prepared || i < 0 || i >= m->ninputs || rank < 0 || rank > MAXR)
		return arpg_errf(err, errn, ARPG_EINVAL, "input %d: bad shape", i);
	t = &m->t[m->inputs[i]];
	t->rank = rank;
	for (k = 0; k < rank; k++)
		t->dims[k] = dims[k];
	t->set_shape = 1;
	return 0;
}

/* Binds input i to the constant values (int64 or float, one NULL),
 * copied. */
static int bind_const(struct arpg_onnx *m, int i, int rank, const int64_t *dims,
		      const int64_t *i64, const float *f, char *err, size_t errn)
{
	struct onx_tensor *t;
	int64_t n = 1;
	int k;

	if (m->prepared || i < 0 || i >= m->ninputs || rank < 0 || rank > MAXR)
		return arpg_errf(err, errn, ARPG_EINVAL, "input %d: cannot bind", i);
	t = &m->t[m->inputs[i]];
	for (k = 0; k < rank; k++) {
		if (dims[k] < 0 || dims[k] >= ONX_MAX_ELEMS || (n *= dims[k]) >= ONX_MAX_ELEMS)
			return arpg_errf(err, errn, ARPG_ERANGE, "input %d: dimensions too large", i);
		t->dims[k] = dims[k];
	}
	t->rank = rank;
	free(t->i64), free(t->f);
	t->i64 = NULL, t->f = NULL;
	if (i64 && !(t->i64 = malloc((n + 1) * sizeof *t->i64)))
		return ARPG_ENOMEM;
	if (f && !(t->f = malloc((n + 1) * sizeof *t->f)))
		return ARPG_ENOMEM;
	if (i64)
		memcpy(t->i64, i64, n * sizeof *i64);
	else
		memcpy(t->f, f, n * sizeof *f);
	t->dtype = i64 ? DT_INT64 : DT_FLOAT;
	t->kind = TK_STATIC;
	return 0;
}

int arpg_onnx_bind_int64(struct arpg_onnx *m, int i, int rank, const int64_t *dims,
			 const int64_t *vals, char *err, size_t errn)
{
	return bind_const(m, i, rank, dims, vals, NULL, err, errn);
}

int arpg_onnx_bind_float(struct arpg_onnx *m, int i, int rank, const int64_t *dims,
			 const float *vals, char *err, size_t errn)
{
	return bind_const(m, i, rank, dims, NULL, vals, err, errn);
}

int arpg_onnx_input_is_param(const struct arpg_onnx *m, int i)
{
	int k, j;

	if (i < 0 || i >= m->ninputs)
		return 0;
	for (k = 0; k < m->nn; k++)
		for (j = 1; j < m->nodes[k].nin; j++)
			if (m->nodes[k].in[j] == m->inputs[i] && shape_input(&m->nodes[k], j))
				return 1;
	return 0;
}

/* The tensor named name, or else the first output of the node named name;
 * -1 if neither. */
static int find_value_or_node(const struct arpg_onnx *m, const char *name)
{
	int ti = onx_find(m, name), i;

	for (i = 0; ti < 0 && i < m->nn; i++)
		if (!strcmp(m->nodes[i].name, name))
			ti = m->nodes[i].out[0];
	return ti;
}

int arpg_onnx_tap(struct arpg_onnx *m, const char *name, char *err, size_t errn)
{
	int ti = find_value_or_node(m, name);

	if (ti < 0)
		return arpg_errf(err, errn, ARPG_ENOENT, "'%s' names no node or value of the model",
				 name);
	if (m->prepared)
		return arpg_errf(err, errn, ARPG_EINVAL, "taps are set before prepare");
	m->t[ti].keep = 1;
	return 0;
}

int arpg_onnx_find_stride8(struct arpg_onnx *m, int in_size, char *name, size_t nn,
			   char *err, size_t errn)
{
	int *last = calloc(m->nt + 1, sizeof *last), *pos = calloc(m->nn + 1, sizeof *pos);
	int i, j, rc, best = -1, maxlast = -1, side;

	if (!last || !pos) {
		rc = ARPG_ENOMEM;
		goto out;
	}
	if ((rc = init_inputs(m, 1, err, errn)) < 0 || (rc = onx_infer(m, 1, 0, err, errn)) < 0)
		goto out;
	if (in_size <= 0 && m->ninputs && m->t[m->inputs[0]].rank == 4)
		in_size = (int)m->t[m->inputs[0]].dims[2];
	side = in_size / 8;
	for (i = 0; i < m->nt; i++)
		last[i] = m->t[i].keep ? INT_MAX : -1;
	for (i = 0; i < m->nn; i++) {
		struct onx_node *n = &m->nodes[m->order[i]];
		pos[m->order[i]] = i;
		for (j = 0; j < n->nin; j++)
			if (n->in[j] >= 0 && last[n->in[j]] < i)
				last[n->in[j]] = i;
	}
	for (i = 0; i < m->ninputs; i++)
		if (m->t[m->inputs[i]].kind == TK_INPUT && last[m->inputs[i]] > maxlast)
			maxlast = last[m->inputs[i]];
	/* A tensor produced at position i is a cut of the graph when nothing
	 * produced before it is still needed after i. */
	for (i = 0; i < m->nn; i++) {
		struct onx_node *n = &m->nodes[m->order[i]];
		struct onx_tensor *t = &m->t[n->out[0]];
		if (n->op != OP_CONSTANT) {
			if (maxlast <= i && t->rank == 4 && t->dims[2] == side && t->dims[3] == side &&
			    side > 0)
				best = n->out[0];
			if (last[n->out[0]] > maxlast)
				maxlast = last[n->out[0]];
		}
	}
	if (best < 0)
		rc = arpg_errf(err, errn, ARPG_ENOENT, "no %dx%d feature map (stride 8 of %d) "
			       "that all paths pass through: name one with --patch-node",
			       side, side, in_size);
	else
		snprintf(name, nn, "%s", m->t[best].name);
out:
	free(last);
	free(pos);
	return rc;
}

/* ---- folding and fusion ---- */

static int single_use(const struct arpg_onnx *m, const int *uses, int ti)
{
	return uses[ti] == 1 && !m->t[ti].keep && m->t[ti].kind == TK_VALUE;
}

static int bn_affine(const struct arpg_onnx *m, const struct onx_node *bn, float **s, float **t)
{
	const struct onx_tensor *sc = &m->t[bn->in[1]], *bb = &m->t[bn->in[2]];
	const struct onx_tensor *mu = &m->t[bn->in[3]], *var = &m->t[bn->in[4]];
	int64_t C = onx_numel(sc);

	*s = malloc(C * sizeof **s);
	*t = malloc(C * sizeof **t);
	if (!*s || !*t)
		return ARPG_ENOMEM;
	onx_bn_affine(*s, *t, sc->f, bb->f, mu->f, var->f, bn->eps, C);
	return 0;
}

static int bn_static(const struct arpg_onnx *m, const struct onx_node *bn)
{
	int i;

	for (i = 1; i < 5; i++)
		if (m->t[bn->in[i]].kind != TK_STATIC)
			return 0;
	return 1;
}

static int prep_conv(struct arpg_onnx *m, struct onx_node *n)
{
	struct onx_tensor *w = &m->t[n->in[1]];
	int64_t M = w->dims[0], K = onx_numel(w) / M, i;

	if (w->kind != TK_STATIC || (n->in[2] >= 0 && m->t[n->in[2]].kind != TK_STATIC))
		return 0;
	if (!(n->w = malloc(M * K * sizeof *n->w)) || !(n->b = calloc(M, sizeof *n->b)))
		return ARPG_ENOMEM;
	memcpy(n->w, w->f, M * K * sizeof *n->w);
	if (n->in[2] >= 0)
		for (i = 0; i < M; i++)
			n->b[i] = m->t[n->in[2]].f[i];
	return 0;
}

static int prep_gemm(struct arpg_onnx *m, struct onx_node *n)
{
	struct onx_tensor *b = &m->t[n->in[1]], *c = n->in[2] >= 0 ? &m->t[n->in[2]] : NULL;
	int64_t K = b->dims[n->trans_b], N = b->dims[!n->trans_b], i, k;

	if (b->kind != TK_STATIC || (c && c->kind != TK_STATIC))
		return 0;
	/* C must vary along the columns only (a bias) */
	if (c && !(onx_numel(c) == 1 || (onx_numel(c) == N && c->dims[c->rank - 1] == N)))
		return 0;
	if (!(n->w = malloc(N * K * sizeof *n->w)) || !(n->b = calloc(N, sizeof *n->b)))
		return ARPG_ENOMEM;
	for (i = 0; i < N; i++)
		for (k = 0; k < K; k++)
			n->w[i * K + k] = n->alpha * (n->trans_b ? b->f[i * K + k] : b->f[k * N + i]);
	for (i = 0; c && i < N; i++)
		n->b[i] = n->beta * c->f[onx_numel(c) == 1 ? 0 : i];
	return 0;
}

/* The fusions: each pattern folds a node into its neighbour, so that one
 * kernel does both.  fuse() visits the nodes in graph order and, for each,
 * tries the patterns listed for its operator in fusions[], in list order;
 * a node folded into another is marked dead and its neighbour writes the
 * dead node's output (out_final).  uses[] counts the live readers of each
 * tensor: a value read elsewhere too, or kept (a graph output or a tap),
 * must stay, so it cannot be folded away. */
struct fuse_ctx {
	struct arpg_onnx *m;
	int *uses;
};

/* A pattern tried on node n, whose first input is written by p (a live
 * node, or NULL): 1 when it folded, 0 when it does not apply, or a
 * negative ARPG_E code. */
typedef int (*fuse_fn)(struct fuse_ctx *c, struct onx_node *n, struct onx_node *p);

/* p takes over n's output: n is folded into p. */
static void absorb(struct onx_node *p, struct onx_node *n)
{
	p->out_final = n->out[0];
	n->dead = 1;
}

/* BN -> Conv: the BN goes into the conv's weights when the conv has no
 * padding (exact), else into its im2col as a per-channel affine, which
 * keeps the padding zero as the BN's output has it. */
static int fuse_bn_into_next_conv(struct fuse_ctx *c, struct onx_node *n, struct onx_node *p)
{
	struct arpg_onnx *m = c->m;
	int x = n->in[0], rc;
	struct onx_tensor *w = &m->t[n->in[1]];
	int64_t M = w->dims[0], C = w->dims[1], KK = w->dims[2] * w->dims[3];
	int64_t mo, ci, k;
	float *s, *t;

	if (!n->w || !p || p->op != OP_BN || !single_use(m, c->uses, x) || !bn_static(m, p) ||
	    n->group != 1)
		return 0;
	if ((rc = bn_affine(m, p, &s, &t)) < 0) {
		free(s), free(t);
		return rc;
	}
	if (!n->pad[0] && !n->pad[1] && !n->pad[2] && !n->pad[3]) {
		for (mo = 0; mo < M; mo++)
			for (ci = 0; ci < C; ci++)
				for (k = 0; k < KK; k++) {
					float *wv = &n->w[(mo * C + ci) * KK + k];
					n->b[mo] += *wv * t[ci];
					*wv *= s[ci];
				}
		free(s), free(t);
	} else
		n->pre_s = s, n->pre_t = t;
	p->dead = 1;
	n->in[0] = p->in[0];
	c->uses[p->in[0]]++;
	return 1;
}

/* Conv or Gemm -> BN: the BN scales the rows of the weights and shifts the
 * bias, before any activation or residual the layer has taken (the BN
 * would come after those). */
static int fuse_bn_into_prev_layer(struct fuse_ctx *c, struct onx_node *n, struct onx_node *p)
{
	struct arpg_onnx *m = c->m;
	int x = n->in[0], rc;
	int64_t M = onx_numel(&m->t[n->in[1]]), K, mo, k;
	float *s, *t;

	if (!bn_static(m, n) || !p || (p->op != OP_CONV && p->op != OP_GEMM) || !p->w || p->act ||
	    p->res >= 0 || !single_use(m, c->uses, x) || (p->op != OP_CONV && m->t[x].rank != 2))
		return 0;
	if ((rc = bn_affine(m, n, &s, &t)) < 0) {
		free(s), free(t);
		return rc;
	}
	K = p->op == OP_CONV ? onx_numel(&m->t[p->in[1]]) / M : m->t[p->in[1]].dims[p->trans_b];
	for (mo = 0; mo < M; mo++) {
		for (k = 0; k < K; k++)
			p->w[mo * K + k] *= s[mo];
		p->b[mo] = p->b[mo] * s[mo] + t[mo];
	}
	free(s), free(t);
	absorb(p, n);
	return 1;
}

/* Conv -> Relu or PRelu with one slope per channel: the activation runs in
 * the conv's epilogue. */
static int fuse_act_into_conv(struct fuse_ctx *c, struct onx_node *n, struct onx_node *p)
{
	struct arpg_onnx *m = c->m;
	int x = n->in[0];
	int64_t M, ch;

	if (!p || p->op != OP_CONV || !p->w || p->act || p->res >= 0 || !single_use(m, c->uses, x))
		return 0;
	M = m->t[x].dims[1];
	if (n->op == OP_PRELU) {
		const struct onx_tensor *sl = &m->t[n->in[1]];
		int64_t ns = onx_numel(sl);
		int r = sl->rank;
		/* per channel: (M), (M,1,1) or (1,M,1,1) */
		if (sl->kind != TK_STATIC ||
		    !(ns == 1 || (ns == M && ((r == 3 && sl->dims[0] == M) ||
					     (r == 4 && sl->dims[1] == M)))))
			return 0;
		if (!(p->slope = malloc(M * sizeof *p->slope)))
			return ARPG_ENOMEM;
		for (ch = 0; ch < M; ch++)
			p->slope[ch] = sl->f[ns == 1 ? 0 : ch];
	}
	p->act = n->op == OP_RELU ? ACT_RELU : ACT_PRELU;
	absorb(p, n);
	return 1;
}

/* Conv -> Add of a tensor of the same shape: the add runs in the conv's
 * epilogue, when the other operand is computed before the conv runs (in
 * graph order) and is not a constant.  Either operand may be the conv's.
 * Not after a fused pool: dw3_plane's pooled rows take no residual. */
static int fuse_add_into_conv(struct fuse_ctx *c, struct onx_node *n, struct onx_node *p)
{
	struct arpg_onnx *m = c->m;
	int k, j;

	for (k = 0; k < 2; k++) {
		int a = n->in[k], r = n->in[!k], ppos, rpos;
		struct onx_node *q = NULL;
		if (a < 0 || r < 0 || !single_use(m, c->uses, a))
			continue;
		for (j = 0; j < m->nn; j++)
			if (!m->nodes[j].dead && m->nodes[j].out_final == a)
				q = &m->nodes[j];
		if (!q || q->op != OP_CONV || !q->w || q->res >= 0 || q->pool2 ||
		    m->t[r].rank != m->t[a].rank ||
		    memcmp(m->t[r].dims, m->t[a].dims, sizeof m->t[a].dims) ||
		    m->t[r].kind == TK_STATIC)
			continue;
		for (ppos = 0; m->order[ppos] != q - m->nodes; ppos++)
			;
		rpos = -1;
		if (m->t[r].kind == TK_VALUE)
			for (j = 0; j < m->nn; j++)
				if (!m->nodes[m->order[j]].dead &&
				    m->nodes[m->order[j]].out_final == r)
					rpos = j;
		if (rpos >= ppos)
			continue;
		q->res = r;
		absorb(q, n);
		return 1;
	}
	return 0;
}

/* Depthwise 3x3 stride-1 Conv (+ activation) -> MaxPool 2x2 stride 2,
 * unpadded, floor mode: the conv pools each pair of its rows as it makes
 * them, so that its full-size output (YuNet's largest maps) is never
 * written and read back. */
static int fuse_pool_into_dwconv(struct fuse_ctx *c, struct onx_node *n, struct onx_node *p)
{
	struct arpg_onnx *m = c->m;
	const struct onx_tensor *w;
	int x = n->in[0];

	if (!p || p->op != OP_CONV || !p->w || p->res >= 0 || p->pool2 || p->pre_s ||
	    !single_use(m, c->uses, x) || (n->nout > 1 && n->out[1] >= 0))
		return 0;
	w = &m->t[p->in[1]];
	if (w->dims[1] != 1 || w->dims[2] != 3 || w->dims[3] != 3 ||
	    p->group != m->t[p->in[0]].dims[1] || (p->group == 1 && w->dims[0] > 1) ||
	    p->stride[0] != 1 || p->stride[1] != 1 ||
	    p->dil[0] != 1 || p->dil[1] != 1)
		return 0;
	if (n->kernel[0] != 2 || n->kernel[1] != 2 || n->stride[0] != 2 || n->stride[1] != 2 ||
	    n->dil[0] != 1 || n->dil[1] != 1 || n->pad[0] || n->pad[1] || n->pad[2] ||
	    n->pad[3] || n->ceil_mode)
		return 0;
	p->pool2 = 1;
	absorb(p, n);
	return 1;
}

/* 1x1 Conv -> depthwise 3x3 Conv (onx_pw_dw_fits): the depthwise conv
 * makes the 1x1's output itself, a band of rows at a time, so that the
 * 1x1's full output (YuNet's largest maps) is never written and read
 * back.  The 1x1 node is dead; its input lives until the depthwise conv
 * runs (plan_arena). */
static int fuse_pw_into_dwconv(struct fuse_ctx *c, struct onx_node *n, struct onx_node *p)
{
	struct arpg_onnx *m = c->m;

	if (!p || !single_use(m, c->uses, n->in[0]) || p->out_final != n->in[0] ||
	    !onx_pw_dw_fits(m, p, n))
		return 0;
	n->pre_pw = (int)(p - m->nodes);
	p->dead = 1;
	return 1;
}

static const struct {
	int op;			/* the node the pattern is tried on */
	fuse_fn fn;
} fusions[] = {
	{ OP_CONV, fuse_bn_into_next_conv },
	{ OP_CONV, fuse_pw_into_dwconv },
	{ OP_BN, fuse_bn_into_prev_layer },
	{ OP_RELU, fuse_act_into_conv },
	{ OP_PRELU, fuse_act_into_conv },
	{ OP_ADD, fuse_add_into_conv },
	{ OP_MAXPOOL, fuse_pool_into_dwconv },
};

/* The live node that writes n's first input (a node fused earlier may
 * write a later tensor), or NULL. */
static struct onx_node *input_writer(struct arpg_onnx *m, const struct onx_node *n)
{
	int x = n->in[0], j;
	struct onx_node *p = x >= 0 && m->t[x].producer >= 0 ? &m->nodes[m->t[x].producer] : NULL;

	if (p && p->dead) {
		for (j = 0; j < m->nn; j++)
			if (!m->nodes[j].dead && m->nodes[j].out_final == x)
				break;
		p = j < m->nn ? &m->nodes[j] : NULL;
	}
	return p && p->out_final == x ? p : NULL;
}

/* Folds and fuses in graph order (see struct fuse_ctx), and prepares each
 * node's own constants: the weights of a Conv or Gemm before patterns
 * fold into them, a static BN's affine when it stays a node. */
static int fuse(struct arpg_onnx *m)
{
	struct fuse_ctx c = { m, calloc(m->nt + 1, sizeof *c.uses) };
	int i, j, rc = 0, fused;
	size_t k;

	if (!c.uses)
		return ARPG_ENOMEM;
	for (i = 0; i < m->nn; i++)
		for (j = 0; j < m->nodes[i].nin; j++)
			if (m->nodes[i].in[j] >= 0 && !m->nodes[i].dead)
				c.uses[m->nodes[i].in[j]]++;
	for (i = 0; i < m->nn && !rc; i++) {
		struct onx_node *n = &m->nodes[m->order[i]], *p;
		if (n->dead)
			continue;
		p = input_writer(m, n);
		if ((n->op == OP_CONV && (rc = prep_conv(m, n)) < 0) ||
		    (n->op == OP_GEMM && (rc = prep_gemm(m, n)) < 0))
			break;
		for (k = 0, fused = 0; k < sizeof fusions / sizeof *fusions && !fused; k++)
			if (fusions[k].op == n->op && (fused = fusions[k].fn(&c, n, p)) < 0)
				rc = fused;
		if (!fused && n->op == OP_BN && bn_static(m, n))
			rc = bn_affine(m, n, &n->bn_s, &n->bn_t);
	}
	free(c.uses);
	return rc;
}

/* ---- arena ---- */

static int plan_arena(struct arpg_onnx *m, char *err, size_t errn)
{
	int *list = malloc((m->nt + 1) * sizeof *list), nl = 0, i, j, k;
	size_t top = 0;

	if (!list)
		return ARPG_ENOMEM;
	for (i = 0; i < m->nt; i++)
		m->t[i].birth = -1, m->t[i].death = -1;
	for (i = 0; i < m->nn; i++) {
		struct onx_node *n = &m->nodes[m->order[i]];
		if (n->dead)
			continue;
		m->t[n->out_final].birth = i;
		m->t[n->out_final].death = i;
		for (j = 0; j < n->nin; j++)
			if (n->in[j] >= 0)
				m->t[n->in[j]].death = i;
		if (n->res >= 0)
			m->t[n->res].death = i;
		/* a fused 1x1 conv reads its input when n runs */
		for (j = 0; n->pre_pw >= 0 && j < m->nodes[n->pre_pw].nin; j++)
			if (m->nodes[n->pre_pw].in[j] >= 0)
				m->t[m->nodes[n->pre_pw].in[j]].death = i;
	}
	for (i = 0; i < m->nt; i++) {
		struct onx_tensor *t = &m->t[i];
		if (t->kind != TK_VALUE || t->birth < 0)
			continue;
		if (t->keep)
			t->death = INT_MAX;
		t->cap = ((size_t)onx_numel(t) + 15) & ~(size_t)15;
		list[nl++] = i;
	}
	/* largest first, each at the lowest offset clear of every placed
	 * tensor whose lifetime overlaps */
	for (i = 1; i < nl; i++)
		for (j = i; j > 0 && m->t[list[j]].cap > m->t[list[j - 1]].cap; j--)
			k = list[j], list[j] = list[j - 1], list[j - 1] = k;
	for (i = 0; i < nl; i++) {
		struct onx_tensor *t = &m->t[list[i]];
		size_t off = 0;
		int moved = 1;
		while (moved) {
			moved = 0;
			for (j = 0; j < i; j++) {
				struct onx_tensor *u = &m->t[list[j]];
				if (u->birth > t->death || t->birth > u->death)
					continue;
				if (off < u->off + u->cap && u->off < off + t->cap) {
					off = u->off + u->cap;
					moved = 1;
				}
			}
		}
		t->off = off;
		if (off + t->cap > top)
			top = off + t->cap;
	}
	free(list);
	m->arena_n = top;
	if (top > ((size_t)1 << 34) / sizeof(float) ||
	    (m->mem_limit && top > m->mem_limit / sizeof(float)))
		return arpg_errf(err, errn, ARPG_ERANGE, "activations need %zu MiB",
				 top * 4 >> 20);
	if (!(m->arena = aligned_alloc(64, (top + 16) * sizeof(float))))
		return arpg_errf(err, errn, ARPG_ENOMEM, "activations: out of memory (%zu MiB)",
				 top * 4 >> 20);
	return 0;
}

void arpg_onnx_set_memory_limit(struct arpg_onnx *m, size_t bytes)
{
	m->mem_limit = bytes;
}

/* Below this many input or output channels a 3x3 conv stays on im2col:
 * the 36 GEMMs would be too thin for the transforms to pay (and see
 * onx_wino_pays for the number of tiles). */
#define WINO_MIN_CHANNELS 16

int arpg_onnx_set_winograd(struct arpg_onnx *m, int mode)
{
	if (m->prepared || (mode != ARPG_ONNX_WINOGRAD_OFF && mode != ARPG_ONNX_WINOGRAD_AUTO))
		return ARPG_EINVAL;
	m->winograd = mode;
	return 0;
}

int arpg_onnx_set_threads(struct arpg_onnx *m, int n)
{
	if (m->prepared || n < 0 || n > 1024)
		return ARPG_EINVAL;
	m->want_threads = n;
	return 0;
}

int arpg_onnx_winograd_parse(const char *value)
{
	return !value || !*value || atoi(value) != 0 ? ARPG_ONNX_WINOGRAD_AUTO
		: ARPG_ONNX_WINOGRAD_OFF;
}

int arpg_onnx_prepare(struct arpg_onnx *m, int batch, char *err, size_t errn)
{
	size_t need = 0, k;
	int i, rc;

	if (m->prepared)
		return arpg_errf(err, errn, ARPG_EINVAL, "the model is already prepared");
	if ((rc = init_inputs(m, batch, err, errn)) < 0 ||
	    (rc = onx_infer(m, batch, 1, err, errn)) < 0)
		return rc;
	m->batch = m->cur_batch = batch;
	if ((rc = fuse(m)) < 0 || (rc = plan_arena(m, err, errn)) < 0)
		return rc == ARPG_ENOMEM ? arpg_errf(err, errn, rc, "out of memory") : rc;
#ifdef _OPENMP
	m->nthreads = m->want_threads ? m->want_threads : omp_get_max_threads();
#else
	m->nthreads = 1;
#endif
	if (m->nthreads < 1)
		m->nthreads = 1;
	for (i = 0; i < m->nn; i++)
		if (!m->nodes[i].dead) {
			k = onx_scratch_need(m, &m->nodes[i]);
			if (k > need)
				need = k;
		}
	if (need > ((size_t)1 << 34) / sizeof(float))
		return arpg_errf(err, errn, ARPG_ERANGE, "scratch needs %zu MiB", need * 4 >> 20);
	onx_ops_init(m);
	m->scratch_per_thread = (need + 15) & ~(size_t)15;
	m->scratch_n = need = m->scratch_per_thread * m->nthreads;
	/* Winograd for the 3x3 stride-1 convs with enough channels to fill its
	 * GEMMs, F(4x4) or F(2x2) by the tiles of the prepared batch (after
	 * folding, so the folded weights are transformed); a run with fewer
	 * images falls back to im2col where the tiles no longer pay.
	 * ARPG_ONNX_WINOGRAD_OFF keeps im2col, for comparison. */
	for (i = 0; i < m->nn && m->winograd != ARPG_ONNX_WINOGRAD_OFF; i++) {
		struct onx_node *n = &m->nodes[i];
		const struct onx_tensor *w = n->op == OP_CONV ? &m->t[n->in[1]] : NULL;
		const struct onx_tensor *o = w ? &m->t[n->out[0]] : NULL;
		int tile;
		if (n->dead || !w || (!n->w && w->kind != TK_STATIC) || n->group != 1 ||
		    w->dims[2] != 3 || w->dims[3] != 3 || n->stride[0] != 1 || n->stride[1] != 1 ||
		    n->dil[0] != 1 || n->dil[1] != 1 || w->dims[1] < WINO_MIN_CHANNELS ||
		    w->dims[0] < WINO_MIN_CHANNELS || !(tile = onx_wino_tile(o->dims[2], o->dims[3], batch)))
			continue;
		if (!(n->wino = onx_wino_weights(n->w ? n->w : w->f, w->dims[0], w->dims[1], tile)))
			return arpg_errf(err, errn, ARPG_ENOMEM, "out of memory");
		n->wino_m = tile;
		k = onx_wino_scratch(w->dims[1], w->dims[0], o->dims[2], o->dims[3], batch, tile,
				     m->nthreads);
		if (k > need)
			need = m->scratch_n = k;
	}
	/* the other convs' filters packed for BLIS's micro-kernel once, not
	 * by every GEMM call (onx_pk_gemm) */
	for (i = 0; i < m->nn; i++) {
		struct onx_node *n = &m->nodes[i];
		const struct onx_tensor *w = n->op == OP_CONV ? &m->t[n->in[1]] : NULL;
		if (!w || !onx_conv_packs(m, n))
			continue;
		if (!(n->pk = onx_pk_weights(n->w ? n->w : w->f, w->dims[0],
					     w->dims[1] * w->dims[2] * w->dims[3])))
			return arpg_errf(err, errn, ARPG_ENOMEM, "out of memory");
	}
	if (m->mem_limit && (need + m->arena_n) > m->mem_limit / sizeof(float))
		return arpg_errf(err, errn, ARPG_ERANGE,
				 "activations and scratch need %zu MiB, over the limit of %zu MiB",
				 (need + m->arena_n) * 4 >> 20, m->mem_limit >> 20);
	if (!(m->scratch = aligned_alloc(64, (need + 16) * sizeof(float))))
		return arpg_errf(err, errn, ARPG_ENOMEM, "scratch: out of memory");
	m->prepared = 1;
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

int arpg_onnx_run(struct arpg_onnx *m, int n, const float *const *inputs,
		  char *err, size_t errn)
{
	int i, rc, batched = 0;

	if (!m->prepared)
		return arpg_errf(err, errn, ARPG_EINVAL, "the model is not prepared");
	for (i = 0; i < m->ninputs; i++)
		batched |= m->t[m->inputs[i]].batched;
	if (batched) {
		if (n < 1 || n > m->batch)
			return arpg_errf(err, errn, ARPG_EINVAL, "batch of %d: prepared for 1 to %d",
					 n, m->batch);
		if (n != m->cur_batch) {
			if ((rc = onx_infer(m, n, 0, err, errn)) < 0)
				return rc;
			m->cur_batch = n;
		}
	}
	for (i = 0; i < m->nt; i++) {
		struct onx_tensor *t = &m->t[i];
		t->data = t->kind == TK_STATIC ? t->f : t->kind == TK_VALUE && t->birth >= 0 ?
			m->arena + t->off : NULL;
	}
	for (i = 0; i < m->ninputs; i++) {
		struct onx_tensor *t = &m->t[m->inputs[i]];
		if (t->kind != TK_INPUT)
			continue;
		if (!inputs[i])
			return arpg_errf(err, errn, ARPG_EINVAL, "input '%s' not given", t->name);
		t->data = (float *)inputs[i];
	}
	for (i = 0; i < m->nn; i++) {
		struct onx_node *nd = &m->nodes[m->order[i]];
		double t0 = 0;
		if (nd->dead)
			continue;
		if (m->profile)
			t0 = now();
		if ((rc = onx_exec(m, nd, err, errn)) < 0)
			return rc;
		if (m->profile) {
			nd->t_sec += now() - t0;
			nd->calls++;
		}
	}
	return 0;
}

static void view(const struct onx_tensor *t, struct arpg_onnx_tensor *v)
{
	v->name = t->name;
	v->rank = t->rank;
	memcpy(v->dims, t->dims, sizeof v->dims);
	v->data = t->data;
}

int arpg_onnx_output(const struct arpg_onnx *m, int i, struct arpg_onnx_tensor *t)
{
	if (i < 0 || i >= m->noutputs)
		return ARPG_EINVAL;
	view(&m->t[m->outputs[i]], t);
	return 0;
}

int arpg_onnx_get(const struct arpg_onnx *m, const char *name, struct arpg_onnx_tensor *t)
{
	int ti = find_value_or_node(m, name);

	if (ti < 0 || !(m->t[ti].keep || m->t[ti].kind != TK_VALUE))
		return ARPG_ENOENT;
	view(&m->t[ti], t);
	return 0;
}

double arpg_onnx_flops(const struct arpg_onnx *m)
{
	double f = 0;
	int i;

	for (i = 0; i < m->nn; i++)
		f += m->nodes[i].flops;
	return f;
}

size_t arpg_onnx_arena_bytes(const struct arpg_onnx *m)
{
	return (m->arena_n + m->scratch_n) * sizeof(float);
}

int arpg_onnx_set_profile(struct arpg_onnx *m, int level)
{
	if (level < ARPG_ONNX_PROFILE_OFF || level > ARPG_ONNX_PROFILE_NODES)
		return ARPG_EINVAL;
	m->profile = level;
	return 0;
}

void arpg_onnx_profile_print(const struct arpg_onnx *m, void *fp)
{
	double by_op[OP_COUNT] = { 0 }, tot = 0;
	int i;

	for (i = 0; i < m->nn; i++) {
		by_op[m->nodes[i].op] += m->nodes[i].t_sec;
		tot += m->nodes[i].t_sec;
	}
	for (i = 0; i < m->nn; i++) {
		const struct onx_node *n = &m->nodes[i];
		const struct onx_tensor *o = &m->t[n->out_final];
		if (n->op == OP_CONV && n->calls && m->profile >= ARPG_ONNX_PROFILE_NODES)
			fprintf(fp, "  %-40s %4lldx%3lldx%3lld k%lld s%lld %8.2f ms %6.1f GFLOP/s\n",
				n->name, (long long)o->dims[1], (long long)o->dims[2],
				(long long)o->dims[3], (long long)m->t[n->in[1]].dims[2],
				(long long)n->stride[0], 1e3 * n->t_sec / n->calls,
				n->flops * n->calls / n->t_sec * 1e-9);
	}
	for (i = 0; i < OP_COUNT; i++)
		if (by_op[i] > 0)
			fprintf(fp, "  %-20s %8.3f s %5.1f%%\n", onx_op_names[i], by_op[i],
				100 * by_op[i] / tot);
}
