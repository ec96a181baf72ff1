/* Unit tests of shape.c on a tiny model serialized here in dlib's format,
 * and on Debian's 68-point model when it is installed. */
#include <bzlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fileio.h"
#include "harness.h"
#include "face/shape.h"

#define MODEL68 "/usr/share/dlib/shape_predictor_68_face_landmarks.dat"

struct buf {
	unsigned char b[4096];
	size_t n;
};

/* dlib's integer: control byte (count | 0x80 if negative), little-endian bytes */
static void put_int(struct buf *o, long long v)
{
	unsigned long long m = v < 0 ? -(unsigned long long)v : (unsigned long long)v;
	size_t at = o->n++;
	unsigned char n = 0;

	do {
		o->b[o->n++] = (unsigned char)(m & 0xFF);
		m >>= 8;
		n++;
	} while (m);
	o->b[at] = (unsigned char)(n | (v < 0 ? 0x80 : 0));
}

static void put_float(struct buf *o, float f)
{
	int e;
	double m = frexp(f, &e);

	put_int(o, (long long)(m * (1 << 24)));
	put_int(o, e - 24);
}

static void put_fvec(struct buf *o, const float *v, int n)
{
	int i;

	put_int(o, -n);
	put_int(o, -1);
	for (i = 0; i < n; i++)
		put_float(o, v[i]);
}

/* What the model writer below may get wrong, one field at a time. */
struct knobs {
	int points;		/* in the initial shape */
	int nsplit, nleaf;	/* of the one tree */
	int feature;		/* the split's first feature pixel */
	int anchor;		/* the second feature pixel's landmark */
	int anchor_cascades, delta_cascades, ndelta;
};

static const struct knobs good = { 2, 1, 2, 0, 1, 1, 1, 2 };

/* 2 points at (0.25, 0.5) (0.75, 0.5) of the box; one tree, one split on
 * pixel(point 0) - pixel(point 1) > 10: shift both points by +0.1 of the
 * box width when the left point is brighter, by -0.1 otherwise.  k changes
 * a field, for the reader's checks. */
static void model(struct buf *o, const struct knobs *k)
{
	static const float init[4] = { 0.25f, 0.5f, 0.75f, 0.5f };
	static const float up[4] = { 0.1f, 0, 0.1f, 0 }, down[4] = { -0.1f, 0, -0.1f, 0 };
	int i;

	o->n = 0;
	put_int(o, 1);		/* version */
	put_fvec(o, init, 2 * k->points);
	put_int(o, 1);		/* cascades */
	put_int(o, 1);		/* trees */
	put_int(o, k->nsplit);	/* splits */
	put_int(o, k->feature), put_int(o, 1), put_float(o, 10);
	put_int(o, k->nleaf);	/* leaves */
	put_fvec(o, up, 4);
	put_fvec(o, down, 4);
	put_int(o, k->anchor_cascades);	/* anchor_idx */
	put_int(o, 2), put_int(o, 0), put_int(o, k->anchor);
	put_int(o, k->delta_cascades);	/* deltas */
	put_int(o, k->ndelta);
	for (i = 0; i < 2 * k->ndelta; i++)
		put_float(o, 0);
}

static void tiny_model(struct buf *o)
{
	model(o, &good);
}

ARPG_TEST(shape_tiny_model_predicts)
{
	struct buf m;
	struct arpg_shape_predictor *sp = NULL;
	static unsigned char img[120 * 100];
	struct arpg_rect box = { 0, 0, 101, 101 };
	char err[256];
	float xy[4];
	int x, y;

	tiny_model(&m);
	expect_int(arpg_shape_parse(&sp, m.b, m.n, err, sizeof err), 0);
	if (!sp)
		return;
	expect_int(arpg_shape_points(sp), 2);
	for (y = 0; y < 100; y++)
		for (x = 0; x < 120; x++)
			img[y * 120 + x] = x < 50 ? 200 : 0;
	expect_int(arpg_shape_predict(sp, img, 100, 100, 120, &box, xy), 0);
	/* box (0,0,101,101) is dlib's rectangle(0, 0, 100, 100): unit -> x100 */
	expect_near(xy[0], 35, 1e-4);
	expect_near(xy[1], 50, 1e-4);
	expect_near(xy[2], 85, 1e-4);
	expect_near(xy[3], 50, 1e-4);
	for (y = 0; y < 100; y++)
		for (x = 0; x < 120; x++)
			img[y * 120 + x] = x < 50 ? 0 : 200;
	expect_int(arpg_shape_predict(sp, img, 100, 100, 120, &box, xy), 0);
	expect_near(xy[0], 15, 1e-4);
	expect_near(xy[2], 65, 1e-4);
	/* a box off the image reads zeros: 0 - 0 > 10 fails, "down" */
	box.x = 1000;
	expect_int(arpg_shape_predict(sp, img, 100, 100, 120, &box, xy), 0);
	expect_near(xy[0], 1000 + 15, 1e-3);
	box.w = 0;
	expect_int(arpg_shape_predict(sp, img, 100, 100, 120, &box, xy), ARPG_EINVAL);
	arpg_shape_free(sp);
}

ARPG_TEST(shape_bzip2_model_parses)
{
	struct buf m;
	struct arpg_shape_predictor *sp = NULL;
	char z[8192], err[256];
	unsigned zn = sizeof z;

	tiny_model(&m);
	expect_int(BZ2_bzBuffToBuffCompress(z, &zn, (char *)m.b, (unsigned)m.n, 9, 0, 0), BZ_OK);
	expect_int(arpg_shape_parse(&sp, z, zn, err, sizeof err), 0);
	if (sp)
		expect_int(arpg_shape_points(sp), 2);
	arpg_shape_free(sp);
	/* a truncated bzip2 stream */
	expect_int(arpg_shape_parse(&sp, z, zn / 2, err, sizeof err), ARPG_EFORMAT);
	expect(sp == NULL);
	arpg_test_note("truncated bzip2: %s", err);
}

ARPG_TEST(shape_rejects_every_truncation)
{
	struct buf m;
	struct arpg_shape_predictor *sp = NULL;
	char err[256];
	size_t n;

	tiny_model(&m);
	for (n = 0; n < m.n; n++) {
		int rc = arpg_shape_parse(&sp, m.b, n, err, sizeof err);
		if (rc != ARPG_EFORMAT || sp)
			arpg_test_fail(__FILE__, __LINE__, "%zu of %zu bytes: %d", n, m.n, rc);
	}
	/* and trailing bytes */
	m.b[m.n] = 0;
	expect_int(arpg_shape_parse(&sp, m.b, m.n + 1, err, sizeof err), ARPG_EFORMAT);
}

ARPG_TEST(shape_rejects_bad_structure)
{
	struct buf m;
	struct arpg_shape_predictor *sp = NULL;
	char err[256];

	tiny_model(&m);
	m.b[1] = 2;		/* version 2 */
	expect_int(arpg_shape_parse(&sp, m.b, m.n, err, sizeof err), ARPG_EFORMAT);
	expect(strstr(err, "version") != NULL);
	expect_int(arpg_shape_parse(&sp, "PK\3\4 not a model", 17, err, sizeof err),
		   ARPG_EFORMAT);
	arpg_test_note("other format: %s", err);
}

/* One field wrong at a time: each refused with words that say which. */
ARPG_TEST(shape_says_what_is_wrong)
{
	static const struct {
		const char *words;
		struct knobs k;
	} bad[] = {
		{ "initial shape size", { 1, 1, 2, 0, 1, 1, 1, 2 } },
		{ "not a full binary tree", { 2, 2, 2, 0, 1, 1, 1, 2 } },
		{ "leaf count is not split count + 1", { 2, 1, 3, 0, 1, 1, 1, 2 } },
		{ "split feature index out of range", { 2, 1, 2, 5, 1, 1, 1, 2 } },
		{ "anchor index out of range", { 2, 1, 2, 0, 2, 1, 1, 2 } },
		{ "anchor cascades differ", { 2, 1, 2, 0, 1, 2, 1, 2 } },
		{ "delta cascades differ", { 2, 1, 2, 0, 1, 1, 2, 2 } },
		{ "delta count differs from anchor count", { 2, 1, 2, 0, 1, 1, 1, 1 } },
	};
	struct arpg_shape_predictor *sp = NULL;
	struct buf m;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		model(&m, &bad[i].k);
		err[0] = 0;
		expect_int(arpg_shape_parse(&sp, m.b, m.n, err, sizeof err), ARPG_EFORMAT);
		expect(sp == NULL);
		if (!strstr(err, bad[i].words))
			arpg_test_fail(__FILE__, __LINE__, "case %zu: \"%s\" lacks \"%s\"", i, err,
				       bad[i].words);
	}
}

ARPG_TEST(shape_debian_model)
{
	struct arpg_shape_predictor *sp = NULL;
	void *buf = NULL;
	size_t len = 0;
	char err[512];
	int rc;

	if (arpg_read_file(MODEL68, 0, &buf, &len) < 0)
		skip(MODEL68 " not installed (libdlib-data)");
	expect_int(arpg_shape_parse(&sp, buf, len, err, sizeof err), 0);
	if (sp)
		expect_int(arpg_shape_points(sp), 68);
	arpg_shape_free(sp);
	/* a truncated copy: a clear EFORMAT naming the file */
	expect_int(arpg_test_write_file("short.dat", buf, len / 3), 0);
	rc = arpg_shape_load(&sp, "short.dat", err, sizeof err);
	expect_int(rc, ARPG_EFORMAT);
	expect(strncmp(err, "short.dat: ", 11) == 0);
	arpg_test_note("%s", err);
	free(buf);
	expect_int(arpg_shape_load(&sp, "missing.dat", err, sizeof err), ARPG_EIO);
	expect(strstr(err, "missing.dat") != NULL);
}
