/* cascade_detect.c - Viola-Jones detection, as OpenCV 4.6's
 * CascadeClassifier::detectMultiScale (CPU path) does it, step by step,
 * because the point is to give the same boxes:
 *  - scales 1, f, f^2, ... (double, stored as float) while the window fits
 *    in the image, kept when the window lies within [min_size, max_size];
 *  - per scale the image is resized to cvRound(w/scale) x cvRound(h/scale)
 *    and integrated (cascade_pyramid.c);
 *  - windows every 2 pixels below scale 2 (every pixel above), a window
 *    rejected by the first stage skips the next one; HAAR windows are
 *    normalised by the standard deviation over the window shrunk by one
 *    pixel, windows of too little contrast are dropped, as OpenCV does;
 *  - stages of stumps or trees, sums in double of float leaf values;
 *  - groupRectangles(minNeighbors, eps 0.2) and clipping to the image
 *    (cascade_group.c).
 * Float details (float products of feature sums, the (float) scale, rounding
 * half to even) are kept as OpenCV has them; see the comments below.
 *
 * Stump cascades (Debian's frontal face ones) take row kernels that run a
 * stage over many windows at once (haar_rows, lbp_rows); other cascades,
 * and cascade_detect_reference, take one window at a time (run_at).
 */
#include "config.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cascade_group.h"
#include "cascade_impl.h"
#include "cascade_pyramid.h"
#include "error.h"
#include "grow.h"

/* ------------------------------------------------------ features, windows */

/* A HAAR stump with its feature's offsets (for the current stride). */
struct hstump {
	int o[3][4];
	float w[3];
	int nr;
	float thr, left, right;
};

/* A HAAR feature: the corners of its rectangles as offsets in the planes
 * (tilted ones in the tilted plane), their weights; nr rectangles count
 * (2 or 3). */
struct hfeat {
	int o[3][4];
	float w[3];
	int nr;
};

/* An LBP feature: the 4x4 corners of its 3x3 cells, row by row, as
 * offsets in the sum plane. */
struct lfeat {
	int o[16];
};

/* The sum of a rectangle whose corners are o[0..3] from p. */
#define SUM4(p, o) ((int32_t)((p)[(o)[0]] - (p)[(o)[1]] - (p)[(o)[2]] + (p)[(o)[3]]))

/* The corners of rectangle (x, y, w, h) in a plane tofs from the sum
 * plane, rows step apart: top left, top right, bottom left, bottom right. */
static void sum_ofs(int o[4], int tofs, int x, int y, int w, int h, int step)
{
	o[0] = tofs + x + step * y;
	o[1] = tofs + x + w + step * y;
	o[2] = tofs + x + step * (y + h);
	o[3] = tofs + x + w + step * (y + h);
}

/* The corners of a 45-degree rectangle in the tilted plane, as OpenCV's
 * CV_TILTED_OFFSETS. */
static void tilted_ofs(int o[4], int tofs, int x, int y, int w, int h, int step)
{
	o[0] = tofs + x + step * y;
	o[1] = tofs + x - h + step * (y + h);
	o[2] = tofs + x + w + step * (y + w);
	o[3] = tofs + x + w - h + step * (y + w + h);
}

/* A HAAR feature's value at the window p: its weighted rectangle sums. */
static inline float haar_value(const uint32_t *p, const int o[3][4], const float w[3], int nr)
{
	float v = w[0] * (float)SUM4(p, o[0]) + w[1] * (float)SUM4(p, o[1]);

	if (nr > 2)
		v += w[2] * (float)SUM4(p, o[2]);
	return v;
}

/* An LBP feature's code at the window p: bit per outer cell, set when the
 * cell's sum is at least the centre cell's, clockwise from the top left. */
static inline int lbp_code(const uint32_t *p, const int *o)
{
	int32_t cv = (int32_t)(p[o[5]] - p[o[6]] - p[o[9]] + p[o[10]]);

#define LB(a, b, c, d) ((int32_t)(p[o[a]] - p[o[b]] - p[o[c]] + p[o[d]]) >= cv)
	return (LB(0, 1, 4, 5) << 7) | (LB(1, 2, 5, 6) << 6) | (LB(2, 3, 6, 7) << 5) |
	       (LB(6, 7, 10, 11) << 4) | (LB(10, 11, 14, 15) << 3) | (LB(9, 10, 13, 14) << 2) |
	       (LB(8, 9, 12, 13) << 1) | LB(4, 5, 8, 9);
#undef LB
}

/* Everything the window loop needs for one call. */
struct eval {
	const struct arpg_cascade *c;
	struct hstump *hs;	/* HAAR stumps (stump cascades), or NULL */
	struct hfeat *hf;	/* HAAR features, or NULL */
	struct lfeat *lf;	/* LBP features, or NULL */
	int nofs[4];
	size_t sqofs;
	double area;
	int reference;		/* one window at a time, even for stumps */
};

/* The normalisation of the HAAR window at p: 1 / (area * the standard
 * deviation) over the window shrunk by one pixel, in float as OpenCV has
 * it, or 0 when the window is too flat to normalise (OpenCV's setWindow
 * failing; a real factor is never 0, as nf < 2^56). */
static inline __attribute__((always_inline)) float haar_norm(const struct eval *e,
							     const uint32_t *p)
{
	const uint32_t *q = p + e->sqofs;
	int valsum = SUM4(p, e->nofs);
	unsigned valsq = (unsigned)SUM4(q, e->nofs);
	double nf = e->area * valsq - (double)valsum * valsum;
	float f;

	if (!(nf > 0.))
		return 0.f;
	f = (float)(1. / sqrt(nf));
	return e->area * f < 1e-1 ? f : 0.f;
}

/* The stages of a HAAR stump cascade on the window at p, normalised by
 * vnf.  Returns 1 when every stage passes, else -(the stage that rejects
 * it). */
static int haar_stumps(const struct eval *e, const uint32_t *p, float vnf)
{
	const struct arpg_cascade *c = e->c;
	const struct hstump *s = e->hs;
	int si, i;

	for (si = 0; si < c->nstages; si++) {
		const struct stage *st = &c->stages[si];
		double sum = 0;

		for (i = 0; i < st->ntrees; i++, s++) {
			float v = haar_value(p, s->o, s->w, s->nr) * vnf;

			sum += v < s->thr ? s->left : s->right;
		}
		if (sum < st->threshold)
			return -si;
	}
	return 1;
}

/* The stages of an LBP stump cascade on the window at p; as haar_stumps. */
static int lbp_stumps(const struct eval *e, const uint32_t *p)
{
	const struct arpg_cascade *c = e->c;
	int si, i;

	for (si = 0; si < c->nstages; si++) {
		const struct stage *st = &c->stages[si];
		const struct tree *t = &c->trees[st->first_tree];
		double sum = 0;

		for (i = 0; i < st->ntrees; i++, t++) {
			const struct node *n = &c->nodes[t->first_node];
			int code = lbp_code(p, e->lf[n->feature].o);
			const int32_t *sub = c->subsets + (size_t)t->first_node * c->subset_size;

			sum += (sub[code >> 5] & (1u << (code & 31))) ? c->leaves[t->first_leaf]
								     : c->leaves[t->first_leaf + 1];
		}
		if (sum < st->threshold)
			return -si;
	}
	return 1;
}

/* The stages of a cascade of trees (HAAR, normalised by vnf, or LBP) on
 * the window at p; as haar_stumps. */
static int tree_stages(const struct eval *e, const uint32_t *p, float vnf)
{
	const struct arpg_cascade *c = e->c;
	int si, i;

	for (si = 0; si < c->nstages; si++) {
		const struct stage *st = &c->stages[si];
		double sum = 0;

		for (i = 0; i < st->ntrees; i++) {
			const struct tree *t = &c->trees[st->first_tree + i];
			int idx = 0;

			do {
				const struct node *n = &c->nodes[t->first_node + idx];

				if (c->type == FEAT_HAAR) {
					const struct hfeat *f = &e->hf[n->feature];
					float v = haar_value(p, f->o, f->w, f->nr) * vnf;

					idx = v < n->threshold ? n->left : n->right;
				} else {
					int code = lbp_code(p, e->lf[n->feature].o);
					const int32_t *sub = c->subsets +
						(size_t)(t->first_node + idx) * c->subset_size;

					idx = (sub[code >> 5] & (1u << (code & 31))) ? n->left : n->right;
				}
			} while (idx > 0);
			sum += c->leaves[t->first_leaf - idx];
		}
		if (sum < st->threshold)
			return -si;
	}
	return 1;
}

/* One window at p (top-left of the window in the sum plane).  Returns 1
 * when every stage passes; 0 when the first stage rejects it (OpenCV then
 * skips the next window), -stage when a later one does, -1 when a HAAR
 * window is too flat to normalise. */
static int run_at(const struct eval *e, const uint32_t *p)
{
	const struct arpg_cascade *c = e->c;
	float vnf = 1.f;

	if (c->type == FEAT_HAAR && (vnf = haar_norm(e, p)) == 0.f)
		return -1;
	if (c->stumps)
		return c->type == FEAT_HAAR ? haar_stumps(e, p, vnf) : lbp_stumps(e, p);
	return tree_stages(e, p, vnf);
}

/* ------------------------------------------------------------ row kernels */

/* Scratch for one detect call, sized for the largest (first) scale. */
struct work {
	struct cascade_pyramid pyr;
	float *vnf;		/* per window of a row: normalisation (HAAR) */
	double *acc;		/* per window of a row: stage sum */
	int *lane;		/* per window of a row: the windows still in */
};

/* One stump's leaf values added to acc[0..n) over n windows: window j at
 * row + j * step, or at row + ofs[j] when step is 0.  step and three (the
 * feature has a third rectangle) are constants at each call, so that the
 * loop has no branch and, with a step, its loads are strided by a known
 * amount and vectorise (through ofs they are gathers).  The additions are
 * haar_stumps's, in its order. */
static inline __attribute__((always_inline)) VECTORISE void
stump_loop(const struct hstump *s, const uint32_t *row, const int *ofs, const int step,
	   const float *vnf, double *acc, int n, const int three)
{
	const int *o0 = s->o[0], *o1 = s->o[1], *o2 = s->o[2];
	const float w0 = s->w[0], w1 = s->w[1], w2 = s->w[2], thr = s->thr;
	const double l = s->left, r = s->right;
	int j;

	for (j = 0; j < n; j++) {
		const uint32_t *p = step ? row + (size_t)j * step : row + ofs[j];
		float v = w0 * (float)SUM4(p, o0) + w1 * (float)SUM4(p, o1);

		if (three)
			v += w2 * (float)SUM4(p, o2);
		v *= vnf[j];
		acc[j] += v < thr ? l : r;
	}
}

/* A stage's stumps hs[0..ntrees) added to acc[0..n) over n windows placed
 * as stump_loop says, stump by stump: the stump's data stays in
 * registers, the loads stream, and no branch waits on a window. */
static inline __attribute__((always_inline)) VECTORISE void
stage_sums(const struct hstump *hs, int ntrees, const uint32_t *row, const int *ofs,
	   const int step, const float *vnf, double *acc, int n)
{
	int k;

	for (k = 0; k < ntrees; k++)
		if (hs[k].nr > 2)
			stump_loop(&hs[k], row, ofs, step, vnf, acc, n, 1);
		else
			stump_loop(&hs[k], row, ofs, step, vnf, acc, n, 0);
}

/* One scale's window grid: the image resized to dw x dh, windows at
 * x < xend, y < yend, every ystep pixels; one accepted at (x, y) is the
 * box (x * sc, y * sc, ww, wh) of the image. */
struct level {
	float sc;
	int dw, dh;
	int xend, yend, ystep;
	int ww, wh;
};

/* The box of the window at (x, y) of level lv, into cand. */
static int push_box(struct cascade_rects *cand, const struct level *lv, int x, int y)
{
	return cascade_rects_push(cand, round_f((float)x * lv->sc), round_f((float)y * lv->sc),
				  lv->ww, lv->wh);
}

/* The windows of row y at x = lane[0..nl) that passed every stage. */
static int push_row(struct cascade_rects *cand, const struct level *lv, const int *lane, int nl,
		    int y)
{
	int k, rc;

	for (k = 0; k < nl; k++)
		if ((rc = push_box(cand, lv, lane[k], y)) < 0)
			return rc;
	return 0;
}

/* The window loop of one scale for HAAR stump cascades.  Row by row, the
 * normalisation and the first stage are computed for every window position
 * (stage_sums over the row); then a walk
 * along the row applies OpenCV's order exactly: a flat window (-1) is
 * dropped, one the first stage rejects (0) skips its neighbour, the others
 * go on.  Only the first stage's outcome decides a skip, so the windows
 * that go on are independent: each later stage runs over all of them at
 * once (stage_sums through the lanes), and keeps those that pass.  The sums
 * are the same additions in the same order as in run_at, so the result is
 * too; positions that the walk skips are computed and thrown away (about
 * 20% more first-stage work on faces with the frontal default cascade). */
static VECTORISE int haar_rows(const struct eval *e, struct work *wk, const struct level *lv,
			       struct cascade_rects *cand)
{
	const int xend = lv->xend, yend = lv->yend, ystep = lv->ystep;
	const struct arpg_cascade *c = e->c;
	const struct stage *st0 = &c->stages[0];
	const struct hstump *hs = e->hs;
	float *vnf = wk->vnf;
	double *acc = wk->acc;
	int *lane = wk->lane;
	int n = (xend + ystep - 1) / ystep, y, j, k, m, nl, si, rc;

	for (y = 0; y < yend; y += ystep) {
		const uint32_t *row = wk->pyr.sum + (size_t)y * wk->pyr.stride;

		for (j = 0; j < n; j++) {
			vnf[j] = haar_norm(e, row + (size_t)j * ystep);	/* 0: refused (-1) */
			acc[j] = 0;
		}
		if (ystep == 2)
			stage_sums(hs + st0->first_tree, st0->ntrees, row, NULL, 2, vnf, acc, n);
		else
			stage_sums(hs + st0->first_tree, st0->ntrees, row, NULL, 1, vnf, acc, n);
		/* OpenCV's walk: which windows go on past the first stage */
		for (j = 0, nl = 0; j < n; j++) {
			if (vnf[j] == 0.f)
				continue;			/* -1: no skip */
			if (acc[j] < st0->threshold) {
				j++;				/* 0: skip the next */
				continue;
			}
			lane[nl] = j * ystep;
			vnf[nl++] = vnf[j];			/* nl <= j: not yet read */
		}
		/* the other stages, all of them at once, stump by stump;
		 * a later stage's outcome skips nothing, so the windows are
		 * independent */
		for (si = 1; si < c->nstages && nl > 0; si++) {
			const struct stage *st = &c->stages[si];

			for (k = 0; k < nl; k++)
				acc[k] = 0;
			stage_sums(hs + st->first_tree, st->ntrees, row, lane, 0, vnf, acc, nl);
			for (k = 0, m = 0; k < nl; k++)
				if (!(acc[k] < st->threshold)) {
					lane[m] = lane[k];
					vnf[m++] = vnf[k];
				}
			nl = m;
		}
		if ((rc = push_row(cand, lv, lane, nl, y)) < 0)
			return rc;
	}
	return 0;
}

/* One LBP stump stage's sums over nl windows at row + ofs[k], tree by
 * tree over the windows: the same additions in the same order as run_at. */
static VECTORISE void lbp_stage(const struct eval *e, int si, const uint32_t *row,
				const int *ofs, double *acc, int nl)
{
	const struct arpg_cascade *c = e->c;
	const struct stage *st = &c->stages[si];
	const struct tree *t = &c->trees[st->first_tree];
	int i, k;

	for (k = 0; k < nl; k++)
		acc[k] = 0;
	for (i = 0; i < st->ntrees; i++, t++) {
		const struct node *nd = &c->nodes[t->first_node];
		const int *o = e->lf[nd->feature].o;
		const int32_t *sub = c->subsets + (size_t)t->first_node * c->subset_size;
		const double l = c->leaves[t->first_leaf], r = c->leaves[t->first_leaf + 1];

		for (k = 0; k < nl; k++) {
			int code = lbp_code(row + ofs[k], o);

			acc[k] += (sub[code >> 5] & (1u << (code & 31))) ? l : r;
		}
	}
}

/* The window loop of one scale for LBP stump cascades, as haar_rows does
 * it: the first stage for every window of a row, OpenCV's walk (a window
 * the first stage rejects skips its neighbour), then each later stage over
 * all the windows still in, keeping those that pass. */
static int lbp_rows(const struct eval *e, struct work *wk, const struct level *lv,
		    struct cascade_rects *cand)
{
	const int xend = lv->xend, yend = lv->yend, ystep = lv->ystep;
	const struct arpg_cascade *c = e->c;
	double *acc = wk->acc;
	int *lane = wk->lane;
	int n = (xend + ystep - 1) / ystep, y, j, k, m, nl, si, rc;

	for (y = 0; y < yend; y += ystep) {
		const uint32_t *row = wk->pyr.sum + (size_t)y * wk->pyr.stride;

		for (j = 0; j < n; j++)
			lane[j] = j * ystep;
		lbp_stage(e, 0, row, lane, acc, n);
		for (j = 0, nl = 0; j < n; j++) {
			if (acc[j] < c->stages[0].threshold) {
				j++;		/* rejected: skip the next */
				continue;
			}
			lane[nl++] = j * ystep;	/* nl <= j: lane[j..] not needed again */
		}
		for (si = 1; si < c->nstages && nl > 0; si++) {
			lbp_stage(e, si, row, lane, acc, nl);
			for (k = 0, m = 0; k < nl; k++)
				if (!(acc[k] < c->stages[si].threshold))
					lane[m++] = lane[k];
			nl = m;
		}
		if ((rc = push_row(cand, lv, lane, nl, y)) < 0)
			return rc;
	}
	return 0;
}

/* ---------------------------------------------------------------- driver */

void arpg_cascade_params_default(struct arpg_cascade_params *p)
{
	p->scale_factor = 1.1;
	p->min_neighbors = 3;
	p->min_size = 0;
	p->max_size = 0;
}

int arpg_cascade_params_check(const struct arpg_cascade_params *p)
{
	if (!p || !(p->scale_factor > 1.) || p->min_neighbors < 0 || p->min_size < 0 ||
	    p->max_size < 0)
		return ARPG_EINVAL;
	return 0;
}

/* The scales a w x h image is searched at, into *out (malloc'd): every
 * scale whose window fits in the image, then those whose window lies
 * within [min_size, max_size]; if none, the one closest to min_size
 * (OpenCV 4.x).  Returns their number (*out NULL when 0) or ARPG_ENOMEM. */
static int list_scales(const struct arpg_cascade *c, int w, int h,
		       const struct arpg_cascade_params *p, float **out)
{
	int maxw = p->max_size > 0 ? p->max_size : w, maxh = p->max_size > 0 ? p->max_size : h;
	int nall = 0, n = 0, i;
	size_t cap = 0;
	float *scales = NULL;
	double factor;

	*out = NULL;
	for (factor = 1;; factor *= p->scale_factor) {
		if (lrint(c->winw * factor) > w || lrint(c->winh * factor) > h)
			break;
		if (ARPG_GROW(scales, &cap, (size_t)nall + 1) < 0) {
			free(scales);
			return ARPG_ENOMEM;
		}
		scales[nall++] = (float)factor;
	}
	for (i = 0; i < nall; i++) {
		int ww = round_f((float)c->winw * scales[i]), wh = round_f((float)c->winh * scales[i]);

		if (ww > maxw || wh > maxh)
			break;
		if (ww < p->min_size || wh < p->min_size)
			continue;
		scales[n++] = scales[i];
	}
	if (n == 0 && nall > 0) {
		double best = 0;
		int bi = 0;

		for (i = 0; i < nall; i++) {
			int ww = round_f((float)c->winw * scales[i]);
			int wh = round_f((float)c->winh * scales[i]);
			double d = (double)(p->min_size - ww) * (p->min_size - ww) +
				   (double)(p->min_size - wh) * (p->min_size - wh);

			if (i == 0 || best > d) {
				best = d;
				bi = i;
			}
		}
		scales[0] = scales[bi];
		n = 1;
	}
	if (n == 0) {
		free(scales);
		scales = NULL;
	}
	*out = scales;
	return n;
}

/* Scratch for the levels of scales[0..n) of a w x h image: the pyramid
 * sized for the largest level, the row buffers for its widest row. */
static int work_init(struct work *wk, const struct arpg_cascade *c, int w, int h,
		     const float *scales, int n)
{
	int sw0 = round_f((float)w / scales[0]), sh0 = round_f((float)h / scales[0]), i, rc;

	for (i = 1; i < n; i++) {
		int a = round_f((float)w / scales[i]), b = round_f((float)h / scales[i]);

		sw0 = a > sw0 ? a : sw0;
		sh0 = b > sh0 ? b : sh0;
	}
	if ((rc = cascade_pyramid_init(&wk->pyr, sw0, sh0,
				       c->type == FEAT_HAAR ? (c->tilted ? 3 : 2) : 1)) < 0)
		return rc;
	wk->vnf = malloc(sizeof(float) * (size_t)(sw0 + 1));
	wk->acc = malloc(sizeof(double) * (size_t)(sw0 + 1));
	wk->lane = malloc(sizeof(int) * (size_t)(sw0 + 1));
	if (!wk->vnf || !wk->acc || !wk->lane)
		return ARPG_ENOMEM;
	return 0;
}

static void work_free(struct work *wk)
{
	cascade_pyramid_free(&wk->pyr);
	free(wk->vnf);
	free(wk->acc);
	free(wk->lane);
}

/* HAAR features' offsets in the planes (stride apart, plane apart; tilted
 * rectangles in the third plane), and for stump cascades every tree as
 * one hstump. */
static int haar_offsets(struct eval *e, int stride, size_t plane)
{
	const struct arpg_cascade *c = e->c;
	int tofs = (int)(2 * plane), i, k;
	struct hfeat *hf;
	struct hstump *hs;

	if (plane * 3 > INT_MAX)
		return ARPG_ERANGE;
	hf = malloc(sizeof *hf * (size_t)c->nfeatures);
	if (!(e->hf = hf))
		return ARPG_ENOMEM;
	for (i = 0; i < c->nfeatures; i++) {
		const struct haar_feature *f = &c->haar[i];

		memset(&hf[i], 0, sizeof hf[i]);
		hf[i].nr = f->r[2].weight != 0.f ? 3 : 2;
		for (k = 0; k < 3; k++) {
			const struct haar_rect *r = &f->r[k];

			hf[i].w[k] = r->weight;
			if (f->tilted)
				tilted_ofs(hf[i].o[k], tofs, r->x, r->y, r->w, r->h, stride);
			else
				sum_ofs(hf[i].o[k], 0, r->x, r->y, r->w, r->h, stride);
		}
	}
	if (!c->stumps)
		return 0;
	hs = malloc(sizeof *hs * (size_t)c->ntrees);
	if (!(e->hs = hs))
		return ARPG_ENOMEM;
	for (i = 0; i < c->ntrees; i++) {
		const struct node *n = &c->nodes[c->trees[i].first_node];

		memcpy(hs[i].o, hf[n->feature].o, sizeof hs[i].o);
		memcpy(hs[i].w, hf[n->feature].w, sizeof hs[i].w);
		hs[i].nr = hf[n->feature].nr;
		hs[i].thr = n->threshold;
		hs[i].left = c->leaves[c->trees[i].first_leaf];
		hs[i].right = c->leaves[c->trees[i].first_leaf + 1];
	}
	return 0;
}

/* LBP features' offsets: the 16 corners of their 3x3 cells, row by row. */
static int lbp_offsets(struct eval *e, int stride)
{
	const struct arpg_cascade *c = e->c;
	struct lfeat *lf = malloc(sizeof *lf * (size_t)c->nfeatures);
	int i;

	if (!(e->lf = lf))
		return ARPG_ENOMEM;
	for (i = 0; i < c->nfeatures; i++) {
		const struct lbp_feature *f = &c->lbp[i];
		int *o = lf[i].o, a[4];

		sum_ofs(a, 0, f->x, f->y, f->w, f->h, stride);
		o[0] = a[0]; o[1] = a[1]; o[4] = a[2]; o[5] = a[3];
		sum_ofs(a, 0, f->x + 2 * f->w, f->y, f->w, f->h, stride);
		o[2] = a[0]; o[3] = a[1]; o[6] = a[2]; o[7] = a[3];
		sum_ofs(a, 0, f->x + 2 * f->w, f->y + 2 * f->h, f->w, f->h, stride);
		o[10] = a[0]; o[11] = a[1]; o[14] = a[2]; o[15] = a[3];
		sum_ofs(a, 0, f->x, f->y + 2 * f->h, f->w, f->h, stride);
		o[8] = a[0]; o[9] = a[1]; o[12] = a[2]; o[13] = a[3];
	}
	return 0;
}

/* Everything the window loops need for c, for planes stride and plane
 * apart.  Returns 0, ARPG_ERANGE (offsets beyond int), ARPG_ENOMEM;
 * eval_free frees what was allocated either way. */
static int eval_init(struct eval *e, const struct arpg_cascade *c, int stride, size_t plane)
{
	e->c = c;
	e->sqofs = plane;
	e->area = (double)(c->winw - 2) * (c->winh - 2);
	sum_ofs(e->nofs, 0, 1, 1, c->winw - 2, c->winh - 2, stride);
	return c->type == FEAT_HAAR ? haar_offsets(e, stride, plane) : lbp_offsets(e, stride);
}

static void eval_free(struct eval *e)
{
	free(e->hs);
	free(e->hf);
	free(e->lf);
}

/* The window loop of one scale, one window at a time, in OpenCV's order. */
static int window_rows(const struct eval *e, struct work *wk, const struct level *lv,
		       struct cascade_rects *cand)
{
	int x, y, rc;

	for (y = 0; y < lv->yend; y += lv->ystep) {
		const uint32_t *row = wk->pyr.sum + (size_t)y * wk->pyr.stride;

		for (x = 0; x < lv->xend; x += lv->ystep) {
			int res = run_at(e, row + x);

			if (res > 0 && (rc = push_box(cand, lv, x, y)) < 0)
				return rc;
			if (res == 0)
				x += lv->ystep;
		}
	}
	return 0;
}

/* The grid of scale sc on a w x h image: the resized size (dw x dh; 0 when
 * it would be empty), the window positions, the boxes' size. */
static int level_of(struct level *lv, const struct arpg_cascade *c, int w, int h, float sc)
{
	lv->dw = round_f((float)w / sc);
	lv->dh = round_f((float)h / sc);
	if (lv->dw < 1 || lv->dh < 1)
		return 0;
	lv->sc = sc;
	/* working size: szi - window, szi = resized size + 1.  OpenCV's
	 * setWindow also refuses x + win >= szi, which these bounds never
	 * reach. */
	lv->xend = lv->dw + 1 - c->winw;
	lv->yend = lv->dh + 1 - c->winh;
	lv->ystep = sc >= 2 ? 1 : 2;
	lv->ww = round_f((float)c->winw * sc);
	lv->wh = round_f((float)c->winh * sc);
	return 1;
}

/* The windows of level lv that pass every stage, into cand: through the
 * row kernels for stump cascades, unless e->reference. */
static int scan_level(const struct eval *e, struct work *wk, const struct level *lv,
		      struct cascade_rects *cand)
{
	const struct arpg_cascade *c = e->c;

	if (!e->reference && c->type == FEAT_HAAR && c->stumps)
		return haar_rows(e, wk, lv, cand);
	if (!e->reference && c->type == FEAT_LBP && c->stumps)
		return lbp_rows(e, wk, lv, cand);
	return window_rows(e, wk, lv, cand);
}

static int detect(const struct arpg_cascade *c, const uint8_t *grey, int w, int h, int stride,
		  const struct arpg_cascade_params *p, int reference, struct arpg_rect **out)
{
	struct work wk = { 0 };
	struct eval e = { 0 };
	struct cascade_rects cand = { 0 };
	float *scales = NULL;
	int nscales = 0, i, rc = 0;

	*out = NULL;
	if (!c || !grey || w <= 0 || h <= 0 || stride < w || arpg_cascade_params_check(p) < 0)
		return ARPG_EINVAL;
	if (w > 1 << 15 || h > 1 << 15)
		return ARPG_ERANGE;
	if (h < c->winh || w < c->winw)
		goto done;
	if ((nscales = list_scales(c, w, h, p, &scales)) <= 0) {
		rc = nscales;
		goto done;
	}
	if ((rc = work_init(&wk, c, w, h, scales, nscales)) < 0 ||
	    (rc = eval_init(&e, c, wk.pyr.stride, wk.pyr.plane)) < 0)
		goto done;
	e.reference = reference;
	for (i = 0; i < nscales; i++) {
		struct level lv;

		if (!level_of(&lv, c, w, h, scales[i]))
			continue;
		cascade_pyramid_level(&wk.pyr, grey, w, h, stride, lv.dw, lv.dh);
		if ((rc = scan_level(&e, &wk, &lv, &cand)) < 0)
			goto done;
	}
	if ((rc = cascade_group(&cand, p->min_neighbors, 0.2)) < 0)
		goto done;
	cascade_clip(&cand, w, h);
done:
	free(scales);
	work_free(&wk);
	eval_free(&e);
	if (rc < 0) {
		free(cand.r);
		return rc;
	}
	if (cand.n == 0) {
		free(cand.r);
		cand.r = NULL;
	}
	*out = cand.r;
	return cand.n;
}

int arpg_cascade_detect(const struct arpg_cascade *c, const uint8_t *grey, int w, int h,
			int stride, const struct arpg_cascade_params *p, struct arpg_rect **out)
{
	return detect(c, grey, w, h, stride, p, 0, out);
}

int cascade_detect_reference(const struct arpg_cascade *c, const uint8_t *grey, int w, int h,
			     int stride, const struct arpg_cascade_params *p,
			     struct arpg_rect **out)
{
	return detect(c, grey, w, h, stride, p, 1, out);
}
