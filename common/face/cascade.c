/* cascade.c - Viola-Jones detection over OpenCV cascade XML files.
 *
 * Parsing: libxml2 reads the opencv_storage document; the first element
 * under the root is the cascade (stageType BOOST, featureType HAAR or LBP,
 * the window size, maxCatCount, stages of weak trees, features).  Every
 * index the detector follows (feature numbers, tree children, leaves,
 * rectangles inside the window) is checked here, so detection needs no
 * checks per window.
 *
 * Detection follows OpenCV 4.6's CascadeClassifier::detectMultiScale (CPU
 * path) step by step, because the point is to give the same boxes:
 *  - scales 1, f, f^2, ... (double, stored as float) while the window fits
 *    in the image, kept when the window lies within [min_size, max_size];
 *  - per scale the image is resized to cvRound(w/scale) x cvRound(h/scale)
 *    with OpenCV's bit-exact INTER_LINEAR_EXACT (8-bit coefficients; a copy
 *    at size 1, a 2x2 mean at exactly half size, as cv::resize does).
 *    Debian's OpenCV 4.6 resizes with INTER_LINEAR_EXACT here: with the
 *    plain fixed-point INTER_LINEAR, 2 to 3 raw windows in 45 differ on
 *    astronaut.png and grouped boxes move by a pixel or two;
 *  - integral, squared integral (32-bit, wrapping like OpenCV's CV_32S) and,
 *    for cascades with tilted features, the 45-degree integral;
 *  - windows every 2 pixels below scale 2 (every pixel above), a window
 *    rejected by the first stage skips the next one; HAAR windows are
 *    normalised by the standard deviation over the window shrunk by one
 *    pixel, windows of too little contrast are dropped, as OpenCV does;
 *  - stages of stumps or trees, sums in double of float leaf values;
 *  - groupRectangles(minNeighbors, eps 0.2) and clipping to the image.
 * Float details (float products of feature sums, the (float) scale, rounding
 * half to even) are kept as OpenCV has them; see the comments below.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "cascade.h"
#include "fileio.h"
#include "error.h"

/* Results must not depend on the compiler fusing a*b+c into one rounding
 * (OpenCV's baseline build does not). */
#if defined(__clang__)
#pragma clang fp contract(off)
#define VECTORISE
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
/* -O2 of GCC 12 vectorises only the cheapest loops; the row loops below
 * need its full vectoriser (clang's -O2 has it). */
#define VECTORISE __attribute__((optimize("O3", "fp-contract=off")))
#else
#define VECTORISE
#endif

enum { FEAT_HAAR, FEAT_LBP };

struct haar_rect {
	int x, y, w, h;
	float weight;
};

struct haar_feature {
	int nrects;		/* 2 or 3 */
	int tilted;
	struct haar_rect r[3];
};

struct lbp_feature {
	int x, y, w, h;		/* one cell; the feature covers 3w x 3h */
};

struct node {
	int feature;
	float threshold;	/* ordered features; 0 for categorical ones */
	int left, right;	/* > 0: node within the tree; <= 0: -leaf */
};

struct tree {
	int first_node, nnodes, first_leaf;
};

struct stage {
	int first_tree, ntrees;
	float threshold;	/* stageThreshold - 1e-5f, as OpenCV */
};

struct arpg_cascade {
	int type;		/* FEAT_HAAR or FEAT_LBP */
	int winw, winh;
	int ncategories, subset_size;
	int stumps;		/* every tree is a single node */
	int tilted;		/* some HAAR feature is tilted */
	int nstages, ntrees, nnodes, nleaves, nfeatures;
	struct stage *stages;
	struct tree *trees;
	struct node *nodes;
	float *leaves;
	int32_t *subsets;	/* subset_size per node (LBP) */
	struct haar_feature *haar;
	struct lbp_feature *lbp;
};

void arpg_cascade_free(struct arpg_cascade *c)
{
	if (!c)
		return;
	free(c->stages);
	free(c->trees);
	free(c->nodes);
	free(c->leaves);
	free(c->subsets);
	free(c->haar);
	free(c->lbp);
	free(c);
}

/* ---------------------------------------------------------------- parsing */

/* The cascade as a growing set of arrays while it is read. */
struct reader {
	struct arpg_cascade *c;
	int cap_trees, cap_nodes, cap_leaves, cap_subsets;
	char *err;
	size_t errn;
};

static int grow(void *pp, int *cap, int need, size_t size)
{
	void **p = pp;
	int n;
	void *q;

	if (need <= *cap)
		return 0;
	n = *cap ? *cap : 64;
	while (n < need) {
		if (n > INT_MAX / 2)
			return ARPG_ENOMEM;
		n *= 2;
	}
	q = realloc(*p, (size_t)n * size);
	if (!q)
		return ARPG_ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

static int is_elem(const xmlNode *n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && (!name || !strcmp((const char *)n->name, name));
}

static xmlNode *first_elem(xmlNode *n)
{
	for (; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			return n;
	return NULL;
}

static xmlNode *child(xmlNode *parent, const char *name)
{
	xmlNode *n;

	for (n = parent ? parent->children : NULL; n; n = n->next)
		if (is_elem(n, name))
			return n;
	return NULL;
}

static int count_elems(xmlNode *parent)
{
	xmlNode *n;
	int k = 0;

	for (n = parent->children; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			k++;
	return k;
}

/* A list of numbers, the text of an element (comments skipped): up to max
 * values into v; returns the count, or -1 when a token is not a number. */
static int read_numbers(xmlNode *e, double *v, int max, int *more)
{
	xmlNode *t;
	int k = 0;

	*more = 0;
	for (t = e->children; t; t = t->next) {
		const char *s;
		char *end;

		if (t->type != XML_TEXT_NODE && t->type != XML_CDATA_SECTION_NODE)
			continue;
		s = (const char *)t->content;
		while (s && *s) {
			double d;

			while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
				s++;
			if (!*s)
				break;
			errno = 0;
			d = strtod(s, &end);
			if (end == s || !isfinite(d))
				return -1;
			if (*end && *end != ' ' && *end != '\t' && *end != '\n' && *end != '\r')
				return -1;
			if (k < max)
				v[k] = d;
			else
				*more = 1;
			k++;
			s = end;
		}
	}
	return k;
}

/* An integer element (OpenCV rounds a real where it reads an int). */
static int read_int(xmlNode *parent, const char *name, int *out, int required, struct reader *r)
{
	xmlNode *e = child(parent, name);
	double v;
	int more, k;

	if (!e) {
		if (required)
			return arpg_errf(r->err, r->errn, ARPG_EFORMAT, "no <%s> in the cascade", name);
		return 1;
	}
	k = read_numbers(e, &v, 1, &more);
	if (k != 1 || fabs(v) > 1e9)
		return arpg_errf(r->err, r->errn, ARPG_EFORMAT, "<%s> (line %d) is not a number",
				 name, (int)xmlGetLineNo(e));
	*out = (int)lrint(v);
	return 0;
}

static char *text_of(xmlNode *e)
{
	char *s = (char *)xmlNodeGetContent(e), *a, *b;

	if (!s)
		return NULL;
	for (a = s; *a == ' ' || *a == '\n' || *a == '\t' || *a == '\r'; a++)
		;
	memmove(s, a, strlen(a) + 1);
	b = s + strlen(s);
	while (b > s && (b[-1] == ' ' || b[-1] == '\n' || b[-1] == '\t' || b[-1] == '\r'))
		*--b = 0;
	return s;
}

/* A real as OpenCV's (int) of a FileNode: ints as they are, reals rounded. */
static int to_int(double d)
{
	if (d > INT_MAX || d < INT_MIN)
		return INT_MIN;
	return (int)lrint(d);
}

static int read_tree(struct reader *r, xmlNode *weak, int nodestep, int si, int wi)
{
	struct arpg_cascade *c = r->c;
	xmlNode *in = child(weak, "internalNodes"), *lv = child(weak, "leafValues");
	int nin, nlv, more, nn, i, j, rc = 0;
	double *v = NULL;
	struct tree *t;

	if (!in || !lv)
		return arpg_errf(r->err, r->errn, ARPG_EFORMAT,
				 "stage %d, weak classifier %d: no internalNodes or leafValues", si, wi);
	nin = read_numbers(in, NULL, 0, &more);
	nlv = read_numbers(lv, NULL, 0, &more);
	if (nin < 0 || nlv < 0)
		return arpg_errf(r->err, r->errn, ARPG_EFORMAT,
				 "stage %d, weak classifier %d (line %d): a value is not a number",
				 si, wi, (int)xmlGetLineNo(weak));
	nn = nin / nodestep;
	if (nn < 1 || nin != nn * nodestep || nlv != nn + 1)
		return arpg_errf(r->err, r->errn, ARPG_EFORMAT,
				 "stage %d, weak classifier %d (line %d): %d node values and %d leaves "
				 "do not make a tree of %d-value nodes", si, wi,
				 (int)xmlGetLineNo(weak), nin, nlv, nodestep);
	v = malloc(sizeof *v * (size_t)(nin > nlv ? nin : nlv));
	if (!v)
		return ARPG_ENOMEM;
	if ((rc = grow(&c->trees, &r->cap_trees, c->ntrees + 1, sizeof *c->trees)) < 0 ||
	    (rc = grow(&c->nodes, &r->cap_nodes, c->nnodes + nn, sizeof *c->nodes)) < 0 ||
	    (rc = grow(&c->leaves, &r->cap_leaves, c->nleaves + nlv, sizeof *c->leaves)) < 0 ||
	    (c->subset_size && (rc = grow(&c->subsets, &r->cap_subsets,
					  (c->nnodes + nn) * c->subset_size, sizeof *c->subsets)) < 0))
		goto out;
	t = &c->trees[c->ntrees];
	t->first_node = c->nnodes;
	t->nnodes = nn;
	t->first_leaf = c->nleaves;
	read_numbers(in, v, nin, &more);
	for (i = 0; i < nn; i++) {
		const double *p = v + (size_t)i * nodestep;
		struct node *n = &c->nodes[c->nnodes + i];

		n->left = to_int(p[0]);
		n->right = to_int(p[1]);
		n->feature = to_int(p[2]);
		if (c->subset_size) {
			for (j = 0; j < c->subset_size; j++) {
				double s = p[3 + j];

				/* Subsets are 32-bit masks, written signed. */
				if (s < INT32_MIN || s > UINT32_MAX) {
					rc = arpg_errf(r->err, r->errn, ARPG_EFORMAT,
						       "stage %d, weak classifier %d: subset value %g "
						       "out of range", si, wi, s);
					goto out;
				}
				c->subsets[(size_t)(c->nnodes + i) * c->subset_size + j] =
					(int32_t)(uint32_t)(int64_t)llrint(s);
			}
			n->threshold = 0.f;
		} else {
			n->threshold = (float)p[3];
		}
		/* Children must lie further down the tree (so that evaluation
		 * ends), leaves among this tree's leaves.  A stump's children
		 * are not read (OpenCV takes its two leaves in order). */
		if (nn > 1 && ((n->left > 0 && (n->left <= i || n->left >= nn)) ||
			       (n->right > 0 && (n->right <= i || n->right >= nn)) ||
			       n->left < -nn || n->right < -nn)) {
			rc = arpg_errf(r->err, r->errn, ARPG_EFORMAT,
				       "stage %d, weak classifier %d, node %d: child out of the tree",
				       si, wi, i);
			goto out;
		}
		if (n->feature < 0) {
			rc = arpg_errf(r->err, r->errn, ARPG_EFORMAT,
				       "stage %d, weak classifier %d, node %d: negative feature index",
				       si, wi, i);
			goto out;
		}
	}
	read_numbers(lv, v, nlv, &more);
	for (i = 0; i < nlv; i++)
		c->leaves[c->nleaves + i] = (float)v[i];
	c->nnodes += nn;
	c->nleaves += nlv;
	c->ntrees++;
out:
	free(v);
	return rc;
}

static int read_haar_feature(struct reader *r, xmlNode *f, struct haar_feature *hf, int fi)
{
	struct arpg_cascade *c = r->c;
	xmlNode *rects = child(f, "rects"), *e;
	int tilted = 0, k = 0, rc;

	if (!rects)
		return arpg_errf(r->err, r->errn, ARPG_EFORMAT, "feature %d (line %d): no <rects>",
				 fi, (int)xmlGetLineNo(f));
	if ((rc = read_int(f, "tilted", &tilted, 0, r)) < 0)
		return rc;
	memset(hf, 0, sizeof *hf);
	hf->tilted = tilted != 0;
	for (e = first_elem(rects->children); e; e = first_elem(e->next)) {
		double v[5];
		int more, n = read_numbers(e, v, 5, &more);
		struct haar_rect *hr;

		if (k == 3)
			return arpg_errf(r->err, r->errn, ARPG_EFORMAT,
					 "feature %d (line %d): more than 3 rectangles", fi,
					 (int)xmlGetLineNo(f));
		if (n != 5)
			return arpg_errf(r->err, r->errn, ARPG_EFORMAT,
					 "feature %d (line %d): a rectangle is not \"x y w h weight\"",
					 fi, (int)xmlGetLineNo(e));
		hr = &hf->r[k++];
		hr->x = to_int(v[0]);
		hr->y = to_int(v[1]);
		hr->w = to_int(v[2]);
		hr->h = to_int(v[3]);
		hr->weight = (float)v[4];
		if (hr->x < 0 || hr->y < 0 || hr->w < 0 || hr->h < 0 ||
		    hr->w > c->winw || hr->h > c->winh ||
		    (!hf->tilted && (hr->x + hr->w > c->winw || hr->y + hr->h > c->winh)) ||
		    (hf->tilted && (hr->x - hr->h < 0 || hr->x + hr->w > c->winw ||
				    hr->y + hr->w + hr->h > c->winh)))
			return arpg_errf(r->err, r->errn, ARPG_EFORMAT,
					 "feature %d (line %d): rectangle %d %d %d %d outside the "
					 "%dx%d window", fi, (int)xmlGetLineNo(e), hr->x, hr->y,
					 hr->w, hr->h, c->winw, c->winh);
	}
	if (k < 1)
		return arpg_errf(r->err, r->errn, ARPG_EFORMAT, "feature %d (line %d): no rectangle",
				 fi, (int)xmlGetLineNo(f));
	hf->nrects = k;
	if (hf->tilted)
		c->tilted = 1;
	return 0;
}

static int read_lbp_feature(struct reader *r, xmlNode *f, struct lbp_feature *lf, int fi)
{
	struct arpg_cascade *c = r->c;
	xmlNode *e = child(f, "rect");
	double v[4];
	int more, n;

	if (!e)
		return arpg_errf(r->err, r->errn, ARPG_EFORMAT, "feature %d (line %d): no <rect>",
				 fi, (int)xmlGetLineNo(f));
	n = read_numbers(e, v, 4, &more);
	if (n != 4)
		return arpg_errf(r->err, r->errn, ARPG_EFORMAT,
				 "feature %d (line %d): <rect> is not \"x y w h\"", fi,
				 (int)xmlGetLineNo(e));
	lf->x = to_int(v[0]);
	lf->y = to_int(v[1]);
	lf->w = to_int(v[2]);
	lf->h = to_int(v[3]);
	if (lf->x < 0 || lf->y < 0 || lf->w < 0 || lf->h < 0 || lf->w > c->winw ||
	    lf->h > c->winh || lf->x + 3 * lf->w > c->winw || lf->y + 3 * lf->h > c->winh)
		return arpg_errf(r->err, r->errn, ARPG_EFORMAT,
				 "feature %d (line %d): cells %d %d %d %d outside the %dx%d window",
				 fi, (int)xmlGetLineNo(e), lf->x, lf->y, lf->w, lf->h, c->winw, c->winh);
	return 0;
}

static int read_cascade(struct reader *r, xmlNode *root)
{
	struct arpg_cascade *c = r->c;
	xmlNode *cas, *fp, *st, *s, *w, *fe, *f;
	char *stype = NULL, *ftype = NULL, *tid;
	int rc, nodestep, si, wi, fi, maxnodes = 0;

	if (!root || !is_elem(root, "opencv_storage"))
		return arpg_errf(r->err, r->errn, ARPG_EFORMAT,
				 "not an OpenCV cascade: the root element is <%s>, not <opencv_storage>",
				 root ? (const char *)root->name : "");
	cas = first_elem(root->children);
	if (!cas)
		return arpg_errf(r->err, r->errn, ARPG_EFORMAT,
				 "not an OpenCV cascade: <opencv_storage> is empty");
	tid = (char *)xmlGetProp(cas, (const xmlChar *)"type_id");
	if (tid && !strcmp(tid, "opencv-haar-classifier")) {
		xmlFree(tid);
		return arpg_errf(r->err, r->errn, ARPG_EUNSUPPORTED,
				 "<%s> is a cascade in the old opencv-haar-classifier format; convert "
				 "it with OpenCV's opencv_traincascade or use a current cascade",
				 (const char *)cas->name);
	}
	xmlFree(tid);
	if (!child(cas, "stageType") || !child(cas, "featureType") || !child(cas, "stages"))
		return arpg_errf(r->err, r->errn, ARPG_EFORMAT,
				 "not an OpenCV cascade: <%s> has no stageType, featureType or stages",
				 (const char *)cas->name);
	stype = text_of(child(cas, "stageType"));
	ftype = text_of(child(cas, "featureType"));
	if (!stype || !ftype) {
		rc = ARPG_ENOMEM;
		goto out;
	}
	if (strcmp(stype, "BOOST")) {
		rc = arpg_errf(r->err, r->errn, ARPG_EUNSUPPORTED,
			       "stageType \"%.40s\" is not supported (only BOOST)", stype);
		goto out;
	}
	if (!strcmp(ftype, "HAAR")) {
		c->type = FEAT_HAAR;
	} else if (!strcmp(ftype, "LBP")) {
		c->type = FEAT_LBP;
	} else {
		rc = arpg_errf(r->err, r->errn, ARPG_EUNSUPPORTED,
			       "featureType \"%.40s\" is not supported (HAAR and LBP are)", ftype);
		goto out;
	}
	if ((rc = read_int(cas, "width", &c->winw, 1, r)) < 0 ||
	    (rc = read_int(cas, "height", &c->winh, 1, r)) < 0)
		goto out;
	if (c->winw < 1 || c->winh < 1 || c->winw > 4096 || c->winh > 4096) {
		rc = arpg_errf(r->err, r->errn, ARPG_EFORMAT, "window size %dx%d out of range",
			       c->winw, c->winh);
		goto out;
	}
	fp = child(cas, "featureParams");
	if (!fp) {
		rc = arpg_errf(r->err, r->errn, ARPG_EFORMAT, "no <featureParams> in the cascade");
		goto out;
	}
	c->ncategories = 0;
	if ((rc = read_int(fp, "maxCatCount", &c->ncategories, 0, r)) < 0)
		goto out;
	rc = 0;
	if (c->type == FEAT_LBP && c->ncategories != 256) {
		rc = arpg_errf(r->err, r->errn, c->ncategories < 0 ? ARPG_EFORMAT : ARPG_EUNSUPPORTED,
			       "an LBP cascade with maxCatCount %d (256 expected)", c->ncategories);
		goto out;
	}
	if (c->type == FEAT_HAAR && c->ncategories != 0) {
		rc = arpg_errf(r->err, r->errn, c->ncategories < 0 ? ARPG_EFORMAT : ARPG_EUNSUPPORTED,
			       "a HAAR cascade with categorical features (maxCatCount %d)",
			       c->ncategories);
		goto out;
	}
	c->subset_size = (c->ncategories + 31) / 32;
	nodestep = 3 + (c->ncategories > 0 ? c->subset_size : 1);

	st = child(cas, "stages");
	c->nstages = count_elems(st);
	if (c->nstages < 1) {
		rc = arpg_errf(r->err, r->errn, ARPG_EFORMAT, "the cascade has no stages");
		goto out;
	}
	c->stages = calloc((size_t)c->nstages, sizeof *c->stages);
	if (!c->stages) {
		rc = ARPG_ENOMEM;
		goto out;
	}
	for (si = 0, s = first_elem(st->children); s; s = first_elem(s->next), si++) {
		xmlNode *wc = child(s, "weakClassifiers"), *th = child(s, "stageThreshold");
		double t;
		int more;

		if (!wc || !th || read_numbers(th, &t, 1, &more) != 1) {
			rc = arpg_errf(r->err, r->errn, ARPG_EFORMAT,
				       "stage %d (line %d): no weakClassifiers or stageThreshold",
				       si, (int)xmlGetLineNo(s));
			goto out;
		}
		c->stages[si].threshold = (float)t - 1e-5f;
		c->stages[si].first_tree = c->ntrees;
		for (wi = 0, w = first_elem(wc->children); w; w = first_elem(w->next), wi++)
			if ((rc = read_tree(r, w, nodestep, si, wi)) < 0)
				goto out;
		c->stages[si].ntrees = wi;
		if (wi == 0) {
			rc = arpg_errf(r->err, r->errn, ARPG_EFORMAT,
				       "stage %d (line %d): no weak classifiers", si,
				       (int)xmlGetLineNo(s));
			goto out;
		}
	}
	for (wi = 0; wi < c->ntrees; wi++)
		if (c->trees[wi].nnodes > maxnodes)
			maxnodes = c->trees[wi].nnodes;
	c->stumps = maxnodes == 1;

	fe = child(cas, "features");
	if (!fe || (c->nfeatures = count_elems(fe)) < 1) {
		rc = arpg_errf(r->err, r->errn, ARPG_EFORMAT, "the cascade has no <features>");
		goto out;
	}
	if (c->type == FEAT_HAAR)
		c->haar = calloc((size_t)c->nfeatures, sizeof *c->haar);
	else
		c->lbp = calloc((size_t)c->nfeatures, sizeof *c->lbp);
	if (!c->haar && !c->lbp) {
		rc = ARPG_ENOMEM;
		goto out;
	}
	for (fi = 0, f = first_elem(fe->children); f; f = first_elem(f->next), fi++) {
		rc = c->type == FEAT_HAAR ? read_haar_feature(r, f, &c->haar[fi], fi)
					  : read_lbp_feature(r, f, &c->lbp[fi], fi);
		if (rc < 0)
			goto out;
	}
	for (wi = 0; wi < c->nnodes; wi++)
		if (c->nodes[wi].feature >= c->nfeatures) {
			rc = arpg_errf(r->err, r->errn, ARPG_EFORMAT,
				       "a tree node uses feature %d of %d", c->nodes[wi].feature,
				       c->nfeatures);
			goto out;
		}
	rc = 0;
out:
	xmlFree(stype);
	xmlFree(ftype);
	return rc;
}

int arpg_cascade_parse(struct arpg_cascade **out, const void *buf, size_t len, char *err,
		       size_t errn)
{
	struct reader r = { 0 };
	xmlParserCtxtPtr ctx = NULL;
	xmlDocPtr doc = NULL;
	int rc;

	*out = NULL;
	if (err && errn)
		err[0] = 0;
	if (len > INT_MAX)
		return arpg_errf(err, errn, ARPG_ERANGE, "cascade of %zu bytes is too large", len);
	r.err = err;
	r.errn = errn;
	r.c = calloc(1, sizeof *r.c);
	ctx = xmlNewParserCtxt();
	if (!r.c || !ctx) {
		rc = ARPG_ENOMEM;
		goto out;
	}
	doc = xmlCtxtReadMemory(ctx, buf, (int)len, NULL, NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc) {
		const xmlError *e = xmlCtxtGetLastError(ctx);
		char msg[160];
		size_t k;

		snprintf(msg, sizeof msg, "%s", e && e->message ? e->message : "unreadable");
		k = strlen(msg);
		while (k && (msg[k - 1] == '\n' || msg[k - 1] == ' '))
			msg[--k] = 0;
		rc = arpg_errf(err, errn, ARPG_EFORMAT,
			       "not an OpenCV cascade (XML damaged or truncated): line %d: %s",
			       e ? e->line : 0, msg);
		goto out;
	}
	if ((rc = read_cascade(&r, xmlDocGetRootElement(doc))) < 0)
		goto out;
	*out = r.c;
	r.c = NULL;
out:
	if (rc == ARPG_ENOMEM && err && errn && !err[0])
		arpg_errf(err, errn, rc, "out of memory");
	arpg_cascade_free(r.c);
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctx);
	return rc;
}

int arpg_cascade_load(struct arpg_cascade **c, const char *path, char *err, size_t errn)
{
	void *buf;
	size_t n;
	int rc;

	*c = NULL;
	if ((rc = arpg_read_file(path, 0, &buf, &n)) < 0) {
		if (rc == ARPG_EIO)
			return arpg_errf(err, errn, errno == ENOENT ? ARPG_ENOENT : ARPG_EIO, "%s",
					 strerror(errno));
		return arpg_errf(err, errn, rc, "%s", arpg_strerror(rc));
	}
	rc = arpg_cascade_parse(c, buf, n, err, errn);
	free(buf);
	return rc;
}

/* -------------------------------------------------------------- resizing */

static inline int round_f(float v)
{
	return (int)lrintf(v);
}

/* Scratch for one detect call, sized for the largest (first) scale. */
struct work {
	uint8_t *img;		/* resized image, stride iw */
	int iw;
	uint32_t *buf;		/* sum | sqsum | tilted, each ih1 rows of stride */
	size_t plane;		/* stride * rows of one channel */
	int stride;
	uint16_t *hrow[2];	/* horizontal pass rows (resize) */
	int *xofs, *yofs;
	uint16_t *xm, *ym;
	int32_t *ta, *tb;	/* tilted integral accumulators */
	float *vnf;		/* per window of a row: normalisation (HAAR) */
	double *acc;		/* per window of a row: first-stage sum */
	int *lane;		/* per window of a row: the windows past the first stage */
	uint32_t *rowp;		/* row prefix (tilted) */
};

/* cv::resize(..., INTER_LINEAR_EXACT) for 8-bit grey (OpenCV's
 * resize_bitExact): coefficients in 8 fractional bits, the horizontal pass
 * kept in 16-bit fixed point, the vertical one in 32-bit, rounded at the
 * end.  Pixels left of (above) the first full pair take the first source
 * pixel (row), those past the last pair the last one. */
static void linear_exact_coefs(int ssz, int dsz, int *ofs, uint16_t *m, int *lo, int *hi)
{
	double scale = 1. / ((double)dsz / ssz);
	int v;

	*lo = 0;
	*hi = dsz;
	for (v = 0; v < dsz; v++) {
		double f = scale * ((double)v + 0.5) - 0.5;
		int i = (int)floor(f);

		ofs[v] = 0;
		m[2 * v] = 256;
		m[2 * v + 1] = 0;
		if (i >= 0 && ssz > 1) {
			if (i < ssz - 1) {
				long c1 = lrint((f - i) * 256);

				ofs[v] = i;
				m[2 * v + 1] = (uint16_t)(c1 > 0xffff ? 0xffff : c1);
				m[2 * v] = (uint16_t)(256 - m[2 * v + 1]);
			} else {
				ofs[v] = ssz - 1;
				if (v < *hi)
					*hi = v;
			}
		} else if (v + 1 > *lo) {
			*lo = v + 1;
		}
	}
}

static void resize_linear_exact(struct work *wk, const uint8_t *src, int sw, int sh,
				int sstride, uint8_t *dst, int dw, int dh, int dstride)
{
	int *xofs = wk->xofs, *yofs = wk->yofs;
	uint16_t *xm = wk->xm, *ym = wk->ym;
	uint16_t *L0 = wk->hrow[0], *L1 = wk->hrow[1];
	int xlo, xhi, ylo, yhi, dx, dy;

	if (dw == sw && dh == sh) {
		for (dy = 0; dy < dh; dy++)
			memcpy(dst + (size_t)dy * dstride, src + (size_t)dy * sstride, (size_t)dw);
		return;
	}
	if (sw == 2 * dw && sh == 2 * dh) {
		for (dy = 0; dy < dh; dy++) {
			const uint8_t *a = src + (size_t)(2 * dy) * sstride, *b = a + sstride;
			uint8_t *d = dst + (size_t)dy * dstride;

			for (dx = 0; dx < dw; dx++)
				d[dx] = (uint8_t)((a[2 * dx] + a[2 * dx + 1] + b[2 * dx] +
						   b[2 * dx + 1] + 2) >> 2);
		}
		return;
	}
	linear_exact_coefs(sw, dw, xofs, xm, &xlo, &xhi);
	linear_exact_coefs(sh, dh, yofs, ym, &ylo, &yhi);
	for (dy = 0; dy < dh; dy++) {
		int r0, r1, k;
		uint16_t *L[2] = { L0, L1 };
		uint32_t c0 = ym[2 * dy], c1 = ym[2 * dy + 1];
		uint8_t *d = dst + (size_t)dy * dstride;

		if (dy < ylo) {
			r0 = r1 = 0;
			c0 = 256;
			c1 = 0;
		} else if (dy >= yhi) {
			r0 = r1 = sh - 1;
			c0 = 256;
			c1 = 0;
		} else {
			r0 = yofs[dy];
			r1 = r0 + 1;
		}
		for (k = 0; k < 2; k++) {
			const uint8_t *s = src + (size_t)(k ? r1 : r0) * sstride;
			uint16_t *D = L[k];

			for (dx = 0; dx < xlo && dx < dw; dx++)
				D[dx] = (uint16_t)(s[0] << 8);
			for (; dx < xhi; dx++) {
				uint32_t a = (uint32_t)xm[2 * dx] * s[xofs[dx]];
				uint32_t b = (uint32_t)xm[2 * dx + 1] * s[xofs[dx] + 1];
				uint32_t t;

				a = a > 0xffff ? 0xffff : a;
				b = b > 0xffff ? 0xffff : b;
				t = a + b;
				D[dx] = (uint16_t)(t > 0xffff ? 0xffff : t);
			}
			for (; dx < dw; dx++)
				D[dx] = (uint16_t)(s[xofs[dw - 1]] << 8);
		}
		for (dx = 0; dx < dw; dx++) {
			uint64_t v = (uint64_t)L0[dx] * c0 + (uint64_t)L1[dx] * c1;
			uint64_t q = (v + (1u << 15)) >> 16;

			d[dx] = (uint8_t)(q > 255 ? 255 : q);
		}
	}
}

/* ------------------------------------------------------------ integrals */

/* sum and squared sum, (h+1) x (w+1) with a zero first row and column,
 * 32-bit wrapping as OpenCV's CV_32S integrals. */
static void integrals(const uint8_t *img, int w, int h, int istride, uint32_t *sum,
		      uint32_t *sq, int stride)
{
	int x, y;

	memset(sum, 0, sizeof *sum * (size_t)(w + 1));
	if (sq)
		memset(sq, 0, sizeof *sq * (size_t)(w + 1));
	for (y = 0; y < h; y++) {
		const uint8_t *p = img + (size_t)y * istride;
		uint32_t *s = sum + (size_t)(y + 1) * stride, *s0 = s - stride;
		uint32_t acc = 0;

		s[0] = 0;
		for (x = 0; x < w; x++) {
			acc += p[x];
			s[x + 1] = s0[x + 1] + acc;
		}
		if (sq) {
			uint32_t *q = sq + (size_t)(y + 1) * stride, *q0 = q - stride;

			acc = 0;
			q[0] = 0;
			for (x = 0; x < w; x++) {
				acc += (uint32_t)p[x] * p[x];
				q[x + 1] = q0[x + 1] + acc;
			}
		}
	}
}

/* OpenCV's 45-degree integral: T(Y, X) = sum of I(r, c) over r < Y and
 * |c - (X - 1)| <= Y - 1 - r, for 0 <= X <= w.  With P(r, k) the sum of
 * row r's first k pixels (k clamped to [0, w]),
 *	T(Y, X) = sum_{r<Y} P(r, X + Y - r) - P(r, X - Y + r),
 * so two diagonal accumulators A[k] = sum_r P(r, k - r) (k in [0, w+h]) and
 * B[m] = sum_r P(r, m + r) (m in [-h, w]) give every row. */
static void tilted_integral(struct work *wk, const uint8_t *img, int w, int h, int istride,
			    uint32_t *t, int stride)
{
	int32_t *A = wk->ta, *B = wk->tb;	/* B indexed m + h */
	uint32_t *P = wk->rowp;
	int x, y, k;

	memset(t, 0, sizeof *t * (size_t)(w + 1));
	memset(A, 0, sizeof *A * (size_t)(w + h + 2));
	memset(B, 0, sizeof *B * (size_t)(w + h + 2));
	for (y = 0; y < h; y++) {
		const uint8_t *p = img + (size_t)y * istride;
		uint32_t *row = t + (size_t)(y + 1) * stride;
		int Y = y + 1;

		P[0] = 0;
		for (x = 0; x < w; x++)
			P[x + 1] = P[x] + p[x];
		/* add row r = y: A[k] += P(y, k - y), B[m] += P(y, m + y) */
		for (k = 0; k <= w + h; k++) {
			int j = k - y;

			A[k] += (int32_t)P[j < 0 ? 0 : j > w ? w : j];
		}
		for (k = 0; k <= w + h; k++) {
			int j = k - h + y;

			B[k] += (int32_t)P[j < 0 ? 0 : j > w ? w : j];
		}
		for (x = 0; x <= w; x++)
			row[x] = (uint32_t)A[x + Y - 1] - (uint32_t)B[x - Y + h];
	}
}

/* ------------------------------------------------------------- detection */

/* A HAAR stump with its feature's offsets (for the current stride). */
struct hstump {
	int o[3][4];
	float w[3];
	int nr;
	float thr, left, right;
};

struct hfeat {
	int o[3][4];
	float w[3];
	int nr;
};

struct lfeat {
	int o[16];
};

struct rects {
	struct arpg_rect *r;
	int n, cap;
};

static int push_rect(struct rects *v, int x, int y, int w, int h)
{
	if (v->n == v->cap) {
		int cap = v->cap ? v->cap * 2 : 256;
		struct arpg_rect *q = realloc(v->r, sizeof *q * (size_t)cap);

		if (!q)
			return ARPG_ENOMEM;
		v->r = q;
		v->cap = cap;
	}
	v->r[v->n].x = x;
	v->r[v->n].y = y;
	v->r[v->n].w = w;
	v->r[v->n].h = h;
	v->n++;
	return 0;
}

#define SUM4(p, o) ((int32_t)((p)[(o)[0]] - (p)[(o)[1]] - (p)[(o)[2]] + (p)[(o)[3]]))

static void sum_ofs(int o[4], int tofs, int x, int y, int w, int h, int step)
{
	o[0] = tofs + x + step * y;
	o[1] = tofs + x + w + step * y;
	o[2] = tofs + x + step * (y + h);
	o[3] = tofs + x + w + step * (y + h);
}

static void tilted_ofs(int o[4], int tofs, int x, int y, int w, int h, int step)
{
	o[0] = tofs + x + step * y;
	o[1] = tofs + x - h + step * (y + h);
	o[2] = tofs + x + w + step * (y + w);
	o[3] = tofs + x + w - h + step * (y + w + h);
}

static inline float haar_value(const uint32_t *p, const int o[3][4], const float w[3], int nr)
{
	float v = w[0] * (float)SUM4(p, o[0]) + w[1] * (float)SUM4(p, o[1]);

	if (nr > 2)
		v += w[2] * (float)SUM4(p, o[2]);
	return v;
}

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
	const struct hstump *hs;	/* HAAR stumps, or NULL */
	const struct hfeat *hf;		/* HAAR features (trees) */
	const struct lfeat *lf;		/* LBP features */
	int nofs[4];
	size_t sqofs;
	double area;
};

/* HAAR stump stages si0.. of the window at p (normalisation factor vnf). */
static int haar_stumps_from(const struct eval *e, const uint32_t *p, float vnf, int si0)
{
	const struct arpg_cascade *c = e->c;
	const struct hstump *s = e->hs + c->stages[si0 < c->nstages ? si0 : 0].first_tree;
	int si, i;

	for (si = si0; si < c->nstages; si++) {
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

/* One window at p (top-left of the window in the sum plane).  Returns 1
 * when every stage passes, -stage when a stage rejects it, -1 when a HAAR
 * window is too flat to normalise (OpenCV's setWindow failing). */
static int run_at(const struct eval *e, const uint32_t *p)
{
	const struct arpg_cascade *c = e->c;
	float vnf = 1.f;
	int si, i;

	if (c->type == FEAT_HAAR) {
		const uint32_t *q = p + e->sqofs;
		int valsum = SUM4(p, e->nofs);
		unsigned valsq = (unsigned)SUM4(q, e->nofs);
		double nf = e->area * valsq - (double)valsum * valsum;

		if (!(nf > 0.))
			return -1;
		nf = sqrt(nf);
		vnf = (float)(1. / nf);
		if (!(e->area * vnf < 1e-1))
			return -1;
	}
	if (c->stumps && c->type == FEAT_HAAR)
		return haar_stumps_from(e, p, vnf, 0);
	if (c->stumps) {	/* LBP */
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

/* OpenCV's partition() with SimilarRects(eps), then groupRectangles. */
static int similar(const struct arpg_rect *a, const struct arpg_rect *b, double eps)
{
	int mw = a->w < b->w ? a->w : b->w, mh = a->h < b->h ? a->h : b->h;
	double delta = eps * (mw + mh) * 0.5;

	return abs(a->x - b->x) <= delta && abs(a->y - b->y) <= delta &&
	       abs(a->x + a->w - b->x - b->w) <= delta && abs(a->y + a->h - b->y - b->h) <= delta;
}

static int find_root(int *parent, int i)
{
	int r = i;

	while (parent[r] >= 0)
		r = parent[r];
	while (parent[i] >= 0) {
		int p = parent[i];

		parent[i] = r;
		i = p;
	}
	return r;
}

static int group_rects(struct rects *v, int threshold, double eps)
{
	int n = v->n, i, j, ncls = 0, kept = 0;
	int *parent = NULL, *label = NULL, *cnt = NULL;
	long long *acc = NULL;
	struct arpg_rect *avg = NULL;
	int rc = 0;

	if (threshold <= 0 || n == 0)
		return 0;
	parent = malloc(sizeof *parent * (size_t)n);
	label = malloc(sizeof *label * (size_t)n);
	cnt = calloc((size_t)n, sizeof *cnt);
	acc = calloc((size_t)n * 4, sizeof *acc);
	avg = malloc(sizeof *avg * (size_t)n);
	if (!parent || !label || !cnt || !acc || !avg) {
		rc = ARPG_ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		parent[i] = -1;
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (similar(&v->r[i], &v->r[j], eps)) {
				int a = find_root(parent, i), b = find_root(parent, j);

				if (a != b)
					parent[b] = a;
			}
	/* Classes numbered by first appearance, as partition() does. */
	for (i = 0; i < n; i++)
		label[i] = -1;
	for (i = 0; i < n; i++) {
		int r = find_root(parent, i);

		if (label[r] < 0)
			label[r] = ncls++;
		label[i] = label[r];
	}
	for (i = 0; i < n; i++) {
		int k = label[i];

		acc[4 * k] += v->r[i].x;
		acc[4 * k + 1] += v->r[i].y;
		acc[4 * k + 2] += v->r[i].w;
		acc[4 * k + 3] += v->r[i].h;
		cnt[k]++;
	}
	for (i = 0; i < ncls; i++) {
		/* int * float in float, rounded half to even (saturate_cast). */
		float s = 1.f / (float)cnt[i];

		avg[i].x = round_f((float)(int)acc[4 * i] * s);
		avg[i].y = round_f((float)(int)acc[4 * i + 1] * s);
		avg[i].w = round_f((float)(int)acc[4 * i + 2] * s);
		avg[i].h = round_f((float)(int)acc[4 * i + 3] * s);
	}
	for (i = 0; i < ncls; i++) {
		const struct arpg_rect *r1 = &avg[i];
		int n1 = cnt[i];

		if (n1 <= threshold)
			continue;
		for (j = 0; j < ncls; j++) {
			const struct arpg_rect *r2 = &avg[j];
			int n2 = cnt[j], dx, dy;

			if (j == i || n2 <= threshold)
				continue;
			dx = (int)lrint(r2->w * eps);
			dy = (int)lrint(r2->h * eps);
			if (r1->x >= r2->x - dx && r1->y >= r2->y - dy &&
			    r1->x + r1->w <= r2->x + r2->w + dx &&
			    r1->y + r1->h <= r2->y + r2->h + dy && (n2 > (n1 > 3 ? n1 : 3) || n1 < 3))
				break;
		}
		if (j == ncls)
			v->r[kept++] = *r1;
	}
	v->n = kept;
out:
	free(parent);
	free(label);
	free(cnt);
	free(acc);
	free(avg);
	return rc;
}

/* The first stage's sums over the n windows of a row, windows step apart
 * (a constant at each call, so that the loads over j are strided by a
 * known amount and the loops vectorise). */
static inline __attribute__((always_inline)) VECTORISE void
stage0_row(const struct hstump *hs, int ntrees, const uint32_t *row, const float *vnf,
	   double *acc, int n, const int step)
{
	int j, k;

	for (k = 0; k < ntrees; k++) {
		const struct hstump *s = &hs[k];
		const int *o0 = s->o[0], *o1 = s->o[1], *o2 = s->o[2];
		const float w0 = s->w[0], w1 = s->w[1], w2 = s->w[2], thr = s->thr;
		const double l = s->left, r = s->right;

		if (s->nr > 2) {
			for (j = 0; j < n; j++) {
				const uint32_t *p = row + (size_t)j * step;
				float v = w0 * (float)SUM4(p, o0) + w1 * (float)SUM4(p, o1);

				v += w2 * (float)SUM4(p, o2);
				v *= vnf[j];
				acc[j] += v < thr ? l : r;
			}
		} else {
			for (j = 0; j < n; j++) {
				const uint32_t *p = row + (size_t)j * step;
				float v = w0 * (float)SUM4(p, o0) + w1 * (float)SUM4(p, o1);

				v *= vnf[j];
				acc[j] += v < thr ? l : r;
			}
		}
	}
}

/* One later stage's sums over nl windows at row + ofs[k]: the same
 * additions in the same order as haar_stumps_from, lanes across windows
 * (loads are gathers). */
static inline __attribute__((always_inline)) VECTORISE void
later_stage(const struct hstump *hs, int ntrees, const uint32_t *row, const int *ofs,
	    const float *vnf, double *acc, int nl)
{
	int k, t;

	for (k = 0; k < nl; k++)
		acc[k] = 0;
	for (t = 0; t < ntrees; t++) {
		const struct hstump *s = &hs[t];
		const int *o0 = s->o[0], *o1 = s->o[1], *o2 = s->o[2];
		const float w0 = s->w[0], w1 = s->w[1], w2 = s->w[2], thr = s->thr;
		const double l = s->left, r = s->right;

		if (s->nr > 2) {
			for (k = 0; k < nl; k++) {
				const uint32_t *p = row + ofs[k];
				float v = w0 * (float)SUM4(p, o0) + w1 * (float)SUM4(p, o1);

				v += w2 * (float)SUM4(p, o2);
				v *= vnf[k];
				acc[k] += v < thr ? l : r;
			}
		} else {
			for (k = 0; k < nl; k++) {
				const uint32_t *p = row + ofs[k];
				float v = w0 * (float)SUM4(p, o0) + w1 * (float)SUM4(p, o1);

				v *= vnf[k];
				acc[k] += v < thr ? l : r;
			}
		}
	}
}

/* The windows of row y at x = lane[k] that passed every stage, as
 * candidates at the scale's size. */
static int push_row(struct rects *cand, const int *lane, int nl, int y, float sc, int ww, int wh)
{
	int k, rc;

	for (k = 0; k < nl; k++)
		if ((rc = push_rect(cand, round_f((float)lane[k] * sc), round_f((float)y * sc), ww,
				    wh)) < 0)
			return rc;
	return 0;
}

/* The window loop of one scale for HAAR stump cascades.  Row by row, the
 * normalisation and the first stage are computed for every window position
 * (stump by stump over the row: the stump's data stays in registers, the
 * loads stream, and no branch waits on the stage's outcome); then a walk
 * along the row applies OpenCV's order exactly: a flat window (-1) is
 * dropped, one the first stage rejects (0) skips its neighbour, the others
 * go on.  Only the first stage's outcome decides a skip, so the windows
 * that go on are independent: each later stage runs over all of them at
 * once, stump by stump (later_stage), and keeps those that pass.  The sums
 * are the same additions in the same order as in run_at, so the result is
 * too; positions that the walk skips are computed and thrown away (about
 * 20% more first-stage work on faces with the frontal default cascade). */
static VECTORISE int haar_rows(const struct eval *e, struct work *wk, struct rects *cand,
			       int xend, int yend, int ystep, float sc, int ww, int wh)
{
	const struct arpg_cascade *c = e->c;
	const struct stage *st0 = &c->stages[0];
	const struct hstump *hs = e->hs;
	float *vnf = wk->vnf;
	double *acc = wk->acc;
	int *lane = wk->lane;
	int n = (xend + ystep - 1) / ystep, y, j, k, m, nl, si, rc;

	for (y = 0; y < yend; y += ystep) {
		const uint32_t *row = wk->buf + (size_t)y * wk->stride;

		for (j = 0; j < n; j++) {
			const uint32_t *p = row + (size_t)j * ystep, *q = p + e->sqofs;
			int valsum = SUM4(p, e->nofs);
			unsigned valsq = (unsigned)SUM4(q, e->nofs);
			double nf = e->area * valsq - (double)valsum * valsum;
			float f = 0.f;

			if (nf > 0.) {
				f = (float)(1. / sqrt(nf));
				if (!(e->area * f < 1e-1))
					f = 0.f;
			}
			vnf[j] = f;	/* 0: the window is refused (-1) */
			acc[j] = 0;
		}
		if (ystep == 2)
			stage0_row(hs + st0->first_tree, st0->ntrees, row, vnf, acc, n, 2);
		else
			stage0_row(hs + st0->first_tree, st0->ntrees, row, vnf, acc, n, 1);
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

			later_stage(hs + st->first_tree, st->ntrees, row, lane, vnf, acc, nl);
			for (k = 0, m = 0; k < nl; k++)
				if (!(acc[k] < st->threshold)) {
					lane[m] = lane[k];
					vnf[m++] = vnf[k];
				}
			nl = m;
		}
		if ((rc = push_row(cand, lane, nl, y, sc, ww, wh)) < 0)
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
static int lbp_rows(const struct eval *e, struct work *wk, struct rects *cand, int xend,
		    int yend, int ystep, float sc, int ww, int wh)
{
	const struct arpg_cascade *c = e->c;
	double *acc = wk->acc;
	int *lane = wk->lane;
	int n = (xend + ystep - 1) / ystep, y, j, k, m, nl, si, rc;

	for (y = 0; y < yend; y += ystep) {
		const uint32_t *row = wk->buf + (size_t)y * wk->stride;

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
		if ((rc = push_row(cand, lane, nl, y, sc, ww, wh)) < 0)
			return rc;
	}
	return 0;
}

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

int arpg_cascade_detect(const struct arpg_cascade *c, const uint8_t *grey, int w, int h,
			int stride, const struct arpg_cascade_params *p, struct arpg_rect **out)
{
	double scale_factor;
	int min_neighbors, min_size, max_size;
	struct work wk = { 0 };
	struct eval e = { 0 };
	struct rects cand = { 0 };
	struct hstump *hs = NULL;
	struct hfeat *hf = NULL;
	struct lfeat *lf = NULL;
	float *scales = NULL;
	int nscales = 0, nall = 0, cap = 0, maxw, maxh, i, rc = 0;
	int sw0, sh0, rows;
	double factor;

	*out = NULL;
	if (!c || !grey || w <= 0 || h <= 0 || stride < w || arpg_cascade_params_check(p) < 0)
		return ARPG_EINVAL;
	scale_factor = p->scale_factor;
	min_neighbors = p->min_neighbors;
	min_size = p->min_size;
	max_size = p->max_size;
	if (w > 1 << 15 || h > 1 << 15)
		return ARPG_ERANGE;
	maxw = max_size > 0 ? max_size : w;
	maxh = max_size > 0 ? max_size : h;
	if (h < c->winh || w < c->winw)
		goto done;

	/* Every scale whose window fits in the image, then those within
	 * [min, max]; if none, the one closest to min (OpenCV 4.x). */
	for (factor = 1;; factor *= scale_factor) {
		if (lrint(c->winw * factor) > w || lrint(c->winh * factor) > h)
			break;
		if (nall == cap) {
			float *q;

			cap = cap ? cap * 2 : 64;
			q = realloc(scales, sizeof *q * (size_t)cap);
			if (!q) {
				rc = ARPG_ENOMEM;
				goto done;
			}
			scales = q;
		}
		scales[nall++] = (float)factor;
	}
	for (i = 0; i < nall; i++) {
		int ww = round_f((float)c->winw * scales[i]), wh = round_f((float)c->winh * scales[i]);

		if (ww > maxw || wh > maxh)
			break;
		if (ww < min_size || wh < min_size)
			continue;
		scales[nscales++] = scales[i];
	}
	if (nscales == 0 && nall > 0) {
		double best = 0;
		int bi = 0;

		for (i = 0; i < nall; i++) {
			int ww = round_f((float)c->winw * scales[i]);
			int wh = round_f((float)c->winh * scales[i]);
			double d = (double)(min_size - ww) * (min_size - ww) +
				   (double)(min_size - wh) * (min_size - wh);

			if (i == 0 || best > d) {
				best = d;
				bi = i;
			}
		}
		scales[0] = scales[bi];
		nscales = 1;
	}
	if (nscales == 0)
		goto done;

	/* Buffers for the largest scale (sizes only shrink after it). */
	sw0 = round_f((float)w / scales[0]);
	sh0 = round_f((float)h / scales[0]);
	for (i = 1; i < nscales; i++) {
		int a = round_f((float)w / scales[i]), b = round_f((float)h / scales[i]);

		sw0 = a > sw0 ? a : sw0;
		sh0 = b > sh0 ? b : sh0;
	}
	wk.stride = sw0 + 1;
	rows = sh0 + 1;
	wk.plane = (size_t)wk.stride * rows;
	wk.iw = sw0;
	wk.img = malloc((size_t)sw0 * sh0);
	wk.buf = malloc(sizeof *wk.buf * wk.plane * (c->type == FEAT_HAAR ? (c->tilted ? 3 : 2) : 1));
	wk.hrow[0] = malloc(sizeof(uint16_t) * (size_t)sw0);
	wk.hrow[1] = malloc(sizeof(uint16_t) * (size_t)sw0);
	wk.xofs = malloc(sizeof(int) * (size_t)sw0);
	wk.xm = malloc(sizeof(uint16_t) * 2 * (size_t)sw0);
	wk.yofs = malloc(sizeof(int) * (size_t)sh0);
	wk.vnf = malloc(sizeof(float) * (size_t)(sw0 + 1));
	wk.acc = malloc(sizeof(double) * (size_t)(sw0 + 1));
	wk.lane = malloc(sizeof(int) * (size_t)(sw0 + 1));
	wk.ym = malloc(sizeof(uint16_t) * 2 * (size_t)sh0);
	if (!wk.img || !wk.buf || !wk.hrow[0] || !wk.hrow[1] || !wk.xofs || !wk.xm || !wk.yofs || !wk.ym || !wk.vnf || !wk.acc || !wk.lane) {
		rc = ARPG_ENOMEM;
		goto done;
	}
	if (c->tilted) {
		wk.ta = malloc(sizeof(int32_t) * (size_t)(sw0 + sh0 + 2));
		wk.tb = malloc(sizeof(int32_t) * (size_t)(sw0 + sh0 + 2));
		wk.rowp = malloc(sizeof(uint32_t) * (size_t)(sw0 + 1));
		if (!wk.ta || !wk.tb || !wk.rowp) {
			rc = ARPG_ENOMEM;
			goto done;
		}
	}

	/* Feature offsets for this stride. */
	e.c = c;
	e.sqofs = wk.plane;
	e.area = (double)(c->winw - 2) * (c->winh - 2);
	sum_ofs(e.nofs, 0, 1, 1, c->winw - 2, c->winh - 2, wk.stride);
	if (c->type == FEAT_HAAR) {
		int tofs = (int)(2 * wk.plane);

		if (wk.plane * 3 > INT_MAX) {
			rc = ARPG_ERANGE;
			goto done;
		}
		hf = malloc(sizeof *hf * (size_t)c->nfeatures);
		if (!hf) {
			rc = ARPG_ENOMEM;
			goto done;
		}
		for (i = 0; i < c->nfeatures; i++) {
			const struct haar_feature *f = &c->haar[i];
			int k;

			memset(&hf[i], 0, sizeof hf[i]);
			hf[i].nr = f->r[2].weight != 0.f ? 3 : 2;
			for (k = 0; k < 3; k++) {
				const struct haar_rect *r = &f->r[k];

				hf[i].w[k] = r->weight;
				if (f->tilted)
					tilted_ofs(hf[i].o[k], tofs, r->x, r->y, r->w, r->h, wk.stride);
				else
					sum_ofs(hf[i].o[k], 0, r->x, r->y, r->w, r->h, wk.stride);
			}
		}
		if (c->stumps) {
			hs = malloc(sizeof *hs * (size_t)c->ntrees);
			if (!hs) {
				rc = ARPG_ENOMEM;
				goto done;
			}
			for (i = 0; i < c->ntrees; i++) {
				const struct node *n = &c->nodes[c->trees[i].first_node];

				memcpy(hs[i].o, hf[n->feature].o, sizeof hs[i].o);
				memcpy(hs[i].w, hf[n->feature].w, sizeof hs[i].w);
				hs[i].nr = hf[n->feature].nr;
				hs[i].thr = n->threshold;
				hs[i].left = c->leaves[c->trees[i].first_leaf];
				hs[i].right = c->leaves[c->trees[i].first_leaf + 1];
			}
		}
	} else {
		lf = malloc(sizeof *lf * (size_t)c->nfeatures);
		if (!lf) {
			rc = ARPG_ENOMEM;
			goto done;
		}
		for (i = 0; i < c->nfeatures; i++) {
			const struct lbp_feature *f = &c->lbp[i];
			int *o = lf[i].o, s = wk.stride;

			{
				int a[4];

				sum_ofs(a, 0, f->x, f->y, f->w, f->h, s);
				o[0] = a[0]; o[1] = a[1]; o[4] = a[2]; o[5] = a[3];
				sum_ofs(a, 0, f->x + 2 * f->w, f->y, f->w, f->h, s);
				o[2] = a[0]; o[3] = a[1]; o[6] = a[2]; o[7] = a[3];
				sum_ofs(a, 0, f->x + 2 * f->w, f->y + 2 * f->h, f->w, f->h, s);
				o[10] = a[0]; o[11] = a[1]; o[14] = a[2]; o[15] = a[3];
				sum_ofs(a, 0, f->x, f->y + 2 * f->h, f->w, f->h, s);
				o[8] = a[0]; o[9] = a[1]; o[12] = a[2]; o[13] = a[3];
			}
		}
	}
	e.hs = hs;
	e.hf = hf;
	e.lf = lf;

	for (i = 0; i < nscales; i++) {
		float sc = scales[i];
		int dw = round_f((float)w / sc), dh = round_f((float)h / sc);
		int ystep = sc >= 2 ? 1 : 2;
		int ww = round_f((float)c->winw * sc), wh = round_f((float)c->winh * sc);
		/* working size: szi - window, szi = resized size + 1 */
		int xend = dw + 1 - c->winw, yend = dh + 1 - c->winh, x, y;

		if (dw < 1 || dh < 1)
			continue;
		resize_linear_exact(&wk, grey, w, h, stride, wk.img, dw, dh, wk.iw);
		integrals(wk.img, dw, dh, wk.iw, wk.buf, c->type == FEAT_HAAR ? wk.buf + wk.plane : NULL,
			  wk.stride);
		if (c->tilted)
			tilted_integral(&wk, wk.img, dw, dh, wk.iw, wk.buf + 2 * wk.plane, wk.stride);
		/* OpenCV's setWindow also refuses x + win >= szi, which the
		 * loop bounds (x < szi - win) never reach. */
		if (c->type == FEAT_HAAR && c->stumps) {
			if ((rc = haar_rows(&e, &wk, &cand, xend, yend, ystep, sc, ww, wh)) < 0)
				goto done;
			continue;
		}
		if (c->type == FEAT_LBP && c->stumps) {
			if ((rc = lbp_rows(&e, &wk, &cand, xend, yend, ystep, sc, ww, wh)) < 0)
				goto done;
			continue;
		}
		for (y = 0; y < yend; y += ystep) {
			const uint32_t *row = wk.buf + (size_t)y * wk.stride;

			for (x = 0; x < xend; x += ystep) {
				int res = run_at(&e, row + x);

				if (res > 0 && (rc = push_rect(&cand, round_f((float)x * sc),
							      round_f((float)y * sc), ww, wh)) < 0)
					goto done;
				if (res == 0)
					x += ystep;
			}
		}
	}

	if ((rc = group_rects(&cand, min_neighbors, 0.2)) < 0)
		goto done;
	/* clipObjects: intersect with the image, drop empty ones. */
	{
		int k = 0;

		for (i = 0; i < cand.n; i++) {
			struct arpg_rect r = cand.r[i];
			int x0 = r.x > 0 ? r.x : 0, y0 = r.y > 0 ? r.y : 0;
			int x1 = r.x + r.w < w ? r.x + r.w : w, y1 = r.y + r.h < h ? r.y + r.h : h;

			if (x1 > x0 && y1 > y0) {
				cand.r[k].x = x0;
				cand.r[k].y = y0;
				cand.r[k].w = x1 - x0;
				cand.r[k].h = y1 - y0;
				k++;
			}
		}
		cand.n = k;
	}
done:
	free(scales);
	free(wk.img);
	free(wk.buf);
	free(wk.hrow[0]);
	free(wk.hrow[1]);
	free(wk.xofs);
	free(wk.xm);
	free(wk.yofs);
	free(wk.vnf);
	free(wk.acc);
	free(wk.lane);
	free(wk.ym);
	free(wk.ta);
	free(wk.tb);
	free(wk.rowp);
	free(hs);
	free(hf);
	free(lf);
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
