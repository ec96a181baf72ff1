/* Unit tests of cascade_xml.c: what the reader builds from a cascade, the
 * files it refuses and how it says why, and every cascade Debian ships.
 * Detection is tests/face/test_cascade_detect.c. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "face/cascade_impl.h"
#include "error.h"
#include "fileio.h"
#include "cascade_seed.h"
#include "harness.h"

#define OPENCV_DIR "/usr/share/opencv4"

/* haar_stump.xml, field by field: two stages of stumps over three
 * features, the third of three rectangles. */
ARPG_TEST(xml_reads_the_model)
{
	struct arpg_cascade *c;

	if (!(c = seed("haar_stump.xml")))
		return;
	expect_int(c->type, FEAT_HAAR);
	expect_int(c->winw, 8);
	expect_int(c->winh, 8);
	expect_int(c->ncategories, 0);
	expect_int(c->stumps, 1);
	expect_int(c->tilted, 0);
	expect_int(c->nstages, 2);
	expect_int(c->ntrees, 3);
	expect_int(c->nnodes, 3);
	expect_int(c->nleaves, 6);
	expect_int(c->nfeatures, 3);
	/* thresholds less 1e-5 in float, as OpenCV reads them */
	expect(c->stages[0].threshold == 0.5f - 1e-5f);
	expect(c->stages[1].threshold == -0.5f - 1e-5f);
	expect_int(c->stages[1].first_tree, 1);
	expect_int(c->stages[1].ntrees, 2);
	expect_int(c->nodes[2].feature, 2);
	expect(c->nodes[2].threshold == 1000.f);
	expect_int(c->nodes[2].left, 0);
	expect_int(c->nodes[2].right, -1);
	expect_int(c->trees[2].first_leaf, 4);
	expect(c->leaves[4] == 0.25f && c->leaves[5] == -0.25f);
	expect_int(c->haar[0].nrects, 2);
	expect_int(c->haar[2].nrects, 3);
	expect_int(c->haar[2].r[1].x, 2);
	expect_int(c->haar[2].r[1].w, 4);
	expect(c->haar[2].r[1].weight == 2.f);
	expect(c->haar[0].r[2].weight == 0.f);
	arpg_cascade_free(c);

	if (!(c = seed("lbp_stump.xml")))
		return;
	expect_int(c->type, FEAT_LBP);
	expect_int(c->winw, 9);
	expect_int(c->ncategories, 256);
	expect_int(c->subset_size, 8);
	expect_int(c->nfeatures, 1);
	expect_int(c->lbp[0].w, 3);
	/* subsets: 32-bit masks written signed, the last one INT_MIN */
	expect_int(c->subsets[0], -1);
	expect_int(c->subsets[1], 0);
	expect_int(c->subsets[7], INT32_MIN);
	arpg_cascade_free(c);

	if (!(c = seed("haar_tree_tilted.xml")))
		return;
	expect_int(c->stumps, 0);
	expect_int(c->tilted, 1);
	expect_int(c->haar[0].tilted, 1);
	expect_int(c->haar[1].tilted, 0);
	expect_int(c->trees[0].nnodes, 2);
	expect_int(c->nodes[0].left, 1);	/* node 1 of the tree */
	expect_int(c->nodes[1].right, -2);	/* leaf 2 */
	expect(c->leaves[2] == 0.5f);
	arpg_cascade_free(c);
}

ARPG_TEST(xml_parses_seeds)
{
	static const char *good[] = { "haar_stump.xml", "haar_tree_tilted.xml", "lbp_stump.xml" };
	size_t i;

	for (i = 0; i < sizeof good / sizeof *good; i++)
		arpg_cascade_free(seed(good[i]));
}

ARPG_TEST(xml_rejects_bad_files)
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
		expect_int(seed_load(&c, bad[i].name, err, sizeof err), bad[i].rc);
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
ARPG_TEST(xml_rejects_every_prefix)
{
	char path[1024], err[256];
	struct arpg_cascade *c;
	size_t len, k;
	void *buf;
	int fails = 0;

	snprintf(path, sizeof path, "%s/tests/fuzz/corpus/cascade/haar_stump.xml",
		 arpg_test_srcdir());
	if (arpg_read_file(path, 0, &buf, &len) < 0) {
		arpg_test_fail(__FILE__, __LINE__, "%s: cannot read", path);
		return;
	}
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
ARPG_TEST(xml_parses_debian_cascades)
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
			void *buf;
			int rc, isold;

			if (!strstr(de->d_name, ".xml"))
				continue;
			snprintf(path, sizeof path, "%s/%s", dirs[d], de->d_name);
			if (arpg_read_file(path, 0, &buf, &len) < 0)
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

/* s with its first `from` replaced by `to`, malloc'd; NULL if from is absent. */
static char *replaced(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	size_t n = strlen(s) - strlen(from) + strlen(to);
	char *out;

	if (!at || !(out = malloc(n + 1)))
		return NULL;
	memcpy(out, s, (size_t)(at - s));
	strcpy(out + (at - s), to);
	strcat(out, at + strlen(from));
	return out;
}

/* One change at a time to haar_stump.xml: each is refused with the code
 * and the words that say what is wrong. */
ARPG_TEST(xml_says_what_is_wrong)
{
	static const struct {
		const char *from, *to, *words;
		int rc;
	} bad[] = {
		{ "type_id=\"opencv-cascade-classifier\"", "type_id=\"opencv-haar-classifier\"",
		  "old opencv-haar-classifier format", ARPG_EUNSUPPORTED },
		{ "<stageType>BOOST", "<stageType>GAB", "stageType \"GAB\"", ARPG_EUNSUPPORTED },
		{ "<featureType>HAAR</featureType>", "", "no stageType, featureType or stages",
		  ARPG_EFORMAT },
		{ "<height>8</height>", "", "no <height>", ARPG_EFORMAT },
		{ "<width>8</width>", "<width>0</width>", "window size 0x8", ARPG_EFORMAT },
		{ "<width>8</width>", "<width>eight</width>", "<width> (line", ARPG_EFORMAT },
		{ "<featureParams><maxCatCount>0</maxCatCount></featureParams>", "",
		  "no <featureParams>", ARPG_EFORMAT },
		{ "<maxCatCount>0", "<maxCatCount>256", "categorical features (maxCatCount 256)",
		  ARPG_EUNSUPPORTED },
		{ "<stageThreshold>5.0e-01</stageThreshold>", "",
		  "stage 0 (line", ARPG_EFORMAT },
		{ "0 -1 2 1.0e+03", "0 -1 2", "weak classifier 1 (line", ARPG_EFORMAT },
		{ "0 -1 0 0.", "0 -1 -3 0.", "negative feature index", ARPG_EFORMAT },
		{ "<_>2 2 4 4 2.</_>", "<_>6 2 4 4 2.</_>", "rectangle 6 2 4 4 outside the 8x8",
		  ARPG_EFORMAT },
		{ "<_>2 2 4 4 2.</_>", "<_>2 2 4 2.</_>", "not \"x y w h weight\"", ARPG_EFORMAT },
		{ "<tilted>0</tilted></_></features>", "<tilted>x</tilted></_></features>",
		  "<tilted> (line", ARPG_EFORMAT },
	};
	char path[1024], err[256];
	struct arpg_cascade *c;
	void *buf;
	size_t len, i;

	snprintf(path, sizeof path, "%s/tests/fuzz/corpus/cascade/haar_stump.xml",
		 arpg_test_srcdir());
	if (arpg_read_file(path, 0, &buf, &len) < 0) {
		arpg_test_fail(__FILE__, __LINE__, "%s: cannot read", path);
		return;
	}
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		char *x = replaced(buf, bad[i].from, bad[i].to);
		int rc;

		if (!x) {
			arpg_test_fail(__FILE__, __LINE__, "\"%s\" is not in %s", bad[i].from, path);
			continue;
		}
		err[0] = 0;
		rc = arpg_cascade_parse(&c, x, strlen(x), err, sizeof err);
		expect_int(rc, bad[i].rc);
		if (rc == 0)
			arpg_cascade_free(c);
		else if (!strstr(err, bad[i].words))
			arpg_test_fail(__FILE__, __LINE__, "change %zu: message \"%s\" lacks \"%s\"",
				       i, err, bad[i].words);
		arpg_test_note("change %zu: %s", i, err);
		free(x);
	}
	free(buf);
}
