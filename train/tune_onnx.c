/* tune_onnx.c - the backbone's tail read from an ONNX model (see
 * tune_onnx.h). */
#include "tune_onnx.h"
#include "error.h"

#include <stdlib.h>
#include <string.h>

/* A weight to copy into the parameters or constants once they exist. */
struct copy {
	int consts;		/* 0: params, 1: consts */
	size_t off, n;
	const float *src;
	int rows, cols;		/* > 0: src is (rows, cols), stored transposed */
	const char *name;	/* the initializer's (the model's, while it lives) */
};

struct build {
	struct named { const char *name; int v; } *names;	/* tensor name -> value */
	int nnames;
	struct copy *copies;
	int ncopies;
};

static int value_of(const struct build *b, const char *name)
{
	for (int i = b->nnames - 1; name && i >= 0; i--)
		if (!strcmp(b->names[i].name, name))
			return b->names[i].v;
	return -1;
}

/* The tensor name is value v (a no-op node gives a value a second name). */
static int name_value(struct build *b, int v, const char *name)
{
	struct named *p;

	if (!name)
		return 0;
	if (!(p = realloc(b->names, sizeof *p * (size_t)(b->nnames + 1))))
		return ARPG_ENOMEM;
	b->names = p;
	p[b->nnames++] = (struct named){ name, v };
	return 0;
}

/* The values of initializer t go to offset off of the parameters (or
 * the constants), transposed when rows > 0. */
static int add_copy(struct build *b, int consts, size_t off, const struct arpg_onnx_tensor *t,
		    size_t n, int rows, int cols)
{
	struct copy *p = realloc(b->copies, sizeof *p * (size_t)(b->ncopies + 1));

	if (!p)
		return ARPG_ENOMEM;
	b->copies = p;
	p[b->ncopies++] = (struct copy){ consts, off, n, t->data, rows, cols, t->name };
	return 0;
}

static long numel(const struct arpg_onnx_tensor *t)
{
	long n = 1;

	for (int i = 0; i < t->rank; i++)
		n *= (long)t->dims[i];
	return n;
}

/* The static input k of node n with count elements (count < 0: any). */
static int weight(const struct arpg_onnx *m, const struct arpg_onnx_node *n, int k, long count,
		  struct arpg_onnx_tensor *t, char *err, size_t errn)
{
	if (k >= n->nin || !n->in[k] || arpg_onnx_static(m, n->in[k], t) < 0)
		return arpg_errf(err, errn, ARPG_EUNSUPPORTED, "node '%s' (%s): input %d is not "
				 "an initializer", n->name, n->op, k);
	if (count >= 0 && numel(t) != count)
		return arpg_errf(err, errn, ARPG_EFORMAT, "node '%s' (%s): input %d has %ld "
				 "values, not %ld", n->name, n->op, k, numel(t), count);
	return 0;
}

/* One node on value x (and x2 for Add); its output value, or a negative
 * code. */
static int take_node(struct tune *t, struct build *b, const struct arpg_onnx *m,
		     const struct arpg_onnx_node *n, int x, int x2, char *err, size_t errn)
{
	struct arpg_onnx_tensor w, bias, mean, var;
	const struct tune_val vx = t->vals[x], *v = &vx;	/* a copy: the builder reallocates */
	int o, rc;

	if (!strcmp(n->op, "Conv")) {
		int k;

		if ((rc = weight(m, n, 1, -1, &w, err, errn)) < 0)
			return rc;
		k = (int)w.dims[2];
		if (w.rank != 4 || w.dims[1] != v->c || w.dims[3] != k || n->group != 1 ||
		    n->dil[0] != 1 || n->dil[1] != 1 || n->auto_pad || n->stride[0] != n->stride[1] ||
		    n->pad[0] != n->pad[1] || n->pad[0] != n->pad[2] || n->pad[0] != n->pad[3])
			return arpg_errf(err, errn, ARPG_EUNSUPPORTED, "node '%s' (Conv): only "
					 "square kernels over %d channels, one group, no dilation, "
					 "the same padding on every side", n->name, v->c);
		if (n->nin > 2 && n->in[2] && (rc = weight(m, n, 2, (long)w.dims[0], &bias, err,
							   errn)) < 0)
			return rc;
		if ((o = tune_conv(t, x, (int)w.dims[0], k, (int)n->stride[0], (int)n->pad[0],
				   n->nin > 2 && n->in[2])) < 0)
			return ARPG_ENOMEM;
		rc = add_copy(b, 0, t->ops[t->nops - 1].w, &w, (size_t)numel(&w), 0, 0);
		if (!rc && n->nin > 2 && n->in[2])
			rc = add_copy(b, 0, t->ops[t->nops - 1].b, &bias, (size_t)numel(&bias), 0, 0);
		return rc < 0 ? rc : o;
	}
	if (!strcmp(n->op, "BatchNormalization")) {
		if ((rc = weight(m, n, 1, v->c, &w, err, errn)) < 0 ||
		    (rc = weight(m, n, 2, v->c, &bias, err, errn)) < 0 ||
		    (rc = weight(m, n, 3, v->c, &mean, err, errn)) < 0 ||
		    (rc = weight(m, n, 4, v->c, &var, err, errn)) < 0)
			return rc;
		if ((o = tune_bn(t, x, n->eps)) < 0)
			return ARPG_ENOMEM;
		const struct tune_op *op = &t->ops[t->nops - 1];
		if ((rc = add_copy(b, 0, op->w, &w, (size_t)v->c, 0, 0)) < 0 ||
		    (rc = add_copy(b, 0, op->b, &bias, (size_t)v->c, 0, 0)) < 0 ||
		    (rc = add_copy(b, 1, op->stat, &mean, (size_t)v->c, 0, 0)) < 0 ||
		    (rc = add_copy(b, 1, op->stat + (size_t)v->c, &var, (size_t)v->c, 0, 0)) < 0)
			return rc;
		return o;
	}
	if (!strcmp(n->op, "PRelu")) {
		if ((rc = weight(m, n, 1, v->c, &w, err, errn)) < 0)
			return rc;
		if ((o = tune_prelu(t, x)) < 0)
			return ARPG_ENOMEM;
		rc = add_copy(b, 0, t->ops[t->nops - 1].w, &w, (size_t)v->c, 0, 0);
		return rc < 0 ? rc : o;
	}
	if (!strcmp(n->op, "Add")) {
		if (x2 < 0)
			return arpg_errf(err, errn, ARPG_EUNSUPPORTED, "node '%s' (Add): only the sum "
					 "of two maps of the tail", n->name);
		if ((o = tune_add(t, x, x2)) < 0)
			return arpg_errf(err, errn, ARPG_EFORMAT, "node '%s' (Add): the shapes "
					 "differ", n->name);
		return o;
	}
	if (!strcmp(n->op, "Gemm")) {
		long D = (long)v->c * v->h * v->w;
		int E;

		if ((rc = weight(m, n, 1, -1, &w, err, errn)) < 0)
			return rc;
		if (n->trans_a || n->alpha != 1.0f || n->beta != 1.0f || w.rank != 2 ||
		    w.dims[n->trans_b ? 1 : 0] != D)
			return arpg_errf(err, errn, ARPG_EUNSUPPORTED, "node '%s' (Gemm): only x W "
					 "(+ C) of a weight with %ld inputs, alpha and beta 1",
					 n->name, D);
		E = (int)w.dims[n->trans_b ? 0 : 1];
		if (n->nin > 2 && n->in[2] && (rc = weight(m, n, 2, E, &bias, err, errn)) < 0)
			return rc;
		if ((o = tune_fc(t, x, E, n->nin > 2 && n->in[2])) < 0)
			return ARPG_ENOMEM;
		rc = add_copy(b, 0, t->ops[t->nops - 1].w, &w, (size_t)numel(&w),
			      n->trans_b ? 0 : (int)D, n->trans_b ? 0 : E);
		if (!rc && n->nin > 2 && n->in[2])
			rc = add_copy(b, 0, t->ops[t->nops - 1].b, &bias, (size_t)E, 0, 0);
		return rc < 0 ? rc : o;
	}
	if (!strcmp(n->op, "Flatten") || !strcmp(n->op, "Reshape") || !strcmp(n->op, "Dropout") ||
	    !strcmp(n->op, "Identity"))
		return x;	/* the same floats: a value is (n, C*H*W) to an fc */
	return arpg_errf(err, errn, ARPG_EUNSUPPORTED, "node '%s' (%s) after the stride-8 map: "
			 "not a layer --tune-backbone trains", n->name, n->op);
}

void tune_sources_free(struct tune_sources *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->v[i].name);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* The parameters' copies of b as sources (names copied: the model goes). */
static int keep_sources(struct tune_sources *src, const struct build *b)
{
	if (!(src->v = calloc((size_t)b->ncopies + 1, sizeof *src->v)))
		return ARPG_ENOMEM;
	for (int i = 0; i < b->ncopies; i++) {
		const struct copy *p = &b->copies[i];

		if (p->consts)	/* frozen: the export keeps the model's */
			continue;
		src->v[src->n] = (struct tune_source){ strdup(p->name ? p->name : ""), p->off,
						       p->n, p->rows, p->cols };
		if (!src->v[src->n++].name)
			return ARPG_ENOMEM;
	}
	return 0;
}

int tune_from_onnx(struct tune **tp, const struct arpg_onnx *m, const char *from, int c, int h,
		   int w, int max_n, char *err, size_t errn)
{
	return tune_from_onnx_sources(tp, NULL, m, from, c, h, w, max_n, err, errn);
}

int tune_from_onnx_sources(struct tune **tp, struct tune_sources *src, const struct arpg_onnx *m,
			   const char *from, int c, int h, int w, int max_n, char *err,
			   size_t errn)
{
	struct build b = { NULL, 0, NULL, 0 };
	struct arpg_onnx_tensor out;
	struct tune *t = tune_new(c, h, w);
	const char *outname = NULL;
	int rc = 0, last = 0;

	*tp = NULL;
	if (src)
		*src = (struct tune_sources){ NULL, 0 };
	if (!t || name_value(&b, 0, from) < 0) {
		rc = ARPG_ENOMEM;
		goto out;
	}
	if (arpg_onnx_noutputs(m) >= 1 && arpg_onnx_output(m, 0, &out) == 0)
		outname = out.name;
	for (int i = 0; i < arpg_onnx_nnodes(m); i++) {
		struct arpg_onnx_node n;
		int x = -1, x2 = -1, other = 0, y;

		arpg_onnx_node_info(m, i, &n);
		for (int k = 0; k < n.nin; k++) {
			struct arpg_onnx_tensor s;
			int v = value_of(&b, n.in[k]);

			if (v >= 0 && x < 0)
				x = v;
			else if (v >= 0)
				x2 = v;
			else if (n.in[k] && arpg_onnx_static(m, n.in[k], &s) < 0)
				other = 1;
		}
		if (x < 0)
			continue;	/* before the map, or beside it */
		if (other) {
			rc = arpg_errf(err, errn, ARPG_EUNSUPPORTED, "node '%s' (%s) takes the "
				       "stride-8 map's descendants and another input", n.name, n.op);
			goto out;
		}
		if ((y = take_node(t, &b, m, &n, x, x2, err, errn)) < 0) {
			rc = y;
			goto out;
		}
		if ((rc = name_value(&b, y, n.out[0])) < 0)
			goto out;
		last = y;
		if (outname && n.out[0] && !strcmp(n.out[0], outname))
			break;
	}
	if (!outname || value_of(&b, outname) < 0 || last != t->nvals - 1 || t->nops < 1) {
		rc = arpg_errf(err, errn, ARPG_EFORMAT, "the graph's output is not reached from "
			       "'%s' through layers --tune-backbone trains", from);
		goto out;
	}
	if ((rc = tune_finish(t, max_n)) < 0)
		goto out;
	for (int i = 0; i < b.ncopies; i++) {
		const struct copy *p = &b.copies[i];
		float *d = (p->consts ? t->consts : t->params) + p->off;

		if (p->rows > 0)	/* (D, E) -> (E, D) */
			for (int r = 0; r < p->rows; r++)
				for (int k = 0; k < p->cols; k++)
					d[(size_t)k * p->rows + r] = p->src[(size_t)r * p->cols + k];
		else
			memcpy(d, p->src, sizeof *d * p->n);
	}
	if (src && (rc = keep_sources(src, &b)) < 0) {
		tune_sources_free(src);
		goto out;
	}
	*tp = t;
	t = NULL;
out:
	tune_free(t);
	free(b.names);
	free(b.copies);
	return rc;
}
