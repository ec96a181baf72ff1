/* cascade_xml.c - an OpenCV cascade from its XML file (the opencv_storage
 * format of CascadeClassifier::read), through libxml2.
 *
 * The first element under the root is the cascade: stageType BOOST,
 * featureType HAAR or LBP, the window size, maxCatCount, stages of weak
 * trees, features.  Every index the detector follows (feature numbers,
 * tree children, leaves, rectangles inside the window) is checked here, so
 * that detection needs no checks per window (cascade_impl.h says what is
 * guaranteed).
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

#include "cascade_impl.h"
#include "error.h"
#include "grow.h"
#include "fileio.h"

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

/* The cascade as a growing set of arrays while it is read. */
struct reader {
	struct arpg_cascade *c;
	size_t cap_trees, cap_nodes, cap_leaves, cap_subsets;
	char *err;
	size_t errn;
};

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
	if ((rc = ARPG_GROW(c->trees, &r->cap_trees, (size_t)c->ntrees + 1)) < 0 ||
	    (rc = ARPG_GROW(c->nodes, &r->cap_nodes, (size_t)c->nnodes + nn)) < 0 ||
	    (rc = ARPG_GROW(c->leaves, &r->cap_leaves, (size_t)c->nleaves + nlv)) < 0 ||
	    (c->subset_size && (rc = ARPG_GROW(c->subsets, &r->cap_subsets,
					       (size_t)(c->nnodes + nn) * c->subset_size)) < 0))
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

/* The cascade: the first element under <opencv_storage>, in the current
 * format (not the old opencv-haar-classifier one). */
static int find_cascade(struct reader *r, xmlNode *root, xmlNode **out)
{
	xmlNode *cas;
	char *tid;

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
	*out = cas;
	return 0;
}

/* stageType (BOOST) and featureType (HAAR or LBP, into c->type). */
static int read_types(struct reader *r, xmlNode *cas)
{
	struct arpg_cascade *c = r->c;
	char *stype = text_of(child(cas, "stageType"));
	char *ftype = text_of(child(cas, "featureType"));
	int rc = 0;

	if (!stype || !ftype)
		rc = ARPG_ENOMEM;
	else if (strcmp(stype, "BOOST"))
		rc = arpg_errf(r->err, r->errn, ARPG_EUNSUPPORTED,
			       "stageType \"%.40s\" is not supported (only BOOST)", stype);
	else if (!strcmp(ftype, "HAAR"))
		c->type = FEAT_HAAR;
	else if (!strcmp(ftype, "LBP"))
		c->type = FEAT_LBP;
	else
		rc = arpg_errf(r->err, r->errn, ARPG_EUNSUPPORTED,
			       "featureType \"%.40s\" is not supported (HAAR and LBP are)", ftype);
	xmlFree(stype);
	xmlFree(ftype);
	return rc;
}

/* The window size and maxCatCount (256 for LBP, none for HAAR), which
 * fixes the size of a node's subset masks. */
static int read_window(struct reader *r, xmlNode *cas)
{
	struct arpg_cascade *c = r->c;
	xmlNode *fp;
	int rc;

	if ((rc = read_int(cas, "width", &c->winw, 1, r)) < 0 ||
	    (rc = read_int(cas, "height", &c->winh, 1, r)) < 0)
		return rc;
	if (c->winw < 1 || c->winh < 1 || c->winw > 4096 || c->winh > 4096)
		return arpg_errf(r->err, r->errn, ARPG_EFORMAT, "window size %dx%d out of range",
				 c->winw, c->winh);
	fp = child(cas, "featureParams");
	if (!fp)
		return arpg_errf(r->err, r->errn, ARPG_EFORMAT, "no <featureParams> in the cascade");
	c->ncategories = 0;
	if ((rc = read_int(fp, "maxCatCount", &c->ncategories, 0, r)) < 0)
		return rc;
	if (c->type == FEAT_LBP && c->ncategories != 256)
		return arpg_errf(r->err, r->errn,
				 c->ncategories < 0 ? ARPG_EFORMAT : ARPG_EUNSUPPORTED,
				 "an LBP cascade with maxCatCount %d (256 expected)", c->ncategories);
	if (c->type == FEAT_HAAR && c->ncategories != 0)
		return arpg_errf(r->err, r->errn,
				 c->ncategories < 0 ? ARPG_EFORMAT : ARPG_EUNSUPPORTED,
				 "a HAAR cascade with categorical features (maxCatCount %d)",
				 c->ncategories);
	c->subset_size = (c->ncategories + 31) / 32;
	return 0;
}

/* <stages>: each a stageThreshold and weak trees (read_tree). */
static int read_stages(struct reader *r, xmlNode *cas)
{
	struct arpg_cascade *c = r->c;
	xmlNode *st = child(cas, "stages"), *s, *w;
	int nodestep = 3 + (c->ncategories > 0 ? c->subset_size : 1);
	int rc, si, wi, maxnodes = 0;

	c->nstages = count_elems(st);
	if (c->nstages < 1)
		return arpg_errf(r->err, r->errn, ARPG_EFORMAT, "the cascade has no stages");
	c->stages = calloc((size_t)c->nstages, sizeof *c->stages);
	if (!c->stages)
		return ARPG_ENOMEM;
	for (si = 0, s = first_elem(st->children); s; s = first_elem(s->next), si++) {
		xmlNode *wc = child(s, "weakClassifiers"), *th = child(s, "stageThreshold");
		double t;
		int more;

		if (!wc || !th || read_numbers(th, &t, 1, &more) != 1)
			return arpg_errf(r->err, r->errn, ARPG_EFORMAT,
					 "stage %d (line %d): no weakClassifiers or stageThreshold",
					 si, (int)xmlGetLineNo(s));
		c->stages[si].threshold = (float)t - 1e-5f;
		c->stages[si].first_tree = c->ntrees;
		for (wi = 0, w = first_elem(wc->children); w; w = first_elem(w->next), wi++)
			if ((rc = read_tree(r, w, nodestep, si, wi)) < 0)
				return rc;
		c->stages[si].ntrees = wi;
		if (wi == 0)
			return arpg_errf(r->err, r->errn, ARPG_EFORMAT,
					 "stage %d (line %d): no weak classifiers", si,
					 (int)xmlGetLineNo(s));
	}
	for (wi = 0; wi < c->ntrees; wi++)
		if (c->trees[wi].nnodes > maxnodes)
			maxnodes = c->trees[wi].nnodes;
	c->stumps = maxnodes == 1;
	return 0;
}

/* <features>, HAAR or LBP as c->type says; then every node's feature index
 * is checked against their number. */
static int read_features(struct reader *r, xmlNode *cas)
{
	struct arpg_cascade *c = r->c;
	xmlNode *fe = child(cas, "features"), *f;
	int rc, fi, i;

	if (!fe || (c->nfeatures = count_elems(fe)) < 1)
		return arpg_errf(r->err, r->errn, ARPG_EFORMAT, "the cascade has no <features>");
	if (c->type == FEAT_HAAR)
		c->haar = calloc((size_t)c->nfeatures, sizeof *c->haar);
	else
		c->lbp = calloc((size_t)c->nfeatures, sizeof *c->lbp);
	if (!c->haar && !c->lbp)
		return ARPG_ENOMEM;
	for (fi = 0, f = first_elem(fe->children); f; f = first_elem(f->next), fi++) {
		rc = c->type == FEAT_HAAR ? read_haar_feature(r, f, &c->haar[fi], fi)
					  : read_lbp_feature(r, f, &c->lbp[fi], fi);
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < c->nnodes; i++)
		if (c->nodes[i].feature >= c->nfeatures)
			return arpg_errf(r->err, r->errn, ARPG_EFORMAT,
					 "a tree node uses feature %d of %d", c->nodes[i].feature,
					 c->nfeatures);
	return 0;
}

static int read_cascade(struct reader *r, xmlNode *root)
{
	xmlNode *cas = NULL;
	int rc;

	if ((rc = find_cascade(r, root, &cas)) < 0 || (rc = read_types(r, cas)) < 0 ||
	    (rc = read_window(r, cas)) < 0 || (rc = read_stages(r, cas)) < 0 ||
	    (rc = read_features(r, cas)) < 0)
		return rc;
	return 0;
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
