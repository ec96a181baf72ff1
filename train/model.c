/* model.c - the ARPGNet head: forward, loss, backward over a batch. */
#include "model.h"
#include "error.h"
#include "layers.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Scratch of the GAT layers' backward, sized at model_create for the
 * larger of the two graph sets (relation and fusion): attention's
 * (gat_attn_work), the LayerNorm's (gat_out_bwd_work) and the weight
 * gradient's partial sums, a D x D per unit (bwd_dw_work), and those of
 * the patch projection's Wp, a Dp x D per unit of the relation graphs,
 * and those of a_dst and a_src, 2 x D per unit; the sums of the first
 * relation layer's input gradient per node, N x D per unit. */
struct gat_work {
	float *attn, *ln, *dw, *dwp, *da, *dnode;
};

/* What one GAT layer's forward keeps for backward. */
struct gat_act {
	float *x, *z, *att, *sc, *o, *y, *mean, *rstd;	/* input x; output is the next x */
};

struct model {
	struct model_config c;
	int N, nf, Din, max_batch, use_rel, use_app;
	int per;		/* classifier rows per clip: T with per_frame, else 1 */
	size_t nparams;
	float *params, *grads;
	struct slices p, g;
	uint8_t *rel_mask, *fus_mask;
	struct gat_nbrs rel_nb, fus_nb;	/* the masks as neighbour lists */
	float *pe;		/* T x D */
	/* activations, sized for max_batch; one block */
	float *act;
	struct gat_act rel[MAX_LAYERS], fus[MAX_LAYERS];
	float *rel_out;		/* R x D: the patch projection without relation
				 * layers (the last layer's end takes the node mean) */
	float *node_bias;	/* N x D: bp + E[node], the patch projection's bias per node */
	float *r, *a;		/* TB x D */
	float *fus_out;		/* B*nf x D */
	float *h, *h_keep, *hd, *z1, *e1, *e1_keep, *e1d, *logits, *probs;
	/* gradient scratch and the layers' work, one block: nothing is
	 * allocated after model_create */
	float *dact, *dx_rel, *dtmp1, *dtmp2, *dtmp3, *dr, *da, *dfus, *dfus2;
	float *dh, *dhd, *dz1, *de1, *de1d, *dlogits;
	struct gat_work work;	/* in the dact block */
	/* the loss */
	float *class_w;		/* C, or NULL */
	struct xent_opts xo;
	/* the last forward */
	int B, has_labels, has_labels2, has_keep;
	float lam;
	const float *app_in, *patch_in;
	float *dapp;		/* model_set_dapp: d(loss)/d(app) (B x T x Da), or NULL */
	int *labels, *labels2;
	uint8_t *node_keep;	/* max_batch x nf: the fusion nodes of the kept frames */
};

void model_config_default(struct model_config *c)
{
	memset(c, 0, sizeof *c);
	c->T = 16;
	c->G = 6;
	c->D = 256;
	c->H = 4;
	c->rel_layers = 2;
	c->fusion_layers = 1;
	c->trs = 4;
	c->edges = EDGE_SELF | EDGE_ADJ | EDGE_SYM;
	c->fusion = FUSION_GAT;
	c->modality = MOD_BOTH;
	c->dropout = 0.1f;
}

int model_config_check(const struct model_config *c, char *err, size_t errn)
{
	if (c->T < 1 || c->G < 1 || c->Dp < 1 || c->Da < 1 || c->D < 1 || c->H < 1)
		return arpg_errf(err, errn, ARPG_EINVAL, "dimensions must be positive");
	if (c->C < 2)
		return arpg_errf(err, errn, ARPG_EINVAL, "%d class: at least 2 are needed", c->C);
	if (c->D % c->H)
		return arpg_errf(err, errn, ARPG_EINVAL, "--dim %d is not a multiple of --heads %d",
				 c->D, c->H);
	if (c->rel_layers < 0 || c->rel_layers > MAX_LAYERS || c->fusion_layers < 0 ||
	    c->fusion_layers > MAX_LAYERS)
		return arpg_errf(err, errn, ARPG_EINVAL, "layers must be 0 to %d", MAX_LAYERS);
	if (c->trs < -1)
		return arpg_errf(err, errn, ARPG_EINVAL, "--trs must be >= 0 or all");
	if (!(c->edges & (EDGE_SELF | EDGE_ADJ | EDGE_SYM | EDGE_ADJ8)))
		return arpg_errf(err, errn, ARPG_EINVAL, "--edges names no edge type");
	if (c->fusion != FUSION_GAT && c->fusion != FUSION_CONCAT)
		return arpg_errf(err, errn, ARPG_EINVAL, "bad fusion");
	if (c->modality < MOD_BOTH || c->modality > MOD_REL)
		return arpg_errf(err, errn, ARPG_EINVAL, "bad modality");
	if (!(c->dropout >= 0 && c->dropout < 1))
		return arpg_errf(err, errn, ARPG_EINVAL, "--dropout must be in [0, 1)");
	if (c->per_frame != 0 && c->per_frame != 1)
		return arpg_errf(err, errn, ARPG_EINVAL, "bad per_frame");
	return 0;
}

/* A pass over the parameter layout: carves slices of base (NULL: a
 * counting pass) and, when find is within the layout, names the tensor
 * that holds parameter find. */
struct walk {
	float *base;
	size_t off;
	size_t find;
	const char *group, *found;	/* found: the tensor's name, group: its layer */
	int layer, found_layer;
	const char *found_group;
};

/* The next count floats of base at *off (NULL when base is NULL: a
 * counting pass); advances *off. */
static float *carve(float *base, size_t *off, size_t count)
{
	float *p = base ? base + *off : NULL;

	*off += count;
	return p;
}

/* The next count floats of the walk's buffer, a tensor named name. */
static float *param(struct walk *w, size_t count, const char *name)
{
	float *p = w->base ? w->base + w->off : NULL;

	if (w->find >= w->off && w->find - w->off < count) {
		w->found = name;
		w->found_group = w->group;
		w->found_layer = w->layer;
	}
	w->off += count;
	return p;
}

/* One GAT layer's parameters (or gradients), D wide: layer l of group. */
static void carve_gat_w(struct gat_w *g, struct walk *w, int D, const char *group, int l)
{
	w->group = group;
	w->layer = l + 1;
	g->W = param(w, (size_t)D * D, "W");
	g->a_src = param(w, D, "a_src");
	g->a_dst = param(w, D, "a_dst");
	g->ln_g = param(w, D, "ln_gamma");
	g->ln_b = param(w, D, "ln_beta");
	w->group = NULL;
	w->layer = 0;
}

/* Walks the parameter layout: points the slices of s into w's base and
 * returns the count.  The order is the checkpoint and golden-file order. */
static size_t layout(const struct model *m, struct walk *w, struct slices *s)
{
	const struct model_config *c = &m->c;
	int l, D = c->D;

	if (m->use_rel) {
		s->Wp = param(w, (size_t)c->Dp * D, "patch projection W");
		s->bp = param(w, D, "patch projection bias");
		s->E = param(w, (size_t)m->N * D, "node position embedding");
		for (l = 0; l < c->rel_layers; l++)
			carve_gat_w(&s->rel[l], w, D, "relation GAT layer", l);
	}
	if (m->use_app) {
		s->Wa = param(w, (size_t)c->Da * D, "appearance projection W");
		s->ba = param(w, D, "appearance projection bias");
		s->m_a = param(w, D, "appearance modality embedding");
	}
	if (m->use_rel)
		s->m_r = param(w, D, "relation modality embedding");
	if (c->fusion == FUSION_GAT)
		for (l = 0; l < c->fusion_layers; l++)
			carve_gat_w(&s->fus[l], w, D, "fusion GAT layer", l);
	s->W1 = param(w, (size_t)m->Din * D, "classifier W1");
	s->b1 = param(w, D, "classifier b1");
	s->W2 = param(w, (size_t)D * c->C, "classifier W2");
	s->b2 = param(w, c->C, "classifier b2");
	return w->off;
}

void model_param_name(const struct model *m, size_t i, char *buf, size_t n)
{
	struct walk w = { .find = i };
	struct slices s;

	layout(m, &w, &s);
	if (!w.found)
		snprintf(buf, n, "parameter %zu (beyond the model's %zu)", i, w.off);
	else if (w.found_group)
		snprintf(buf, n, "%s %d %s", w.found_group, w.found_layer, w.found);
	else
		snprintf(buf, n, "%s", w.found);
}

/* What one GAT layer's forward saves, for rows rows of D, H heads and
 * natt attention weights. */
static void carve_gat_act(struct gat_act *a, float *base, size_t *off, size_t rows, int D,
			  int H, size_t natt)
{
	a->x = carve(base, off, rows * D);
	a->z = carve(base, off, rows * D);
	a->att = carve(base, off, natt);
	a->sc = carve(base, off, rows * H * 2);
	a->o = carve(base, off, rows * D);
	a->y = carve(base, off, rows * D);
	a->mean = carve(base, off, rows);
	a->rstd = carve(base, off, rows);
}

/* Points the activations, sized for max_batch, into base (NULL: only
 * counts); returns their count. */
static size_t carve_acts(struct model *m, float *base)
{
	const struct model_config *c = &m->c;
	size_t off = 0, n = (size_t)m->max_batch, TB = n * c->T, R = TB * m->N, Bn = n * m->nf;
	int l, D = c->D;

	if (m->use_rel) {
		for (l = 0; l < c->rel_layers; l++)
			carve_gat_act(&m->rel[l], base, &off, R, D, c->H, TB * c->H * m->rel_nb.nnz);
		m->rel_out = c->rel_layers ? NULL : carve(base, &off, R * D);
		m->node_bias = carve(base, &off, (size_t)m->N * D);
		m->r = carve(base, &off, TB * D);
	}
	if (m->use_app)
		m->a = carve(base, &off, TB * D);
	for (l = 0; l < c->fusion_layers && c->fusion == FUSION_GAT; l++)
		carve_gat_act(&m->fus[l], base, &off, Bn, D, c->H, n * c->H * m->fus_nb.nnz);
	m->fus_out = carve(base, &off, Bn * D);
	n *= (size_t)m->per;	/* the classifier's rows */
	m->h = carve(base, &off, n * m->Din);
	m->h_keep = carve(base, &off, n * m->Din);
	m->hd = carve(base, &off, n * m->Din);
	m->z1 = carve(base, &off, n * D);
	m->e1 = carve(base, &off, n * D);
	m->e1_keep = carve(base, &off, n * D);
	m->e1d = carve(base, &off, n * D);
	m->logits = carve(base, &off, n * c->C);
	m->probs = carve(base, &off, n * c->C);
	return off;
}

static size_t bwd_dw_work(int graphs, int n, int D);

/* Points the gradient scratch and the layers' work into base (NULL: only
 * counts); returns their count.  The largest row set is R (relation) or
 * Bn (fusion). */
static size_t carve_scratch(struct model *m, float *base)
{
	const struct model_config *c = &m->c;
	size_t off = 0, B = (size_t)m->max_batch, TB = B * c->T, R = TB * m->N, Bn = B * m->nf;
	size_t n = R > Bn ? R : Bn, attn = gat_attn_work((int)TB, m->N, c->H), dw;
	int D = c->D;

	if (gat_attn_work((int)B, m->nf, c->H) > attn)
		attn = gat_attn_work((int)B, m->nf, c->H);
	dw = bwd_dw_work((int)TB, m->N, D);
	if (bwd_dw_work((int)B, m->nf, D) > dw)
		dw = bwd_dw_work((int)B, m->nf, D);
	m->dx_rel = carve(base, &off, n * D);
	m->dtmp1 = carve(base, &off, n * D);
	m->dtmp2 = carve(base, &off, n * D);
	m->dtmp3 = carve(base, &off, n * D);
	m->dr = carve(base, &off, TB * D);
	m->da = carve(base, &off, TB * D);
	m->dfus = carve(base, &off, Bn * D);
	m->dfus2 = carve(base, &off, Bn * D);
	B *= (size_t)m->per;	/* the classifier's rows */
	m->dh = carve(base, &off, B * m->Din);
	m->dhd = carve(base, &off, B * m->Din);
	m->dz1 = carve(base, &off, B * D);
	m->de1 = carve(base, &off, B * D);
	m->de1d = carve(base, &off, B * D);
	m->dlogits = carve(base, &off, B * c->C);
	m->work.attn = carve(base, &off, attn);
	m->work.ln = carve(base, &off, gat_out_bwd_work((long)n, D));
	m->work.dw = carve(base, &off, dw);
	m->work.dwp = carve(base, &off, bwd_dw_work((int)TB, m->N, D) / D * c->Dp);
	m->work.da = carve(base, &off, dw / D * 2);
	m->work.dnode = carve(base, &off, bwd_dw_work((int)TB, m->N, D) / D * m->N);
	return off;
}

static void uniform(float *p, size_t n, double bound, uint64_t *rng)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (float)((2 * rng_uniform(rng) - 1) * bound);
}

static void normal(float *p, size_t n, double sd, uint64_t *rng)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (float)(rng_normal(rng) * sd);
}

/* PyTorch's defaults: Linear U(+-1/sqrt(fan_in)), LayerNorm 1 and 0;
 * embeddings N(0, 0.02); attention vectors U(+-1/sqrt(D/H)). */
static void init_params(struct model *m, uint64_t seed)
{
	const struct model_config *c = &m->c;
	struct slices *s = &m->p;
	uint64_t rng = seed ^ 0x5eed0f4a7ce11ull;
	int l, D = c->D, dh = D / c->H;
	struct gat_w *layers[2] = { s->rel, s->fus };
	int nl[2] = { m->use_rel ? c->rel_layers : 0,
		      c->fusion == FUSION_GAT ? c->fusion_layers : 0 }, k;

	if (m->use_rel) {
		uniform(s->Wp, (size_t)c->Dp * D, 1 / sqrt(c->Dp), &rng);
		uniform(s->bp, D, 1 / sqrt(c->Dp), &rng);
		normal(s->E, (size_t)m->N * D, 0.02, &rng);
		normal(s->m_r, D, 0.02, &rng);
	}
	if (m->use_app) {
		uniform(s->Wa, (size_t)c->Da * D, 1 / sqrt(c->Da), &rng);
		uniform(s->ba, D, 1 / sqrt(c->Da), &rng);
		normal(s->m_a, D, 0.02, &rng);
	}
	for (k = 0; k < 2; k++)
		for (l = 0; l < nl[k]; l++) {
			struct gat_w *w = &layers[k][l];
			int d;

			uniform(w->W, (size_t)D * D, 1 / sqrt(D), &rng);
			uniform(w->a_src, D, 1 / sqrt(dh), &rng);
			uniform(w->a_dst, D, 1 / sqrt(dh), &rng);
			for (d = 0; d < D; d++) {
				w->ln_g[d] = 1;
				w->ln_b[d] = 0;
			}
		}
	uniform(s->W1, (size_t)m->Din * D, 1 / sqrt(m->Din), &rng);
	uniform(s->b1, D, 1 / sqrt(m->Din), &rng);
	uniform(s->W2, (size_t)D * c->C, 1 / sqrt(D), &rng);
	uniform(s->b2, c->C, 1 / sqrt(D), &rng);
}

static void build_masks(struct model *m)
{
	const struct model_config *c = &m->c;
	int G = c->G, N = m->N, nf = m->nf, T = c->T, i, j;

	for (i = 0; i < N; i++) {
		int ri = i / G, ci = i % G;

		for (j = 0; j < N; j++) {
			int rj = j / G, cj = j % G, dr = abs(ri - rj), dc = abs(ci - cj), e = 0;

			if ((c->edges & EDGE_SELF) && i == j)
				e = 1;
			if ((c->edges & EDGE_ADJ) && dr + dc == 1)
				e = 1;
			if ((c->edges & EDGE_ADJ8) && dr <= 1 && dc <= 1 && i != j)
				e = 1;
			if ((c->edges & EDGE_SYM) && ri == rj && cj == G - 1 - ci && i != j)
				e = 1;
			m->rel_mask[i * N + j] = (uint8_t)e;
		}
	}
	/* A node with no edge (e.g. --edges sym and the centre column of an
	 * odd grid) attends to itself, so that its softmax is defined. */
	for (i = 0; i < N; i++) {
		int any = 0;

		for (j = 0; j < N; j++)
			any |= m->rel_mask[i * N + j];
		if (!any)
			m->rel_mask[i * N + i] = 1;
	}
	for (i = 0; i < nf; i++)
		for (j = 0; j < nf; j++) {
			int dt = abs(i % T - j % T);

			m->fus_mask[i * nf + j] = (uint8_t)(c->trs < 0 || dt <= c->trs);
		}
}

int model_create(struct model **mp, const struct model_config *c,
		      int max_batch, uint64_t seed)
{
	struct model *m;
	struct slices count;
	size_t nact;
	int D = c->D;

	*mp = NULL;
	if (model_config_check(c, NULL, 0) < 0 || max_batch < 1)
		return ARPG_EINVAL;
	if (!(m = calloc(1, sizeof *m)))
		return ARPG_ENOMEM;
	m->c = *c;
	m->max_batch = max_batch;
	m->N = c->G * c->G;
	m->use_rel = c->modality != MOD_APP;
	m->use_app = c->modality != MOD_REL;
	m->nf = (m->use_rel + m->use_app) * c->T;
	m->Din = (m->use_rel + m->use_app) * D;
	m->per = c->per_frame ? c->T : 1;
	m->nparams = layout(m, &(struct walk){ .find = SIZE_MAX }, &count);
	m->params = calloc(m->nparams, sizeof *m->params);
	m->grads = calloc(m->nparams, sizeof *m->grads);
	m->rel_mask = calloc((size_t)m->N * m->N, 1);
	m->fus_mask = calloc((size_t)m->nf * m->nf, 1);
	m->pe = calloc((size_t)c->T * D, sizeof *m->pe);
	m->labels = calloc((size_t)max_batch * m->per, sizeof *m->labels);
	m->labels2 = calloc((size_t)max_batch * m->per, sizeof *m->labels2);
	m->node_keep = calloc((size_t)max_batch * m->nf, 1);
	m->class_w = calloc((size_t)c->C, sizeof *m->class_w);
	if (!m->params || !m->grads || !m->rel_mask || !m->fus_mask || !m->pe || !m->labels ||
	    !m->labels2 || !m->node_keep || !m->class_w)
		goto nomem;
	layout(m, &(struct walk){ .base = m->params, .find = SIZE_MAX }, &m->p);
	layout(m, &(struct walk){ .base = m->grads, .find = SIZE_MAX }, &m->g);
	init_params(m, seed);
	build_masks(m);
	if (gat_nbrs_init(&m->rel_nb, m->rel_mask, m->N) < 0 ||
	    gat_nbrs_init(&m->fus_nb, m->fus_mask, m->nf) < 0)
		goto nomem;
	posenc(m->pe, c->T, D);
	/* activations and scratch: count, allocate once, then point */
	nact = carve_acts(m, NULL);
	if (!(m->act = malloc(sizeof(float) * (nact ? nact : 1))) ||
	    !(m->dact = malloc(sizeof(float) * carve_scratch(m, NULL))))
		goto nomem;
	carve_acts(m, m->act);
	carve_scratch(m, m->dact);
	*mp = m;
	return 0;
nomem:
	model_free(m);
	return ARPG_ENOMEM;
}

void model_free(struct model *m)
{
	if (!m)
		return;
	free(m->params);
	free(m->grads);
	free(m->rel_mask);
	free(m->fus_mask);
	gat_nbrs_free(&m->rel_nb);
	gat_nbrs_free(&m->fus_nb);
	free(m->pe);
	free(m->labels);
	free(m->labels2);
	free(m->node_keep);
	free(m->class_w);
	free(m->act);
	free(m->dact);
	free(m);
}

size_t model_nparams(const struct model *m) { return m->nparams; }
float *model_params(struct model *m) { return m->params; }
float *model_grads(struct model *m) { return m->grads; }
const struct model_config *model_config(const struct model *m) { return &m->c; }
const float *model_probs(const struct model *m) { return m->probs; }
const struct slices *model_slices(const struct model *m) { return &m->p; }
const uint8_t *model_rel_mask(const struct model *m) { return m->rel_mask; }
const uint8_t *model_fusion_mask(const struct model *m) { return m->fus_mask; }

void model_set_loss(struct model *m, const float *class_weights, float smoothing)
{
	if (class_weights)
		memcpy(m->class_w, class_weights, sizeof *m->class_w * (size_t)m->c.C);
	m->xo.w = class_weights ? m->class_w : NULL;
	m->xo.smoothing = smoothing;
}

/* The loss options for the layers: NULL for plain cross-entropy, whose
 * layer keeps its simpler arithmetic. */
static const struct xent_opts *loss_opts(const struct model *m)
{
	return m->xo.w || m->xo.smoothing > 0 ? &m->xo : NULL;
}

void model_set_dapp(struct model *m, float *dapp) { m->dapp = dapp; }

void model_zero_grads(struct model *m)
{
	memset(m->grads, 0, sizeof *m->grads * m->nparams);
}

/* Graphs per step of a layer's pass: about 576 rows (16 relation graphs),
 * so that z, o and y are still in L2 when attention and the LayerNorm
 * read what the GEMM wrote. */
static int step_graphs(int n)
{
	return 576 / n > 1 ? 576 / n : 1;
}

static int gcd(int a, int b)
{
	while (b) {
		int t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* The first relation layer's input, made in its pass: x = node_bias[row %
 * N] + patch Wp (patch_proj_fwd's rows, each made where the layer's GEMM
 * reads it next). */
struct proj_in {
	const float *patch, *Wp, *node_bias;	/* rows x Dp, Dp x D, N x D */
	int Dp;
};

/* x_out = LayerNorm(x + ELU(attn(x W))) over `graphs` graphs of n nodes,
 * of which keep (graphs x n, or NULL) drops some; with mean, x_out (graphs
 * x D) is the mean of each graph's rows of that, the rows not kept.  With
 * in, the layer first makes x from the patches.  The graphs are
 * independent: one parallel region, each thread its steps of
 * graphs from the GEMM to the end, with no barrier between (rather than a
 * region, and BLIS's barriers, per operation).  Steps go to threads as
 * they come free: on a busy machine a thread the scheduler holds back
 * takes fewer, rather than the others waiting for its fixed half. */
static void gat_layer_fwd(float *x_out, struct gat_act *a, const struct gat_w *w,
			  const struct gat_nbrs *nb, const uint8_t *keep, int graphs, int D,
			  int H, int mean, const struct proj_in *in)
{
	int n = nb->n, step = step_graphs(n);
	long steps = (graphs + step - 1) / step, s;

#pragma omp parallel for schedule(dynamic)
	for (s = 0; s < steps; s++) {
		long g0 = s * step, cnt = graphs - g0 < step ? graphs - g0 : step, r0 = g0 * n;

		if (in) {
			for (long i = r0; i < r0 + cnt * n; i++)
				memcpy(a->x + i * D, in->node_bias + (i % n) * D, sizeof *a->x * D);
			gemm1((int)(cnt * n), D, in->Dp, in->patch + r0 * in->Dp, in->Dp, 1, in->Wp, D,
			      1, 1.0f, a->x + r0 * D, D);
		}
		gemm1((int)(cnt * n), D, D, a->x + r0 * D, D, 1, w->W, D, 1, 0.0f, a->z + r0 * D,
		      D);
		gat_attn_fwd_seq(a->o + r0 * D, a->att + g0 * H * (long)nb->nnz,
				 a->sc + r0 * H * 2, a->z + r0 * D, w->a_src, w->a_dst, nb,
				 keep ? keep + r0 : NULL, (int)cnt, D, H);
		if (mean)
			gat_out_mean_fwd_seq(x_out + g0 * D, a->y + r0 * D, a->mean + r0,
					     a->rstd + r0, a->o + r0 * D, a->x + r0 * D, w->ln_g,
					     w->ln_b, (int)cnt, n, D);
		else
			gat_out_fwd_seq(x_out + r0 * D, a->y + r0 * D, a->mean + r0, a->rstd + r0,
					a->o + r0 * D, a->x + r0 * D, w->ln_g, w->ln_b, cnt * n, D);
	}
}

/* The backward's unit of work (graphs), taken by one thread as it comes
 * free: rows that fill whole blocks of the LayerNorm's partial sums (so
 * the sums are gat_out_bwd's), and at least BWD_UNIT_ROWS of them, so
 * that the weight gradient's partial sum of a unit (a D x D) is a GEMM
 * worth BLIS's packing and the partials are few. */
enum { BWD_UNIT_ROWS = 512 };

static int bwd_unit(int n)
{
	int unit = gat_out_bwd_block() / gcd(n, gat_out_bwd_block());

	return unit * ((BWD_UNIT_ROWS + unit * n - 1) / (unit * n));
}

/* The floats of the weight gradient's partials of graphs graphs of n
 * nodes (D x D per unit). */
static size_t bwd_dw_work(int graphs, int n, int D)
{
	int unit = bwd_unit(n);

	return (size_t)((graphs + unit - 1) / unit) * D * D;
}

/* dst (len) += parts[0] + parts[1] + ... (count of len each), each
 * element's sum in part order: the same for any thread count. */
static void add_parts(float *dst, const float *parts, long count, long len)
{
	long b, nb = (len + 4095) / 4096;

#pragma omp parallel for schedule(static) if (count * len > 262144L)
	for (b = 0; b < nb; b++)
		for (long u = 0; u < count; u++) {
			const float *p = parts + u * len;

			for (long i = b * 4096; i < len && i < (b + 1) * 4096; i++)
				dst[i] += p[i];
		}
}

/* The first relation layer's backward also sums Wp's gradient, dWp +=
 * patch^T dx_in, over its rows (its input is patch Wp plus a bias per
 * node), and dx_in's rows node by node (into work->dnode's first N x D,
 * for that bias's gradient). */
struct proj_grad {
	const float *patch;	/* rows x Dp */
	float *dWp;		/* Dp x D */
	int Dp;
};

/* A unit's share of pg's sums over rows r0..r1 (graphs of n nodes): dwpu
 * (=, with first, else +=) patch^T dx, dnu += dx's rows by node. */
static void proj_grad_rows(const struct proj_grad *pg, float *dwpu, float *dnu,
			   const float *dx, long r0, long r1, int n, int D, int first)
{
	gemm1(pg->Dp, D, (int)(r1 - r0), pg->patch + r0 * pg->Dp, 1, pg->Dp, dx + r0 * D, D, 1,
	      first ? 0.0f : 1.0f, dwpu, D);
	for (long r = r0; r < r1; r++) {
		float *s = dnu + (r % n) * D;

#pragma omp simd
		for (int d = 0; d < D; d++)
			s[d] += dx[r * D + d];
	}
}

/* dx_in (zeroed by the caller or holding other terms) += gradient of
 * the layer wrt its input, given dx_out.  s1 and s2 are scratch (rows x D),
 * distinct from dx_in and dx_out: s1 holds d(z), s2 d(o).  With mean (the
 * forward's), dx_out (graphs x D) is the mean's gradient divided by n.
 * With zero, dx_in is overwritten instead (each thread zeroes its rows,
 * rather than a pass over all of them before).  Like the forward, one
 * region: each thread runs the LayerNorm's, the attention's, the input's
 * and W's backward over its graphs, in units (bwd_unit) taken as threads
 * come free (the forward's reason).  W's gradient is summed per unit
 * while the unit's x and dz are in cache (rather than a pass over all
 * rows after, in which each thread packed the whole of x for its half of
 * the columns), then the units' sums in unit order; with pg, likewise
 * Wp's from dx_in (which needs zero); a_src's and a_dst's too, while z is
 * (rather than a pass of their own over z).  dg and db, summed in the
 * LayerNorm's blocks, follow the region. */
static void gat_layer_bwd(float *dx_in, struct gat_w *dw, const float *dx_out,
			  const struct gat_act *a, const struct gat_w *w,
			  const struct gat_nbrs *nb, int graphs, int D, int H, int mean,
			  int zero, float *s1, float *s2, const struct gat_work *work,
			  const struct proj_grad *pg)
{
	int n = nb->n, step = step_graphs(n), unit = bwd_unit(n);
	long rows = (long)graphs * n, units = (graphs + unit - 1) / unit, u;
	float *do_ = s2, *dz = s1;

	memset(work->ln, 0, sizeof *work->ln * gat_out_bwd_work(rows, D));
#pragma omp parallel for schedule(dynamic)
	for (u = 0; u < units; u++) {
		long end = (u + 1) * unit < graphs ? (u + 1) * unit : graphs;
		float *dwu = work->dw + u * D * D, *dwpu = pg ? work->dwp + u * pg->Dp * D : NULL;
		float *dau = work->da + u * 2 * D, *dnu = work->dnode + u * n * D;

		memset(dau, 0, sizeof *dau * 2 * D);
		if (pg)
			memset(dnu, 0, sizeof *dnu * n * D);

		for (long g0 = u * unit, g1; g0 < end; g0 = g1) {
			long r0 = g0 * n, r1;

			g1 = g0 + step < end ? g0 + step : end;
			r1 = g1 * n;
			if (zero)
				memset(dx_in + r0 * D, 0, sizeof *dx_in * (r1 - r0) * D);
			gat_out_bwd_part(dx_in, do_, dx_out, a->y, a->o, a->mean, a->rstd, w->ln_g, r0,
					 r1, D, mean ? n : 1, work->ln);
			memset(dz + r0 * D, 0, sizeof *dz * (r1 - r0) * D);
			gat_attn_bwd_graphs(dz, do_, a->z, a->att, a->sc, w->a_src, w->a_dst, nb, g0,
					    g1, graphs, D, H, work->attn);
			gat_attn_bwd_params_rows(dau + D, dau, a->z, g0, g1, n, D, H, work->attn);
			/* dx_in += dz W^T */
			gemm1((int)(r1 - r0), D, D, dz + r0 * D, D, 1, w->W, 1, D, 1.0f,
			      dx_in + r0 * D, D);
			/* the unit's dW (=, then +=) x^T dz */
			gemm1(D, D, (int)(r1 - r0), a->x + r0 * D, 1, D, dz + r0 * D, D, 1,
			      g0 == u * unit ? 0.0f : 1.0f, dwu, D);
			if (pg)	/* dx_in's rows are whole now */
				proj_grad_rows(pg, dwpu, dnu, dx_in, r0, r1, n, D, g0 == u * unit);
		}
	}
	if (pg) {
		add_parts(pg->dWp, work->dwp, units, (long)pg->Dp * D);
		add_parts(work->dnode, work->dnode + (long)n * D, units - 1, (long)n * D);
	}
	gat_out_bwd_finish(dw->ln_g, dw->ln_b, rows, D, work->ln);
	for (u = 0; u < units; u++)
		for (int i = 0; i < D; i++) {
			dw->a_dst[i] += work->da[u * 2 * D + i];
			dw->a_src[i] += work->da[u * 2 * D + D + i];
		}
	add_parts(dw->W, work->dw, units, (long)D * D);
}

/* X0 = (bp + E[node]) + P Wp over R rows, node = row % N: the rows start
 * as their node's bias (node_bias, N x D, filled here) and the GEMM adds
 * onto them, one pass over X0 rather than a GEMM, a bias pass and an
 * embedding pass. */
/* node_bias (N x D) = bp + E[node] */
static void node_bias_fwd(float *node_bias, const struct slices *p, int N, int D)
{
	for (long i = 0; i < (long)N * D; i++)
		node_bias[i] = p->bp[i % D] + p->E[i];
}

static void patch_proj_fwd(float *x0, float *node_bias, const float *patch,
			   const struct slices *p, int R, int N, int Dp, int D)
{
	long i;

	node_bias_fwd(node_bias, p, N, D);
#pragma omp parallel for schedule(static)
	for (i = 0; i < R; i++)
		memcpy(x0 + i * D, node_bias + (i % N) * D, sizeof *x0 * D);
	gemm_rows(R, D, Dp, patch, Dp, 1, p->Wp, D, 1, 1.0f, x0, D, NULL);
}

/* Its backward: Wp's gradient by the GEMM; E's, node by node, as the sum of
 * its rows (into sums, N x D scratch), and bp's as the sum of those: one
 * pass over dx for both.  Without patch the first relation layer's
 * backward did the GEMM and the pass: sums holds the node sums. */
static void patch_proj_bwd(struct slices *g, const float *dx, const float *patch,
			   const struct slices *p, float *sums, int R, int N, int Dp, int D)
{
	long node;

	if (patch) {
		linear_bwd(NULL, g->Wp, NULL, dx, patch, p->Wp, R, Dp, D);
#pragma omp parallel for schedule(static)
		for (node = 0; node < N; node++) {
			float *s = sums + node * D;

			memset(s, 0, sizeof *s * D);
			for (long i = node; i < R; i += N)
#pragma omp simd
				for (int d = 0; d < D; d++)
					s[d] += dx[i * D + d];
		}
	}
	for (node = 0; node < N; node++)
		for (int d = 0; d < D; d++) {
			g->E[node * D + d] += sums[node * D + d];
			g->bp[d] += sums[node * D + d];
		}
}

/* The fusion nodes of the kept frames (B x nf, node order of the fusion
 * graph) from the batch's frame mask. */
static void set_node_keep(struct model *m, const uint8_t *keep, int B)
{
	int T = m->c.T, nmod = m->use_rel + m->use_app;

	for (int b = 0; b < B; b++)
		for (int k = 0; k < nmod; k++)
			memcpy(m->node_keep + ((size_t)b * nmod + k) * T, keep + (size_t)b * T,
			       (size_t)T);
}

/* --per-frame: h (B*T x Din), row b*T + t = [u'_t; v'_t], the fusion
 * output nodes of frame t of clip b (those of the modalities in use, in
 * the fusion graph's order), from fus (B*nf x D). */
static void frame_nodes_fwd(float *h, const float *fus, int B, int T, int nmod, int D)
{
	for (long r = 0; r < (long)B * T; r++)
		for (int k = 0; k < nmod; k++)
			memcpy(h + (r * nmod + k) * D,
			       fus + (((r / T) * nmod + k) * T + r % T) * D, sizeof *h * D);
}

static void frame_nodes_bwd(float *dfus, const float *dh, int B, int T, int nmod, int D)
{
	for (long r = 0; r < (long)B * T; r++)
		for (int k = 0; k < nmod; k++) {
			float *d = dfus + (((r / T) * nmod + k) * T + r % T) * D;
			const float *s = dh + (r * nmod + k) * D;

			for (int i = 0; i < D; i++)
				d[i] += s[i];
		}
}

int model_forward(struct model *m, const struct model_batch *bt, int train, uint64_t *rng,
		  float *logits, float *loss)
{
	const struct model_config *c = &m->c;
	const struct slices *p = &m->p;
	int B = bt->B, T = c->T, N = m->N, D = c->D, nf = m->nf, l, Bc = B * m->per;
	long TB = (long)B * T, R = TB * N, i;
	float drop = train ? c->dropout : 0.0f;
	const float *app = bt->app, *patch = bt->patch;
	const int *labels = bt->labels;
	const uint8_t *fkeep;

	if (B < 1 || B > m->max_batch || (c->per_frame && (bt->labels2 || bt->keep)))
		return ARPG_EINVAL;
	m->B = B;
	m->app_in = app;
	m->patch_in = patch;
	m->has_labels = labels != NULL;
	if (labels)
		memcpy(m->labels, labels, sizeof *labels * (size_t)B * m->per);
	m->has_labels2 = labels && bt->labels2;
	m->lam = m->has_labels2 ? bt->lam : 1.0f;
	if (m->has_labels2)
		memcpy(m->labels2, bt->labels2, sizeof *labels * (size_t)B);
	m->has_keep = bt->keep != NULL;
	if (bt->keep)
		set_node_keep(m, bt->keep, B);
	fkeep = m->has_keep ? m->node_keep : NULL;

	if (m->use_rel) {
		float *x0 = c->rel_layers ? m->rel[0].x : m->rel_out;

		struct proj_in in = { patch, p->Wp, m->node_bias, c->Dp };

		/* the first layer makes its input from the patches; the last
		 * layer's end takes the node mean (no R x D output) */
		node_bias_fwd(m->node_bias, p, N, D);
		for (l = 0; l < c->rel_layers; l++)
			gat_layer_fwd(l + 1 < c->rel_layers ? m->rel[l + 1].x : m->r, &m->rel[l],
				      &p->rel[l], &m->rel_nb, NULL, (int)TB, D, c->H,
				      l + 1 == c->rel_layers, l ? NULL : &in);
		if (!c->rel_layers) {
			patch_proj_fwd(x0, m->node_bias, patch, p, (int)R, N, c->Dp, D);
			mean_fwd(m->r, m->rel_out, (int)TB, N, D);
		}
	}
	if (m->use_app)
		linear_fwd(m->a, app, p->Wa, p->ba, (int)TB, c->Da, D);

	/* fusion nodes per clip: [u_0..u_T-1][v_0..v_T-1] (whichever are used) */
	{
		float *f0 = c->fusion == FUSION_GAT && c->fusion_layers ? m->fus[0].x
									     : m->fus_out;
		int b, t, d;

		for (b = 0; b < B; b++)
			for (t = 0; t < T; t++) {
				int slot = 0;

				if (m->use_app) {
					float *u = f0 + ((long)b * nf + t) * D;
					const float *av = m->a + ((long)b * T + t) * D;

					for (d = 0; d < D; d++)
						u[d] = av[d] + m->pe[t * D + d] + p->m_a[d];
					slot = T;
				}
				if (m->use_rel) {
					float *v = f0 + ((long)b * nf + slot + t) * D;
					const float *rv = m->r + ((long)b * T + t) * D;

					for (d = 0; d < D; d++)
						v[d] = rv[d] + m->pe[t * D + d] + p->m_r[d];
				}
			}
		if (c->fusion == FUSION_GAT)
			for (l = 0; l < c->fusion_layers; l++)
				gat_layer_fwd(l + 1 < c->fusion_layers ? m->fus[l + 1].x : m->fus_out,
					      &m->fus[l], &p->fus[l], &m->fus_nb, fkeep, B, D, c->H, 0, NULL);
	}
	/* h = [mean u; mean v]: groups of T rows, one per modality in use;
	 * per frame, h_t = [u'_t; v'_t] */
	if (c->per_frame)
		frame_nodes_fwd(m->h, m->fus_out, B, T, m->use_rel + m->use_app, D);
	else if (fkeep)
		mean_keep_fwd(m->h, m->fus_out, fkeep, B * (m->use_rel + m->use_app), T, D);
	else
		mean_fwd(m->h, m->fus_out, B * (m->use_rel + m->use_app), T, D);
	if (drop > 0)
		dropout_fwd(m->hd, m->h_keep, m->h, (long)Bc * m->Din, drop, rng);
	else
		memcpy(m->hd, m->h, sizeof *m->h * (size_t)Bc * m->Din);
	linear_fwd(m->z1, m->hd, p->W1, p->b1, Bc, m->Din, D);
	elu_fwd(m->e1, m->z1, (long)Bc * D);
	if (drop > 0)
		dropout_fwd(m->e1d, m->e1_keep, m->e1, (long)Bc * D, drop, rng);
	else
		memcpy(m->e1d, m->e1, sizeof *m->e1 * (size_t)Bc * D);
	m->has_labels = labels != NULL;
	/* remember whether dropout ran, for backward */
	if (drop == 0) {
		for (i = 0; i < (long)Bc * m->Din; i++)
			m->h_keep[i] = 1;
		for (i = 0; i < (long)Bc * D; i++)
			m->e1_keep[i] = 1;
	}
	linear_fwd(m->logits, m->e1d, p->W2, p->b2, Bc, D, c->C);
	if (logits)
		memcpy(logits, m->logits, sizeof *logits * (size_t)Bc * c->C);
	{
		double l2 = xent_fwd(m->probs, m->logits, labels, loss_opts(m), Bc, c->C);

		if (m->has_labels2)
			l2 = m->lam * l2 + (1.0 - m->lam) * xent_fwd(m->probs, m->logits, m->labels2,
								      loss_opts(m), Bc, c->C);
		if (loss)
			*loss = labels ? (float)l2 : 0.0f;
	}
	return 0;
}

int model_backward(struct model *m)
{
	const struct model_config *c = &m->c;
	const struct slices *p = &m->p;
	struct slices *g = &m->g;
	int B = m->B, T = c->T, N = m->N, D = c->D, nf = m->nf, l, Bc = B * m->per;
	long TB = (long)B * T, R = TB * N, Bn = (long)B * nf;

	if (!m->has_labels)
		return ARPG_EINVAL;
	memset(m->dlogits, 0, sizeof *m->dlogits * (size_t)Bc * c->C);
	xent_bwd(m->dlogits, m->probs, m->labels, loss_opts(m), m->lam, Bc, c->C);
	if (m->has_labels2)
		xent_bwd(m->dlogits, m->probs, m->labels2, loss_opts(m), 1.0f - m->lam, Bc, c->C);
	memset(m->de1d, 0, sizeof *m->de1d * (size_t)Bc * D);
	linear_bwd(m->de1d, g->W2, g->b2, m->dlogits, m->e1d, p->W2, Bc, D, c->C);
	memset(m->de1, 0, sizeof *m->de1 * (size_t)Bc * D);
	dropout_bwd(m->de1, m->de1d, m->e1_keep, (long)Bc * D);
	memset(m->dz1, 0, sizeof *m->dz1 * (size_t)Bc * D);
	elu_bwd(m->dz1, m->de1, m->z1, (long)Bc * D);
	memset(m->dhd, 0, sizeof *m->dhd * (size_t)Bc * m->Din);
	linear_bwd(m->dhd, g->W1, g->b1, m->dz1, m->hd, p->W1, Bc, m->Din, D);
	memset(m->dh, 0, sizeof *m->dh * (size_t)Bc * m->Din);
	dropout_bwd(m->dh, m->dhd, m->h_keep, (long)Bc * m->Din);

	/* through the mean over frames into the fusion output */
	memset(m->dfus, 0, sizeof *m->dfus * Bn * D);
	if (c->per_frame)
		frame_nodes_bwd(m->dfus, m->dh, B, T, m->use_rel + m->use_app, D);
	else if (m->has_keep)
		mean_keep_bwd(m->dfus, m->dh, m->node_keep, B * (m->use_rel + m->use_app), T, D);
	else
		mean_bwd(m->dfus, m->dh, B * (m->use_rel + m->use_app), T, D);
	if (c->fusion == FUSION_GAT)
		for (l = c->fusion_layers - 1; l >= 0; l--) {
			gat_layer_bwd(m->dfus2, &g->fus[l], m->dfus, &m->fus[l], &p->fus[l],
				      &m->fus_nb, B, D, c->H, 0, 1, m->dtmp2, m->dtmp3, &m->work, NULL);
			memcpy(m->dfus, m->dfus2, sizeof *m->dfus * Bn * D);
		}
	/* split the fusion input gradient into the branches and embeddings */
	{
		int b, t, d;

		for (b = 0; b < B; b++)
			for (t = 0; t < T; t++) {
				int slot = 0;

				if (m->use_app) {
					const float *du = m->dfus + ((long)b * nf + t) * D;

					for (d = 0; d < D; d++) {
						m->da[((long)b * T + t) * D + d] = du[d];
						g->m_a[d] += du[d];
					}
					slot = T;
				}
				if (m->use_rel) {
					const float *dv = m->dfus + ((long)b * nf + slot + t) * D;

					for (d = 0; d < D; d++) {
						m->dr[((long)b * T + t) * D + d] = dv[d];
						g->m_r[d] += dv[d];
					}
				}
			}
	}
	if (m->dapp)
		memset(m->dapp, 0, sizeof *m->dapp * (size_t)TB * c->Da);
	if (m->use_app)
		linear_bwd(m->dapp, g->Wa, g->ba, m->da, m->app_in, p->Wa, (int)TB, c->Da, D);
	if (m->use_rel) {
		/* the node mean's gradient, dr / N, which the last layer's end
		 * spreads over the nodes itself */
		float *dx = m->dr;
		struct proj_grad pg = { m->patch_in, g->Wp, c->Dp };

		if (c->rel_layers)
			for (long k = 0; k < TB * D; k++)
				m->dr[k] /= N;
		else {
			dx = m->dx_rel;
			memset(dx, 0, sizeof *dx * R * D);
			mean_bwd(dx, m->dr, (int)TB, N, D);
		}
		for (l = c->rel_layers - 1; l >= 0; l--) {
			/* ping-pong between dx_rel and dtmp1 */
			float *din = dx == m->dx_rel ? m->dtmp1 : m->dx_rel;

			gat_layer_bwd(din, &g->rel[l], dx, &m->rel[l], &p->rel[l], &m->rel_nb,
				      (int)TB, D, c->H, l + 1 == c->rel_layers, 1, m->dtmp2, m->dtmp3,
				      &m->work, l ? NULL : &pg);
			dx = din;
		}
		patch_proj_bwd(g, dx, c->rel_layers ? NULL : m->patch_in, p,
			       c->rel_layers ? m->work.dnode : m->dtmp2, (int)R, N, c->Dp, D);
	}
	return 0;
}
