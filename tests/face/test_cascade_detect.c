/* Unit tests of cascade_detect.c: detection on synthetic images with the
 * hand-made cascades of the fuzz corpus, its settings, and the row kernels
 * of stump cascades against the plain window loop.  The comparison with
 * OpenCV on real faces is tests/face/cascade_opencv.py. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "face/cascade_impl.h"
#include "error.h"
#include "cascade_seed.h"
#include "harness.h"
#include "image.h"

#define OPENCV_DIR "/usr/share/opencv4"
#define ASTRONAUT "/usr/lib/python3/dist-packages/skimage/data/astronaut.png"

ARPG_TEST(detect_params)
{
	struct arpg_cascade_params p;

	arpg_cascade_params_default(&p);
	expect(p.scale_factor == 1.1);
	expect_int(p.min_neighbors, 3);
	expect_int(p.min_size, 0);
	expect_int(p.max_size, 0);
	expect_int(arpg_cascade_params_check(&p), 0);
	p.scale_factor = 1;
	expect_int(arpg_cascade_params_check(&p), ARPG_EINVAL);
	p.scale_factor = NAN;
	expect_int(arpg_cascade_params_check(&p), ARPG_EINVAL);
	arpg_cascade_params_default(&p);
	p.min_neighbors = -1;
	expect_int(arpg_cascade_params_check(&p), ARPG_EINVAL);
	arpg_cascade_params_default(&p);
	p.min_size = -1;
	expect_int(arpg_cascade_params_check(&p), ARPG_EINVAL);
	arpg_cascade_params_default(&p);
	p.max_size = -1;
	expect_int(arpg_cascade_params_check(&p), ARPG_EINVAL);
	expect_int(arpg_cascade_params_check(NULL), ARPG_EINVAL);
}

/* A step edge (dark left, bright right, dark top rows) and the hand-made
 * cascade that looks for it; a flat image gives nothing. */
ARPG_TEST(detect_synthetic_edge)
{
	enum { W = 64, H = 48 };
	static uint8_t img[H][W];
	struct arpg_cascade *c;
	struct arpg_rect *r = NULL;
	struct arpg_cascade_params p;
	int x, y, n, i;

	if (!(c = seed("haar_stump.xml")))
		return;
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

/* Every side of r[0..n) lies within [lo, hi]. */
static void expect_sides(const struct arpg_rect *r, int n, int lo, int hi)
{
	int i;

	for (i = 0; i < n; i++)
		if (r[i].w < lo || r[i].w > hi || r[i].h < lo || r[i].h > hi)
			arpg_test_fail(__FILE__, __LINE__, "box %d %d %d %d outside [%d, %d]",
				       r[i].x, r[i].y, r[i].w, r[i].h, lo, hi);
}

/* Raw windows (no grouping) within [min_size, max_size]. */
ARPG_TEST(detect_honours_sizes)
{
	enum { W = 96, H = 80 };
	/* min and max size, the sides expected; a minimum above the image
	 * takes the one scale closest to it, the largest (a 79-pixel window,
	 * boxes then clipped to the image) */
	static const struct {
		int min, max, lo, hi;
	} sizes[] = { { 20, 30, 20, 30 }, { 500, 0, 60, 79 } };
	static uint8_t img[H * W];
	struct arpg_cascade_params p;
	struct arpg_cascade *c;
	struct arpg_rect *r = NULL;
	int k, n, i, small = 0, big = 0;

	if (!(c = seed("haar_stump.xml")))
		return;
	for (k = 0; k < W * H; k++)
		img[k] = (uint8_t)((k % W >= W / 2 ? 200 : 40) - (k / W < H / 2 ? 20 : 0));
	arpg_cascade_params_default(&p);
	p.min_neighbors = 0;
	n = arpg_cascade_detect(c, img, W, H, W, &p, &r);
	for (i = 0; i < n; i++)
		small += r[i].w < 20, big += r[i].w > 30;
	expect(small > 0 && big > 0);
	free(r);
	for (k = 0; k < 2; k++) {
		p.min_size = sizes[k].min;
		p.max_size = sizes[k].max;
		n = arpg_cascade_detect(c, img, W, H, W, &p, &r);
		expect(n > 0);
		expect_sides(r, n, sizes[k].lo, sizes[k].hi);
		free(r);
	}
	arpg_cascade_free(c);
}

/* a and b (na, nb boxes) are the same boxes in the same order. */
static void expect_same_boxes(const struct arpg_rect *a, int na, const struct arpg_rect *b,
			      int nb, const char *what)
{
	if (na != nb || (na > 0 && memcmp(a, b, sizeof *a * (size_t)na)))
		arpg_test_fail(__FILE__, __LINE__, "%s: %d boxes from the row kernels, %d from "
			       "the window loop, or not the same", what, na, nb);
	else
		arpg_test_note("%s: %d boxes", what, na);
}

/* c on img, raw windows and grouped, at two scale factors: the row
 * kernels (arpg_cascade_detect) give what the window loop gives. */
static void compare_with_reference(const struct arpg_cascade *c, const uint8_t *img, int w,
				   int h, const char *name)
{
	static const double factors[] = { 1.1, 1.25 };
	struct arpg_cascade_params p;
	int i, g;

	arpg_cascade_params_default(&p);
	for (i = 0; i < 2; i++)
		for (g = 0; g < 2; g++) {
			struct arpg_rect *a = NULL, *b = NULL;
			char what[160];
			int na, nb;

			p.scale_factor = factors[i];
			p.min_neighbors = g ? 3 : 0;
			na = arpg_cascade_detect(c, img, w, h, w, &p, &a);
			nb = cascade_detect_reference(c, img, w, h, w, &p, &b);
			snprintf(what, sizeof what, "%s, scale %g, min neighbours %d", name,
				 p.scale_factor, p.min_neighbors);
			expect(na >= 0);
			expect_same_boxes(a, na, b, nb, what);
			free(a);
			free(b);
		}
}

/* The hand-made cascades on a textured image: stumps (HAAR and LBP) give
 * from the row kernels what the window loop gives; trees with a tilted
 * feature, which take the window loop both times, give the same boxes
 * twice (nothing is left over between calls). */
ARPG_TEST(detect_rows_as_reference_on_seeds)
{
	static const char *names[] = { "haar_stump.xml", "lbp_stump.xml", "haar_tree_tilted.xml" };
	enum { W = 71, H = 53 };
	static uint8_t img[H * W];
	size_t i;
	int k;

	for (k = 0; k < W * H; k++)
		img[k] = (uint8_t)(((k % W) * 5 + (k / W) * 3 + ((k * 2654435761u) >> 28)) & 0xFF);
	for (i = 0; i < sizeof names / sizeof *names; i++) {
		struct arpg_cascade *c;

		if (!(c = seed(names[i])))
			continue;
		compare_with_reference(c, img, W, H, names[i]);
		arpg_cascade_free(c);
	}
}

/* Debian's frontal face cascades (HAAR and LBP stumps) on astronaut.png. */
ARPG_TEST(detect_rows_as_reference_on_a_face)
{
	static const char *names[] = {
		OPENCV_DIR "/haarcascades/haarcascade_frontalface_default.xml",
		OPENCV_DIR "/lbpcascades/lbpcascade_frontalface_improved.xml",
	};
	struct arpg_image im;
	char err[256];
	size_t i;

	if (arpg_png_read(&im, ASTRONAUT, 1, err, sizeof err) < 0)
		skip(ASTRONAUT " not installed (python3-skimage)");
	for (i = 0; i < 2; i++) {
		struct arpg_cascade *c;

		if (arpg_cascade_load(&c, names[i], err, sizeof err) < 0) {
			arpg_test_note("%s: %s", names[i], err);
			arpg_image_free(&im);
			skip("Debian's cascades not installed (opencv-data)");
		}
		compare_with_reference(c, im.px, im.w, im.h, strrchr(names[i], '/') + 1);
		arpg_cascade_free(c);
	}
	arpg_image_free(&im);
}
