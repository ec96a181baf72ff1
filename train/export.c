/* export.c - the ARPGNet head as ONNX nodes, from the model's parameter
 * buffer, following model_forward step by step (see model.c). */
#include "config.h"

#include "export.h"
#include "error.h"
#include "layers.h"
#include "onnx/onnx_build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Added to the attention score of a pair that is not an edge. */
#define NO_EDGE (-1e9f)

/* What the graph's parts share: the builder, a counter for the names of
 * constants, the model's shapes. */
struct ex {
	struct arpg_onnx_build *b;
	int consts;
	int nomem;		/* a buffer of ours could not be allocated */
	int T, N, D, H, C;
};

/* A float constant named name (unique among the model's tensors). */
static const char *cf(struct ex *x, const char *name, int rank, const int64_t *dims,
		      const float *data)
{
	return arpg_onnx_build_float(x->b, name, rank, dims, data);
}

/* An int64 vector constant (shapes, axes), named from a counter. */
static const char *ci(struct ex *x, int n, const int64_t *v)
{
	char name[32];

	snprintf(name, sizeof name, "const_i64_%d", x->consts++);
	return arpg_onnx_build_int64(x->b, name, 1, (int64_t[]){ n }, v);
}

/* A node of two inputs and no attributes. */
static const char *op2(struct ex *x, const char *op, const char *hint, const char *a,
		       const char *b)
{
	return arpg_onnx_build_op(x->b, op, hint, NULL, 0, 2, a, b);
}

static const char *transpose(struct ex *x, const char *hint, const char *a, int rank,
			     const int64_t *perm)
{
	struct arpg_onnx_attr at = { .name = "perm", .kind = ARPG_ONNX_ATTR_INTS,
				     .ints = perm, .nints = rank };

	return arpg_onnx_build_op(x->b, "Transpose", hint, &at, 1, 1, a);
}

/* y = a W + bias: a linear layer of the model (W in x D, row-major). */
static const char *linear(struct ex *x, const char *pfx, const char *a, const float *W,
			  const float *bias, int in, int out)
{
	char wn[96], bn[96];
	const char *y;

	snprintf(wn, sizeof wn, "%s.W", pfx);
	snprintf(bn, sizeof bn, "%s.b", pfx);
	y = op2(x, "MatMul", pfx, a, cf(x, wn, 2, (int64_t[]){ in, out }, W));
	return op2(x, "Add", pfx, y, cf(x, bn, 1, (int64_t[]){ out }, bias));
}

/* The mean over axis of a (dropped). */
static const char *mean(struct ex *x, const char *hint, const char *a, int axis)
{
	struct arpg_onnx_attr at[] = {
		{ .name = "axes", .kind = ARPG_ONNX_ATTR_INTS, .ints = (int64_t[]){ axis }, .nints = 1 },
		{ .name = "keepdims", .kind = ARPG_ONNX_ATTR_INT, .i = 0 },
	};

	return arpg_onnx_build_op(x->b, "ReduceMean", hint, at, 2, 1, a);
}

static const char *elu(struct ex *x, const char *hint, const char *a)
{
	struct arpg_onnx_attr at = { .name = "alpha", .kind = ARPG_ONNX_ATTR_FLOAT, .f = 1.0f };

	return arpg_onnx_build_op(x->b, "Elu", hint, &at, 1, 1, a);
}

/* One GAT layer (model.c's gat_layer_fwd) on in, of shape [lead..., n, D]
 * with lead 2 ([B, T]: the relation graphs of the frames) or 1 ([B]: the
 * fusion graph of a clip): x_out = LayerNorm(x + ELU(attention(x W))).
 * Per head h the scores s_dst = z_h a_dst_h and s_src = z_h a_src_h are
 * one MatMul each with a D x H block matrix; the pairs' scores
 * e = LeakyReLU(s_dst[i] + s_src[j]) + mask; alpha = softmax over j. */
static const char *gat(struct ex *x, const char *pfx, const char *in, const struct gat_w *w,
		       const uint8_t *mask, int n, int lead)
{
	int D = x->D, H = x->H, dh = D / H, r = lead + 2, i;
	int64_t swap[5], heads_first[5], zshape[5], oshape[4], dshape[5], sshape[5];
	float *adst = calloc((size_t)D * H, sizeof *adst), *asrc = calloc((size_t)D * H, sizeof *asrc);
	float *mk = malloc(sizeof *mk * (size_t)n * n);
	const char *z, *sd, *ss, *e, *alpha, *zh, *o, *y, *g;
	char name[96];
	struct arpg_onnx_attr leaky = { .name = "alpha", .kind = ARPG_ONNX_ATTR_FLOAT, .f = 0.2f };
	struct arpg_onnx_attr last = { .name = "axis", .kind = ARPG_ONNX_ATTR_INT, .i = -1 };
	struct arpg_onnx_attr ln[] = {
		{ .name = "axis", .kind = ARPG_ONNX_ATTR_INT, .i = -1 },
		{ .name = "epsilon", .kind = ARPG_ONNX_ATTR_FLOAT, .f = 1e-5f },
	};

	if (!adst || !asrc || !mk) {
		free(adst);
		free(asrc);
		free(mk);
		x->nomem = 1;
		return NULL;
	}
	for (i = 0; i < D; i++) {
		adst[i * H + i / dh] = w->a_dst[i];
		asrc[i * H + i / dh] = w->a_src[i];
	}
	for (i = 0; i < n * n; i++)
		mk[i] = mask[i] ? 0.0f : NO_EDGE;
	/* swap: the last two of r axes exchanged; heads_first: [lead, n, H,
	 * dh] <-> [lead, H, n, dh]; the shapes of the Reshapes */
	for (i = 0; i < lead; i++) {
		swap[i] = heads_first[i] = i;
		zshape[i] = oshape[i] = dshape[i] = sshape[i] = 0;	/* Reshape: as it is */
	}
	swap[lead] = lead + 1;
	swap[lead + 1] = lead;
	heads_first[lead] = lead + 1;
	heads_first[lead + 1] = lead;
	heads_first[lead + 2] = lead + 2;
	zshape[lead] = n;
	zshape[lead + 1] = H;
	zshape[lead + 2] = dh;
	oshape[lead] = n;
	oshape[lead + 1] = D;

	snprintf(name, sizeof name, "%s.W", pfx);
	z = op2(x, "MatMul", pfx, in, cf(x, name, 2, (int64_t[]){ D, D }, w->W));
	snprintf(name, sizeof name, "%s.a_dst", pfx);
	sd = op2(x, "MatMul", pfx, z, cf(x, name, 2, (int64_t[]){ D, H }, adst));
	snprintf(name, sizeof name, "%s.a_src", pfx);
	ss = op2(x, "MatMul", pfx, z, cf(x, name, 2, (int64_t[]){ D, H }, asrc));
	/* [lead, n, H] -> [lead, H, n, 1] and [lead, H, 1, n] (Reshape, not
	 * Unsqueeze, which arpg's engine runs on shapes only) */
	dshape[lead] = sshape[lead] = H;
	dshape[lead + 1] = sshape[lead + 2] = n;
	dshape[lead + 2] = sshape[lead + 1] = 1;
	sd = op2(x, "Reshape", pfx, transpose(x, pfx, sd, r, swap), ci(x, r + 1, dshape));
	ss = op2(x, "Reshape", pfx, transpose(x, pfx, ss, r, swap), ci(x, r + 1, sshape));
	e = arpg_onnx_build_op(x->b, "LeakyRelu", pfx, &leaky, 1, 1, op2(x, "Add", pfx, sd, ss));
	snprintf(name, sizeof name, "%s.mask", pfx);
	e = op2(x, "Add", pfx, e, cf(x, name, 2, (int64_t[]){ n, n }, mk));
	alpha = arpg_onnx_build_op(x->b, "Softmax", pfx, &last, 1, 1, e);
	/* o = alpha z per head: z [lead, n, D] -> [lead, H, n, dh] and back */
	zh = transpose(x, pfx, op2(x, "Reshape", pfx, z, ci(x, r + 1, zshape)), r + 1, heads_first);
	o = transpose(x, pfx, op2(x, "MatMul", pfx, alpha, zh), r + 1, heads_first);
	o = op2(x, "Reshape", pfx, o, ci(x, r, oshape));
	y = op2(x, "Add", pfx, in, elu(x, pfx, o));
	snprintf(name, sizeof name, "%s.ln_gamma", pfx);
	g = cf(x, name, 1, (int64_t[]){ D }, w->ln_g);
	snprintf(name, sizeof name, "%s.ln_beta", pfx);
	y = arpg_onnx_build_op(x->b, "LayerNormalization", pfx, ln, 2, 3, y, g,
			       cf(x, name, 1, (int64_t[]){ D }, w->ln_b));
	free(adst);
	free(asrc);
	free(mk);
	return y;
}

/* The relation branch: patch [B, T, N, Dp] -> r [B, T, D]. */
static const char *relation(struct ex *x, const struct model *m, const char *patch)
{
	const struct model_config *c = model_config(m);
	const struct slices *p = model_slices(m);
	const char *h;
	char pfx[48];

	h = linear(x, "relation.patch_proj", patch, p->Wp, p->bp, c->Dp, x->D);
	h = op2(x, "Add", "relation.node_pos", h,
		cf(x, "relation.node_pos.E", 2, (int64_t[]){ x->N, x->D }, p->E));
	for (int l = 0; l < c->rel_layers; l++) {
		snprintf(pfx, sizeof pfx, "relation.gat%d", l + 1);
		h = gat(x, pfx, h, &p->rel[l], model_rel_mask(m), x->N, 2);
	}
	return mean(x, "relation.node_mean", h, 2);
}

/* A branch's fusion nodes: v [B, T, D] + PE + the modality embedding. */
static const char *fusion_nodes(struct ex *x, const char *v, const char *pe,
				const char *name, const float *emb)
{
	return op2(x, "Add", name, op2(x, "Add", name, v, pe),
		   cf(x, name, 1, (int64_t[]){ x->D }, emb));
}

/* The graph into x->b; a failure is the builder's sticky error, or
 * x->nomem. */
static void build(struct ex *x, const struct model *m, const char *labels)
{
	const struct model_config *c = model_config(m);
	const struct slices *p = model_slices(m);
	int use_rel = c->modality != MOD_APP, use_app = c->modality != MOD_REL;
	int nmod = use_rel + use_app, D = x->D;
	const char *app = NULL, *patch = NULL, *pe, *u = NULL, *v = NULL, *f, *h, *logits;
	float *pev = malloc(sizeof *pev * (size_t)c->T * D);
	char buf[64];
	struct arpg_onnx_attr cat = { .name = "axis", .kind = ARPG_ONNX_ATTR_INT, .i = 1 };

	if (!pev) {
		x->nomem = 1;
		return;
	}
	posenc(pev, c->T, D);
	if (use_app)
		app = arpg_onnx_build_input(x->b, "app", 3, (int64_t[]){ -1, c->T, c->Da });
	if (use_rel)
		patch = arpg_onnx_build_input(x->b, "patch", 4,
					      (int64_t[]){ -1, c->T, x->N, c->Dp });
	pe = cf(x, "fusion.position_encoding", 2, (int64_t[]){ c->T, D }, pev);
	free(pev);
	if (use_app)
		u = fusion_nodes(x, linear(x, "appearance.proj", app, p->Wa, p->ba, c->Da, D), pe,
				 "fusion.modality_app", p->m_a);
	if (use_rel)
		v = fusion_nodes(x, relation(x, m, patch), pe, "fusion.modality_rel", p->m_r);
	/* [B, nf, D]: the appearance nodes first, as model_forward lays them */
	f = nmod == 2 ? arpg_onnx_build_op(x->b, "Concat", "fusion.nodes", &cat, 1, 2, u, v)
		      : u ? u : v;
	for (int l = 0; c->fusion == FUSION_GAT && l < c->fusion_layers; l++) {
		snprintf(buf, sizeof buf, "fusion.gat%d", l + 1);
		f = gat(x, buf, f, &p->fus[l], model_fusion_mask(m), nmod * c->T, 1);
	}
	/* h = [mean_t u; mean_t v]: [B, nmod, T, D] -> [B, nmod, D] -> [B, nmod D] */
	f = op2(x, "Reshape", "fusion.per_modality", f,
		ci(x, 4, (int64_t[]){ 0, nmod, c->T, D }));
	h = op2(x, "Reshape", "fusion.mean", mean(x, "fusion.mean", f, 2),
		ci(x, 2, (int64_t[]){ 0, nmod * D }));
	h = elu(x, "classifier.elu", linear(x, "classifier.fc1", h, p->W1, p->b1, nmod * D, D));
	logits = linear(x, "classifier.fc2", h, p->W2, p->b2, D, c->C);
	arpg_onnx_build_output(x->b, logits, "logits", 2, (int64_t[]){ -1, c->C });
	arpg_onnx_build_output(x->b, arpg_onnx_build_op(x->b, "Softmax", "softmax",
							 &(struct arpg_onnx_attr){ .name = "axis",
							 .kind = ARPG_ONNX_ATTR_INT, .i = -1 }, 1, 1,
							 logits),
			       "probabilities", 2, (int64_t[]){ -1, c->C });
	if (labels)
		arpg_onnx_build_meta(x->b, "labels", labels);
	snprintf(buf, sizeof buf, "%d", c->T);
	arpg_onnx_build_meta(x->b, "frames", buf);
	snprintf(buf, sizeof buf, "%d", c->G);
	arpg_onnx_build_meta(x->b, "grid", buf);
	arpg_onnx_build_meta(x->b, "producer", "arpg-train " PACKAGE_VERSION);
}

int export_onnx(const struct model *m, const char *labels, const char *path, char *err,
		size_t errn)
{
	const struct model_config *c = model_config(m);
	struct ex x = { .T = c->T, .N = c->G * c->G, .D = c->D, .H = c->H, .C = c->C };
	int rc;

	if ((rc = arpg_onnx_build_new(&x.b, "arpgnet_head", EXPORT_OPSET)) < 0)
		return arpg_errf(err, errn, rc, "%s", arpg_strerror(rc));
	build(&x, m, labels);
	rc = x.nomem ? arpg_errf(err, errn, ARPG_ENOMEM, "%s", arpg_strerror(ARPG_ENOMEM))
		     : arpg_onnx_build_write(x.b, path, err, errn);
	arpg_onnx_build_free(x.b);
	return rc;
}
