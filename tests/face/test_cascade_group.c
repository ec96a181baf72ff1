/* Unit tests of cascade_group.c: grouping as cv2.groupRectangles does it
 * (the expected boxes were taken from OpenCV 4.6's) and clipping. */
#include <stdlib.h>
#include <string.h>

#include "face/cascade_group.h"
#include "error.h"
#include "harness.h"

static void push_all(struct cascade_rects *v, const int (*r)[4], int n)
{
	int i;

	for (i = 0; i < n; i++)
		expect_int(cascade_rects_push(v, r[i][0], r[i][1], r[i][2], r[i][3]), 0);
}

/* v holds exactly want[0..n), in order. */
static void expect_rects(const struct cascade_rects *v, const int (*want)[4], int n,
			 const char *what)
{
	int i;

	if (v->n != n) {
		arpg_test_fail(__FILE__, __LINE__, "%s: %d boxes, expected %d", what, v->n, n);
		return;
	}
	for (i = 0; i < n; i++)
		if (v->r[i].x != want[i][0] || v->r[i].y != want[i][1] || v->r[i].w != want[i][2] ||
		    v->r[i].h != want[i][3])
			arpg_test_fail(__FILE__, __LINE__, "%s: box %d is %d %d %d %d, expected "
				       "%d %d %d %d", what, i, v->r[i].x, v->r[i].y, v->r[i].w,
				       v->r[i].h, want[i][0], want[i][1], want[i][2], want[i][3]);
}

ARPG_TEST(group_push_grows)
{
	struct cascade_rects v = { 0 };
	int i;

	for (i = 0; i < 1000; i++)
		expect_int(cascade_rects_push(&v, i, -i, 2 * i, 3), 0);
	expect_int(v.n, 1000);
	expect(v.cap >= 1000);
	expect_int(v.r[999].x, 999);
	expect_int(v.r[999].y, -999);
	expect_int(v.r[999].w, 1998);
	free(v.r);
}

/* Random windows around five places: two of them merge into one class of
 * nine, a pair that is not similar enough (bottom edges 5 apart, 4.8
 * allowed) stays two classes of one. */
ARPG_TEST(group_as_opencv_on_clusters)
{
	static const int in[][4] = {
		{ 55, 47, 20, 20 }, { 51, 40, 28, 28 }, { 120, 148, 24, 24 }, { 50, 40, 28, 28 },
		{ 202, 57, 42, 42 }, { 50, 43, 32, 32 }, { 122, 151, 26, 26 }, { 49, 39, 31, 31 },
		{ 303, 301, 59, 59 }, { 51, 45, 22, 22 }, { 202, 59, 41, 41 }, { 51, 42, 32, 32 },
		{ 52, 42, 22, 22 }, { 202, 61, 42, 42 }, { 53, 44, 22, 22 },
	};
	static const int t1[][4] = { { 51, 42, 26, 26 }, { 202, 59, 42, 42 } };
	int n = (int)(sizeof in / sizeof *in), t;

	for (t = 0; t <= 3; t++) {
		struct cascade_rects v = { 0 };

		push_all(&v, in, n);
		expect_int(cascade_group(&v, t, 0.2), 0);
		if (t == 0)
			expect_rects(&v, in, n, "threshold 0");
		else
			expect_rects(&v, t1, t < 3 ? 2 : 1, "threshold 1-3");
		free(v.r);
	}
}

/* A class within another is dropped when the other has more members than
 * max(its own, 3) or when it has fewer than 3; means round half to even. */
ARPG_TEST(group_drops_nested_classes)
{
	static const int in[][4] = {
		{ 100, 100, 40, 40 }, { 101, 101, 40, 40 }, { 99, 99, 40, 40 },
		{ 102, 102, 40, 40 }, { 100, 100, 40, 40 },	/* A: 5 */
		{ 110, 110, 20, 20 }, { 111, 111, 20, 20 },	/* 2 inside A */
		{ 300, 100, 40, 40 }, { 301, 101, 40, 40 }, { 302, 102, 40, 40 },
		{ 301, 101, 40, 40 },				/* C: 4 */
		{ 310, 110, 20, 20 }, { 311, 111, 20, 20 }, { 310, 110, 20, 20 },	/* 3 in C */
		{ 500, 100, 40, 40 }, { 501, 101, 40, 40 }, { 501, 101, 40, 40 },	/* E: 3 */
		{ 510, 110, 20, 20 }, { 511, 111, 20, 20 }, { 511, 111, 20, 20 },	/* 3 in E */
		{ 700, 100, 41, 41 }, { 701, 101, 41, 41 },	/* mean 700.5, 100.5 */
		{ 800, 100, 40, 40 }, { 801, 101, 40, 40 }, { 801, 101, 40, 40 },
		{ 801, 101, 40, 40 },				/* mean 800.75 */
	};
	static const int t1[][4] = {
		{ 100, 100, 40, 40 }, { 301, 101, 40, 40 }, { 501, 101, 40, 40 },
		{ 511, 111, 20, 20 }, { 700, 100, 41, 41 }, { 801, 101, 40, 40 },
	};
	static const int t2[][4] = {
		{ 100, 100, 40, 40 }, { 301, 101, 40, 40 }, { 501, 101, 40, 40 },
		{ 511, 111, 20, 20 }, { 801, 101, 40, 40 },
	};
	static const int t3[][4] = { { 100, 100, 40, 40 }, { 301, 101, 40, 40 },
				     { 801, 101, 40, 40 } };
	struct cascade_rects v = { 0 };
	int n = (int)(sizeof in / sizeof *in);

	push_all(&v, in, n);
	expect_int(cascade_group(&v, 1, 0.2), 0);
	expect_rects(&v, t1, 6, "threshold 1");
	v.n = 0;
	push_all(&v, in, n);
	expect_int(cascade_group(&v, 2, 0.2), 0);
	expect_rects(&v, t2, 5, "threshold 2");
	v.n = 0;
	push_all(&v, in, n);
	expect_int(cascade_group(&v, 3, 0.2), 0);
	expect_rects(&v, t3, 3, "threshold 3");
	free(v.r);
	/* nothing to group */
	memset(&v, 0, sizeof v);
	expect_int(cascade_group(&v, 3, 0.2), 0);
	expect_int(v.n, 0);
}

ARPG_TEST(group_clip_to_the_image)
{
	static const int in[][4] = {
		{ -5, -5, 20, 20 },	/* cut at the top left */
		{ 90, 40, 20, 20 },	/* cut at the right */
		{ 100, 10, 5, 5 },	/* right of the image: dropped */
		{ 10, 50, 5, 5 },	/* below it: dropped */
		{ 10, 10, 5, 5 },	/* inside */
	};
	static const int want[][4] = { { 0, 0, 15, 15 }, { 90, 40, 10, 10 }, { 10, 10, 5, 5 } };
	struct cascade_rects v = { 0 };

	push_all(&v, in, 5);
	cascade_clip(&v, 100, 50);
	expect_rects(&v, want, 3, "clipped");
	free(v.r);
}
