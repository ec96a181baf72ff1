/* shape.c - dlib's shape_predictor (ensemble of regression trees), read from
 * its serialized form and run as dlib's shape_predictor::operator() does.
 *
 * The serialized form (dlib/serialize.h, image_processing/shape_predictor.h):
 *   int version (1)
 *   matrix<float,0,1> initial_shape      2P values x0 y0 x1 y1 ...
 *   vector<vector<regression_tree>> forests   C cascades of T trees
 *   vector<vector<unsigned long>> anchor_idx  per cascade, per feature pixel
 *   vector<vector<vector<float,2>>> deltas    per cascade, per feature pixel
 * regression_tree = vector<split_feature{ulong idx1, ulong idx2, float thresh}>,
 *                   vector<matrix<float,0,1>> leaf_values.
 * Integers: a control byte (low 4 bits: byte count 1-8, bit 7: negative for
 * signed types), then that many bytes little-endian.  A float is two
 * integers, mantissa (int64) then exponent (int16): mantissa * 2^exponent,
 * exponent 32000/32001/32002 meaning +inf/-inf/nan.  A matrix is rows and
 * columns (negated in the current format), then the values row by row.  A
 * std::vector is its size (unsigned long), then the elements.
 *
 * Prediction follows dlib's arithmetic types so that the nearest-pixel reads
 * land on the same pixels: the shape is float, the similarity transform from
 * the initial to the current shape is computed in double and used as float,
 * the unit-box to image transform is double, pixel coordinates are rounded
 * with floor(v + 0.5).
 */
#include "shape.h"
#include "error.h"
#include "grow.h"
#include "fileio.h"

#include <bzlib.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One split node: feature pixel idx1 minus idx2 against thresh. */
struct sp_split {
	uint32_t idx1, idx2;
	float thresh;
};

struct sp_tree {
	uint32_t nsplit;	/* nsplit + 1 leaves, a power of two */
	size_t split;		/* first split in sp->splits */
	size_t leaf;		/* first leaf value in sp->leaves (2P floats per leaf) */
};

struct sp_cascade {
	size_t tree, ntree;	/* trees [tree, tree + ntree) of sp->trees */
	size_t feat, nfeat;	/* feature pixels [feat, feat + nfeat) of anchor/delta */
};

struct arpg_shape_predictor {
	int P;			/* landmarks */
	float *init;		/* 2P: mean shape in the unit box */
	size_t ncasc;
	struct sp_cascade *casc;
	struct sp_tree *trees;
	struct sp_split *splits;
	float *leaves;
	uint32_t *anchor;	/* per feature pixel: the landmark it hangs on */
	float *delta;		/* per feature pixel: x y offset from it (unit box) */
	size_t max_feat;	/* largest nfeat, for the per-call feature buffer */
	size_t max_tree;	/* largest ntree, for the per-call leaf list */
};

/* ---- reading ---------------------------------------------------------- */

struct rd {
	const uint8_t *start, *p, *end;
	char *err;
	size_t errn;
	int rc;			/* first error, sticky */
};

static int rd_fail(struct rd *r, const char *what)
{
	if (!r->rc)
		r->rc = arpg_errf(r->err, r->errn, ARPG_EFORMAT,
				  "not a dlib shape_predictor: %s", what);
	return r->rc;
}

static int rd_truncated(struct rd *r, const char *what)
{
	if (!r->rc)
		r->rc = arpg_errf(r->err, r->errn, ARPG_EFORMAT,
				  "truncated dlib shape_predictor: ends at byte %zu, in the %s",
				  (size_t)(r->end - r->start), what);
	return r->rc;
}

/* dlib's integer: control byte then 1-8 little-endian bytes. */
static int rd_int(struct rd *r, int is_signed, uint64_t *mag, int *neg, const char *what)
{
	unsigned ctl, n, i;
	uint64_t v = 0;

	*mag = 0;
	*neg = 0;
	if (r->rc)
		return r->rc;
	if (r->p >= r->end)
		return rd_truncated(r, what);
	ctl = *r->p++;
	if (is_signed) {
		*neg = (ctl & 0x80) != 0;
		n = ctl & 0x0F;
	} else {
		*neg = 0;
		n = ctl & 0x8F;
	}
	if (n == 0 || n > 8)
		return rd_fail(r, what);
	if ((size_t)(r->end - r->p) < n)
		return rd_truncated(r, what);
	for (i = n; i-- > 0;)
		v = (v << 8) | r->p[i];
	r->p += n;
	*mag = v;
	return 0;
}

static int rd_ulong(struct rd *r, uint64_t *v, const char *what)
{
	int neg;
	return rd_int(r, 0, v, &neg, what);
}

static int rd_long(struct rd *r, int64_t *v, const char *what)
{
	uint64_t m;
	int neg;

	*v = 0;
	if (rd_int(r, 1, &m, &neg, what))
		return r->rc;
	if (m > (uint64_t)INT64_MAX)
		return rd_fail(r, what);
	*v = neg ? -(int64_t)m : (int64_t)m;
	return 0;
}

static int rd_float(struct rd *r, float *f, const char *what)
{
	int64_t man = 0, ex = 0;

	*f = 0;
	if (r->rc)
		return r->rc;
	/* dlib's older text format for floats sets bits 0x70 of the first byte. */
	if (r->p < r->end && (*r->p & 0x70))
		return rd_fail(r, "old text float format (re-save the model with a current dlib)");
	if (rd_long(r, &man, what) || rd_long(r, &ex, what))
		return r->rc;
	if (ex < -32768 || ex > 32767)
		return rd_fail(r, what);
	if (ex == 32000)
		*f = INFINITY;
	else if (ex == 32001)
		*f = -INFINITY;
	else if (ex > 32001)
		*f = NAN;
	else
		*f = ldexpf((float)man, (int)ex);
	return 0;
}

/* A count of elements each taking at least min_bytes: bounded by what is left. */
static int rd_count(struct rd *r, size_t *n, size_t min_bytes, const char *what)
{
	uint64_t v;

	*n = 0;
	if (rd_ulong(r, &v, what))
		return r->rc;
	if (v > (uint64_t)(r->end - r->p) / min_bytes) {
		if (!r->rc)
			r->rc = arpg_errf(r->err, r->errn, ARPG_EFORMAT,
					  "truncated or not a dlib shape_predictor: %s %llu at byte "
					  "%zu needs more than the %zu bytes left", what,
					  (unsigned long long)v, (size_t)(r->p - r->start),
					  (size_t)(r->end - r->p));
		return r->rc;
	}
	*n = (size_t)v;
	return 0;
}

/* matrix<float,0,1> of exactly want values into out. */
static int rd_fvec(struct rd *r, float *out, size_t want, const char *what)
{
	int64_t nr, nc;
	size_t i, cnt;

	if (rd_long(r, &nr, what) || rd_long(r, &nc, what))
		return r->rc;
	if (nr < 0)
		nr = -nr;
	if (nc < 0)
		nc = -nc;
	if (nc != 1 || (uint64_t)nr != want)
		return rd_fail(r, what);
	cnt = (size_t)nr;
	for (i = 0; i < cnt; i++)
		if (rd_float(r, &out[i], what))
			return r->rc;
	return 0;
}

/* The model's arrays as they grow while it is read: their lengths so far
 * and their capacities. */
struct growth {
	size_t ntree, nsplit, nleaf, nfeat;
	size_t cap_tree, cap_split, cap_leaf, cap_feat;
};

/* initial_shape: a column of 2P floats, 2 <= P <= 100000 (a count checked
 * against the bytes left before it is allocated). */
static int read_initial_shape(struct arpg_shape_predictor *sp, struct rd *r)
{
	const uint8_t *save = r->p;
	int64_t nr, nc;

	if (rd_long(r, &nr, "initial shape") || rd_long(r, &nc, "initial shape"))
		return r->rc;
	if (nr < 0)
		nr = -nr;
	if (nc < 0)
		nc = -nc;
	if (nc != 1 || nr < 4 || nr % 2 || nr > 2 * 100000 ||
	    (uint64_t)nr > (uint64_t)(r->end - r->p) / 4)
		return rd_fail(r, "initial shape size");
	r->p = save;
	sp->P = (int)(nr / 2);
	if (!(sp->init = malloc((size_t)nr * sizeof *sp->init)))
		return ARPG_ENOMEM;
	if (rd_fvec(r, sp->init, (size_t)nr, "initial shape"))
		return r->rc;
	return 0;
}

/* One regression_tree into *tr: its splits (a full binary tree: nsplit + 1
 * leaves, a power of two), then its leaves of 2P floats. */
static int read_tree(struct arpg_shape_predictor *sp, struct rd *r, struct growth *g,
		     struct sp_tree *tr)
{
	size_t n, nleaf, i;
	int rc;

	if (rd_count(r, &n, 8, "split count"))
		return r->rc;
	if (n > 1u << 20 || ((n + 1) & n))
		return rd_fail(r, "tree is not a full binary tree");
	tr->nsplit = (uint32_t)n;
	tr->split = g->nsplit;
	g->nsplit += n;
	if ((rc = ARPG_GROW(sp->splits, &g->cap_split, g->nsplit)))
		return rc;
	for (i = 0; i < n; i++) {
		struct sp_split *s = &sp->splits[tr->split + i];
		uint64_t a, b;

		if (rd_ulong(r, &a, "split") || rd_ulong(r, &b, "split") ||
		    rd_float(r, &s->thresh, "split threshold"))
			return r->rc;
		if (a > UINT32_MAX || b > UINT32_MAX)
			return rd_fail(r, "split feature index");
		s->idx1 = (uint32_t)a;
		s->idx2 = (uint32_t)b;
	}
	if (rd_count(r, &nleaf, 4 + 8 * (size_t)sp->P, "leaf count"))
		return r->rc;
	if (nleaf != n + 1)
		return rd_fail(r, "leaf count is not split count + 1");
	tr->leaf = g->nleaf;
	if (nleaf > (SIZE_MAX / sizeof(float)) / (2 * (size_t)sp->P) - g->nleaf)
		return rd_fail(r, "too many leaves");
	g->nleaf += nleaf * 2 * (size_t)sp->P;
	if ((rc = ARPG_GROW(sp->leaves, &g->cap_leaf, g->nleaf)))
		return rc;
	for (i = 0; i < nleaf; i++) {
		float *dst = sp->leaves + tr->leaf + i * 2 * (size_t)sp->P;

		if (rd_fvec(r, dst, 2 * (size_t)sp->P, "leaf value size differs from the shape's"))
			return r->rc;
	}
	return 0;
}

/* forests: the cascades, each a vector of trees. */
static int read_forests(struct arpg_shape_predictor *sp, struct rd *r, struct growth *g)
{
	size_t c, t;
	int rc;

	if (rd_count(r, &sp->ncasc, 2, "cascade count"))
		return r->rc;
	if (sp->ncasc == 0)
		return rd_fail(r, "no cascades");
	if (!(sp->casc = calloc(sp->ncasc, sizeof *sp->casc)))
		return ARPG_ENOMEM;
	for (c = 0; c < sp->ncasc; c++) {
		struct sp_cascade *k = &sp->casc[c];

		if (rd_count(r, &k->ntree, 4, "tree count"))
			return r->rc;
		k->tree = g->ntree;
		g->ntree += k->ntree;
		if (k->ntree > sp->max_tree)
			sp->max_tree = k->ntree;
		if ((rc = ARPG_GROW(sp->trees, &g->cap_tree, g->ntree)))
			return rc;
		for (t = 0; t < k->ntree; t++)
			if ((rc = read_tree(sp, r, g, &sp->trees[k->tree + t])))
				return rc;
	}
	return 0;
}

/* anchor_idx: per cascade, the landmark each feature pixel hangs on; then
 * every split of the cascade's trees must read feature pixels it has. */
static int read_anchors(struct arpg_shape_predictor *sp, struct rd *r, struct growth *g)
{
	size_t n, c, t, i, j;
	int rc;

	if (rd_count(r, &n, 2, "anchor count"))
		return r->rc;
	if (n != sp->ncasc)
		return rd_fail(r, "anchor cascades differ from forest cascades");
	for (c = 0; c < sp->ncasc; c++) {
		struct sp_cascade *k = &sp->casc[c];

		if (rd_count(r, &k->nfeat, 2, "feature count"))
			return r->rc;
		k->feat = g->nfeat;
		g->nfeat += k->nfeat;
		if (k->nfeat > sp->max_feat)
			sp->max_feat = k->nfeat;
		if ((rc = ARPG_GROW(sp->anchor, &g->cap_feat, g->nfeat)))
			return rc;
		for (i = 0; i < k->nfeat; i++) {
			uint64_t a;

			if (rd_ulong(r, &a, "anchor index"))
				return r->rc;
			if (a >= (uint64_t)sp->P)
				return rd_fail(r, "anchor index out of range");
			sp->anchor[k->feat + i] = (uint32_t)a;
		}
		for (t = 0; t < k->ntree; t++) {
			const struct sp_tree *tr = &sp->trees[k->tree + t];

			for (j = 0; j < tr->nsplit; j++) {
				const struct sp_split *s = &sp->splits[tr->split + j];

				if (s->idx1 >= k->nfeat || s->idx2 >= k->nfeat)
					return rd_fail(r, "split feature index out of range");
			}
		}
	}
	return 0;
}

/* deltas: per cascade, the offset of each feature pixel from its anchor. */
static int read_deltas(struct arpg_shape_predictor *sp, struct rd *r, const struct growth *g)
{
	size_t n, c, i;

	if (rd_count(r, &n, 2, "delta count"))
		return r->rc;
	if (n != sp->ncasc)
		return rd_fail(r, "delta cascades differ from forest cascades");
	if (g->nfeat && !(sp->delta = malloc(2 * g->nfeat * sizeof *sp->delta)))
		return ARPG_ENOMEM;
	for (c = 0; c < sp->ncasc; c++) {
		const struct sp_cascade *k = &sp->casc[c];

		if (rd_count(r, &n, 8, "delta count"))
			return r->rc;
		if (n != k->nfeat)
			return rd_fail(r, "delta count differs from anchor count");
		for (i = 0; i < n; i++)
			if (rd_float(r, &sp->delta[2 * (k->feat + i)], "delta") ||
			    rd_float(r, &sp->delta[2 * (k->feat + i) + 1], "delta"))
				return r->rc;
	}
	return 0;
}

/* The serialized shape_predictor, in the order of the header comment. */
static int parse_model(struct arpg_shape_predictor *sp, struct rd *r)
{
	struct growth g = { 0 };
	int64_t version;
	int rc;

	if (rd_long(r, &version, "version"))
		return r->rc;
	if (version != 1)
		return arpg_errf(r->err, r->errn, ARPG_EFORMAT,
				 "not a dlib shape_predictor: version %lld, expected 1",
				 (long long)version);
	if ((rc = read_initial_shape(sp, r)) || (rc = read_forests(sp, r, &g)) ||
	    (rc = read_anchors(sp, r, &g)) || (rc = read_deltas(sp, r, &g)))
		return rc;
	return 0;
}

/* Decompresses a bzip2 stream into a malloc'd buffer (at most 1 GiB). */
static int bunzip(const void *buf, size_t len, uint8_t **out, size_t *outlen,
		  char *err, size_t errn)
{
	const size_t limit = (size_t)1 << 30;
	bz_stream s;
	uint8_t *o = NULL;
	size_t cap = len * 4 + 4096, used = 0;
	int rc = 0, brc;

	memset(&s, 0, sizeof s);
	if (BZ2_bzDecompressInit(&s, 0, 0) != BZ_OK)
		return ARPG_ENOMEM;
	s.next_in = (char *)(uintptr_t)buf;
	s.avail_in = len > UINT32_MAX ? UINT32_MAX : (unsigned)len;
	for (;;) {
		if (used == cap || !o) {
			uint8_t *no;
			if (o)
				cap *= 2;
			if (cap > limit)
				cap = limit;
			if (used == cap) {
				rc = arpg_errf(err, errn, ARPG_EFORMAT,
					       "bzip2 data expands beyond 1 GiB");
				goto out;
			}
			if (!(no = realloc(o, cap))) {
				rc = ARPG_ENOMEM;
				goto out;
			}
			o = no;
		}
		s.next_out = (char *)(o + used);
		s.avail_out = (unsigned)(cap - used > UINT32_MAX ? UINT32_MAX : cap - used);
		{
			unsigned before = s.avail_out;
			brc = BZ2_bzDecompress(&s);
			used += before - s.avail_out;
		}
		if (brc == BZ_STREAM_END)
			break;
		if (brc != BZ_OK) {
			rc = arpg_errf(err, errn, ARPG_EFORMAT, "bad bzip2 data (%d)", brc);
			goto out;
		}
		if (s.avail_in == 0 && used < cap) {
			rc = arpg_errf(err, errn, ARPG_EFORMAT, "truncated bzip2 data");
			goto out;
		}
	}
	*out = o;
	*outlen = used;
	o = NULL;
out:
	BZ2_bzDecompressEnd(&s);
	free(o);
	return rc;
}

int arpg_shape_parse(struct arpg_shape_predictor **out, const void *buf, size_t len,
		     char *err, size_t errn)
{
	struct arpg_shape_predictor *sp;
	uint8_t *plain = NULL;
	struct rd r;
	int rc;

	*out = NULL;
	if (len >= 3 && !memcmp(buf, "BZh", 3)) {
		size_t plen = 0;
		if ((rc = bunzip(buf, len, &plain, &plen, err, errn)) < 0)
			return rc;
		buf = plain;
		len = plen;
	}
	if (!(sp = calloc(1, sizeof *sp))) {
		free(plain);
		return ARPG_ENOMEM;
	}
	r.start = r.p = buf;
	r.end = r.p + len;
	r.err = err;
	r.errn = errn;
	r.rc = 0;
	rc = parse_model(sp, &r);
	if (!rc && r.p != r.end)
		rc = arpg_errf(err, errn, ARPG_EFORMAT,
			       "not a dlib shape_predictor: %zu bytes after the model",
			       (size_t)(r.end - r.p));
	free(plain);
	if (rc < 0) {
		if (rc == ARPG_ENOMEM)
			arpg_errf(err, errn, rc, "out of memory");
		arpg_shape_free(sp);
		return rc;
	}
	*out = sp;
	return 0;
}

int arpg_shape_load(struct arpg_shape_predictor **sp, const char *path, char *err, size_t errn)
{
	void *buf = NULL;
	size_t len = 0;
	char tmp[512];
	int rc;

	*sp = NULL;
	if ((rc = arpg_read_file(path, 0, &buf, &len)) < 0)
		return arpg_errf(err, errn, rc, "%s: %s", path,
				 rc == ARPG_EIO ? strerror(errno) : arpg_strerror(rc));
	tmp[0] = 0;
	rc = arpg_shape_parse(sp, buf, len, tmp, sizeof tmp);
	free(buf);
	if (rc < 0)
		arpg_errf(err, errn, rc, "%s: %s", path, tmp[0] ? tmp : arpg_strerror(rc));
	return rc;
}

void arpg_shape_free(struct arpg_shape_predictor *sp)
{
	if (!sp)
		return;
	free(sp->init);
	free(sp->casc);
	free(sp->trees);
	free(sp->splits);
	free(sp->leaves);
	free(sp->anchor);
	free(sp->delta);
	free(sp);
}

int arpg_shape_points(const struct arpg_shape_predictor *sp)
{
	return sp->P;
}

/* ---- prediction ------------------------------------------------------- */

/* dlib's find_similarity_transform (Umeyama, no reflection) from the
 * initial shape to the current one, as a float 2x2 (the translation is not
 * needed: feature offsets are relative to a landmark).  For 2-D points the
 * SVD solution reduces to a closed form: with C the cross-covariance,
 * c R = [[p, -q], [q, p]] / sigma_from, p = C00 + C11, q = C10 - C01. */
static void shape_tform(const float *from, const float *to, int P, float m[4])
{
	double mfx = 0, mfy = 0, mtx = 0, mty = 0, sf = 0, c00 = 0, c01 = 0, c10 = 0, c11 = 0;
	double p, q;
	int i;

	for (i = 0; i < P; i++) {
		mfx += from[2 * i];
		mfy += from[2 * i + 1];
		mtx += to[2 * i];
		mty += to[2 * i + 1];
	}
	mfx /= P, mfy /= P, mtx /= P, mty /= P;
	for (i = 0; i < P; i++) {
		double fx = from[2 * i] - mfx, fy = from[2 * i + 1] - mfy;
		double tx = to[2 * i] - mtx, ty = to[2 * i + 1] - mty;
		sf += fx * fx + fy * fy;
		c00 += tx * fx, c01 += tx * fy, c10 += ty * fx, c11 += ty * fy;
	}
	sf /= P;
	c00 /= P, c01 /= P, c10 /= P, c11 /= P;
	p = c00 + c11;
	q = c10 - c01;
	if (sf != 0)
		p /= sf, q /= sf;
	else {
		/* dlib keeps c = 1 and the rotation alone */
		double nrm = sqrt(p * p + q * q);
		p = nrm > 0 ? p / nrm : 1;
		q = nrm > 0 ? q / nrm : 0;
	}
	m[0] = (float)p, m[1] = (float)-q, m[2] = (float)q, m[3] = (float)p;
}

/* cur[0..n) += leaf[0..n): the inner loop of prediction (7500 leaves of 136
 * floats per face for Debian's model), written with vector extensions so
 * that it is vectorised at -O2 too. */
typedef float v8f __attribute__((vector_size(32)));
enum { PREFETCH = 6 };	/* trees ahead */

static void add_leaf(float *restrict cur, const float *restrict leaf, size_t n)
{
	size_t j = 0;

	for (; j + 8 <= n; j += 8) {
		v8f a, b;
		memcpy(&a, cur + j, sizeof a);
		memcpy(&b, leaf + j, sizeof b);
		a += b;
		memcpy(cur + j, &a, sizeof a);
	}
	for (; j < n; j++)
		cur[j] += leaf[j];
}

int arpg_shape_predict(const struct arpg_shape_predictor *sp, const uint8_t *grey, int w,
		       int h, int stride, const struct arpg_rect *box, float *xy)
{
	const int P = sp->P;
	float *cur, *feat;
	const float **leafs;
	double l, t, sx, sy;
	size_t c, i, k;

	if (!box || box->w <= 0 || box->h <= 0 || w <= 0 || h <= 0 || stride < w)
		return ARPG_EINVAL;
	if (!(cur = malloc((2 * (size_t)P + sp->max_feat + 1) * sizeof *cur)))
		return ARPG_ENOMEM;
	if (!(leafs = malloc((sp->max_tree + 1) * sizeof *leafs))) {
		free(cur);
		return ARPG_ENOMEM;
	}
	feat = cur + 2 * P;
	memcpy(cur, sp->init, 2 * (size_t)P * sizeof *cur);

	/* unit box -> dlib's inclusive rectangle(x, y, x+w-1, y+h-1) */
	l = box->x, t = box->y;
	sx = (double)(box->w - 1), sy = (double)(box->h - 1);

	for (c = 0; c < sp->ncasc; c++) {
		const struct sp_cascade *kc = &sp->casc[c];
		float m[4];

		shape_tform(sp->init, cur, P, m);
		for (i = 0; i < kc->nfeat; i++) {
			const float *d = &sp->delta[2 * (kc->feat + i)];
			uint32_t a = sp->anchor[kc->feat + i];
			float ux = (m[0] * d[0] + m[1] * d[1]) + cur[2 * a];
			float uy = (m[2] * d[0] + m[3] * d[1]) + cur[2 * a + 1];
			double px = floor(sx * (double)ux + l + 0.5);
			double py = floor(sy * (double)uy + t + 0.5);
			if (px >= 0 && py >= 0 && px < w && py < h)
				feat[i] = grey[(size_t)py * (size_t)stride + (size_t)px];
			else
				feat[i] = 0;
		}
		/* The trees of a cascade read the same features, so every leaf
		 * is known before any is added: find them all, then add them in
		 * tree order (the sum dlib makes) while prefetching the leaves a
		 * few trees ahead, which are scattered over the model. */
		for (k = 0; k < kc->ntree; k++) {
			const struct sp_tree *tr = &sp->trees[kc->tree + k];
			const struct sp_split *s = &sp->splits[tr->split];
			size_t n = 0;
			while (n < tr->nsplit) {
				if (feat[s[n].idx1] - feat[s[n].idx2] > s[n].thresh)
					n = 2 * n + 1;
				else
					n = 2 * n + 2;
			}
			leafs[k] = sp->leaves + tr->leaf + (n - tr->nsplit) * 2 * (size_t)P;
		}
		for (k = 0; k < kc->ntree; k++) {
			if (k + PREFETCH < kc->ntree) {
				const char *p = (const char *)leafs[k + PREFETCH];
				size_t b;
				for (b = 0; b < 2 * (size_t)P * sizeof(float); b += 64)
					__builtin_prefetch(p + b);
			}
			add_leaf(cur, leafs[k], 2 * (size_t)P);
		}
	}
	for (i = 0; i < (size_t)P; i++) {
		xy[2 * i] = (float)(sx * (double)cur[2 * i] + l);
		xy[2 * i + 1] = (float)(sy * (double)cur[2 * i + 1] + t);
	}
	free(cur);
	free(leafs);
	return 0;
}
