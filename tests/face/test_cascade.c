/* test_cascade.c - cascade XML parsing and detection basics.  The
 * comparison with OpenCV on real faces is tests/face/cascade_opencv.py. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "face/cascade.h"
#include "error.h"
#include "harness.h"

#define OPENCV_DIR "/usr/share/opencv4"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static int seed(struct arpg_cascade **c, const char *name, char *err, size_t errn)
{
	char path[1024];

	snprintf(path, sizeof path, "%s/tests/fuzz/corpus/cascade/%s", arpg_test_srcdir(), name);
	return arpg_cascade_load(c, path, err, errn);
}

ARPG_TEST(cascade_parses_seeds)
{
	static const char *good[] = { "haar_stump.xml", "haar_tree_tilted.xml", "lbp_stump.xml" };
	struct arpg_cascade *c;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof good / sizeof *good; i++) {
		int rc = seed(&c, good[i], err, sizeof err);

		if (rc < 0)
			arpg_test_fail(__FILE__, __LINE__, "%s: %s: %s", good[i], arpg_strerror(rc), err);
		arpg_cascade_free(c);
	}
}

ARPG_TEST(cascade_rejects_bad_files)
{
	static const struct {
		const char *name, *words;
		int rc;
	} bad[] = {
		{ "truncated.xml", "truncated", ARPG_EFORMAT },
		{ "not_cascade.xml", "not an OpenCV cascade", ARPG_EFORMAT },
		{ "unknown_feature.xml", "featureType \"HOG\"", ARPG_EUNSUPPORTED },
		{ "bad_feature_index.xml", "feature 7", ARPG_EFORMAT },
	};
	struct arpg_cascade *c = (struct arpg_cascade *)1;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		err[0] = 0;
		expect_int(seed(&c, bad[i].name, err, sizeof err), bad[i].rc);
		expect(c == NULL);
		if (!strstr(err, bad[i].words))
			arpg_test_fail(__FILE__, __LINE__, "%s: message \"%s\" lacks \"%s\"",
				       bad[i].name, err, bad[i].words);
		arpg_test_note("%s: %s", bad[i].name, err);
	}
	expect_int(arpg_cascade_load(&c, "/nonexistent/cascade.xml", err, sizeof err), ARPG_ENOENT);
	expect_int(arpg_cascade_parse(&c, "", 0, err, sizeof err), ARPG_EFORMAT);
	expect_int(arpg_cascade_parse(&c, "<opencv_storage/>", 17, err, sizeof err), ARPG_EFORMAT);
	expect_int(arpg_cascade_parse(&c, "PK\3\4 not xml", 12, err, sizeof err), ARPG_EFORMAT);
}

/* Every prefix of a valid cascade fails cleanly (the full text parses). */
ARPG_TEST(cascade_rejects_every_prefix)
{
	char path[1024], err[256];
	struct arpg_cascade *c;
	size_t len, k;
	char *buf;
	int fails = 0;

	snprintf(path, sizeof path, "%s/tests/fuzz/corpus/cascade/haar_stump.xml",
		 arpg_test_srcdir());
	buf = slurp(path, &len);
	expect(buf != NULL);
	if (!buf)
		return;
	/* the document ends at "</opencv_storage>" + newline */
	for (k = 0; k + 2 < len; k++) {
		int rc = arpg_cascade_parse(&c, buf, k, err, sizeof err);

		if (rc == 0) {
			arpg_cascade_free(c);
			fails++;
		} else if (rc != ARPG_EFORMAT) {
			fails++;
		}
	}
	expect_int(fails, 0);
	expect_int(arpg_cascade_parse(&c, buf, len, err, sizeof err), 0);
	arpg_cascade_free(c);
	free(buf);
}

/* Every cascade Debian ships: the current format parses, the old one is
 * refused as unsupported. */
ARPG_TEST(cascade_parses_debian_cascades)
{
	static const char *dirs[] = { OPENCV_DIR "/haarcascades", OPENCV_DIR "/lbpcascades" };
	int d, n = 0, old = 0;

	for (d = 0; d < 2; d++) {
		DIR *dir = opendir(dirs[d]);
		struct dirent *de;

		if (!dir)
			continue;
		while ((de = readdir(dir))) {
			char path[1024], err[256];
			struct arpg_cascade *c;
			size_t len;
			char *buf;
			int rc, isold;

			if (!strstr(de->d_name, ".xml"))
				continue;
			snprintf(path, sizeof path, "%s/%s", dirs[d], de->d_name);
			buf = slurp(path, &len);
			if (!buf)
				continue;
			isold = strstr(buf, "opencv-haar-classifier") != NULL;
			free(buf);
			rc = arpg_cascade_load(&c, path, err, sizeof err);
			if (isold) {
				expect_int(rc, ARPG_EUNSUPPORTED);
				old++;
			} else if (rc < 0) {
				arpg_test_fail(__FILE__, __LINE__, "%s: %s: %s", path,
					       arpg_strerror(rc), err);
			}
			if (rc == 0)
				arpg_cascade_free(c);
			n++;
		}
		closedir(dir);
	}
	if (n == 0)
		skip("no cascades in " OPENCV_DIR " (install opencv-data)");
	arpg_test_note("%d cascades read, %d in the old format refused", n, old);
}

/* A step edge (dark left, bright right, dark top rows) and the hand-made
 * cascade that looks for it; a flat image gives nothing. */
ARPG_TEST(cascade_detects_synthetic_edge)
{
	enum { W = 64, H = 48 };
	static uint8_t img[H][W];
	struct arpg_cascade *c;
	struct arpg_rect *r = NULL;
	struct arpg_cascade_params p;
	char err[256];
	int x, y, n, i;

	if (seed(&c, "haar_stump.xml", err, sizeof err) < 0) {
		arpg_test_fail(__FILE__, __LINE__, "%s", err);
		return;
	}
	for (y = 0; y < H; y++)
		for (x = 0; x < W; x++)
			img[y][x] = (uint8_t)((x >= 32 ? 200 : 40) - (y < 24 ? 20 : 0));
	arpg_cascade_params_default(&p);
	p.scale_factor = 1.2;
	p.min_neighbors = 0;
	n = arpg_cascade_detect(c, &img[0][0], W, H, W, &p, &r);
	expect(n > 0);
	for (i = 0; i < n; i++) {
		/* every window straddles the vertical edge */
		if (!(r[i].x < 32 && r[i].x + r[i].w > 32))
			arpg_test_fail(__FILE__, __LINE__, "box %d %d %d %d misses the edge", r[i].x,
				       r[i].y, r[i].w, r[i].h);
		expect(r[i].x >= 0 && r[i].y >= 0 && r[i].x + r[i].w <= W && r[i].y + r[i].h <= H);
	}
	free(r);
	r = NULL;
	/* grouped: a few boxes, not one per window */
	p.min_neighbors = 2;
	n = arpg_cascade_detect(c, &img[0][0], W, H, W, &p, &r);
	expect(n >= 1 && n < 20);
	free(r);
	r = NULL;
	memset(img, 128, sizeof img);
	p.scale_factor = 1.1;
	p.min_neighbors = 0;
	expect_int(arpg_cascade_detect(c, &img[0][0], W, H, W, &p, &r), 0);
	expect(r == NULL);
	/* smaller than the window: nothing */
	arpg_cascade_params_default(&p);
	expect_int(arpg_cascade_detect(c, &img[0][0], 7, 7, W, &p, &r), 0);
	/* bad arguments */
	expect_int(arpg_cascade_detect(c, &img[0][0], W, H, W - 1, &p, &r), ARPG_EINVAL);
	expect_int(arpg_cascade_detect(c, NULL, W, H, W, &p, &r), ARPG_EINVAL);
	expect_int(arpg_cascade_detect(c, &img[0][0], W, H, W, NULL, &r), ARPG_EINVAL);
	p.scale_factor = 1.0;
	expect_int(arpg_cascade_detect(c, &img[0][0], W, H, W, &p, &r), ARPG_EINVAL);
	arpg_cascade_free(c);
}

/* Trees, tilted features and LBP run on a textured image without fault,
 * and give the same boxes twice (nothing left over between calls). */
ARPG_TEST(cascade_runs_trees_tilted_lbp)
{
	static const char *names[] = { "haar_tree_tilted.xml", "lbp_stump.xml" };
	enum { W = 57, H = 41 };
	static uint8_t img[H * W];
	size_t i;
	int k;

	for (k = 0; k < W * H; k++)
		img[k] = (uint8_t)((k * 2654435761u) >> 24);
	for (i = 0; i < 2; i++) {
		struct arpg_cascade *c;
		struct arpg_rect *a = NULL, *b = NULL;
		struct arpg_cascade_params p;
		char err[256];
		int na, nb;

		if (seed(&c, names[i], err, sizeof err) < 0) {
			arpg_test_fail(__FILE__, __LINE__, "%s: %s", names[i], err);
			continue;
		}
		arpg_cascade_params_default(&p);
		p.min_neighbors = 0;
		na = arpg_cascade_detect(c, img, W, H, W, &p, &a);
		nb = arpg_cascade_detect(c, img, W, H, W, &p, &b);
		expect(na >= 0);
		expect_int(na, nb);
		if (na > 0 && na == nb)
			expect(!memcmp(a, b, sizeof *a * (size_t)na));
		arpg_test_note("%s: %d raw windows", names[i], na);
		free(a);
		free(b);
		arpg_cascade_free(c);
	}
}
