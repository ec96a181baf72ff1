/* Unit tests of cascade_pyramid.c: the resize against values taken from
 * cv2.resize(..., INTER_LINEAR_EXACT) (OpenCV 4.6), and the integral
 * images against sums written out from their definitions. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "face/cascade_pyramid.h"
#include "error.h"
#include "harness.h"

/* numpy.random.RandomState(7).randint(0, 256, (9, 13)) */
static const uint8_t src9x13[9 * 13] = {
	175, 196, 25, 246, 67, 211, 151, 103, 92, 185, 142, 23, 72, 89, 110, 42, 218, 136,
	167, 230, 68, 176, 127, 135, 172, 0, 75, 55, 250, 6, 19, 188, 44, 191, 69, 56, 152,
	183, 181, 112, 251, 189, 192, 34, 56, 201, 206, 38, 4, 238, 137, 87, 227, 195, 72, 83,
	176, 1, 192, 144, 118, 159, 93, 172, 92, 252, 71, 23, 10, 233, 35, 192, 61, 135, 151,
	92, 247, 224, 149, 100, 163, 225, 67, 123, 219, 225, 19, 155, 4, 19, 33, 123, 30, 185,
	229, 73, 221, 209, 127, 159, 130, 83, 178, 146, 21, 119, 67, 203, 186, 47, 16, 12, 93,
	107, 233, 137, 76,
};

/* Level dw x dh of the w x h image src (rows stride apart) in a pyramid
 * for levels up to maxw x maxh with all three planes; 0 or a code. */
static int level(struct cascade_pyramid *p, const uint8_t *src, int w, int h, int stride,
		 int dw, int dh, int maxw, int maxh)
{
	int rc = cascade_pyramid_init(p, maxw, maxh, 3);

	if (rc < 0) {
		arpg_test_fail(__FILE__, __LINE__, "init: %s", arpg_strerror(rc));
		return rc;
	}
	cascade_pyramid_level(p, src, w, h, stride, dw, dh);
	return 0;
}

/* p->img's dw x dh pixels equal want (rows dw apart). */
static void expect_img(const struct cascade_pyramid *p, const uint8_t *want, int dw, int dh,
		       const char *what)
{
	int x, y, bad = 0;

	for (y = 0; y < dh; y++)
		for (x = 0; x < dw; x++)
			if (p->img[y * p->iw + x] != want[y * dw + x] && bad++ < 5)
				arpg_test_fail(__FILE__, __LINE__, "%s: pixel %d,%d is %d, expected %d",
					       what, x, y, p->img[y * p->iw + x], want[y * dw + x]);
}

ARPG_TEST(pyramid_resize_as_opencv)
{
	static const uint8_t to10x7[7 * 10] = {
		166, 113, 188, 83, 190, 121, 104, 168, 88, 59, 83, 107, 128, 90, 167, 131, 130,
		108, 161, 92, 115, 200, 156, 33, 116, 186, 55, 67, 179, 119, 222, 140, 80, 167,
		68, 161, 119, 143, 137, 104, 201, 72, 69, 179, 109, 140, 102, 131, 130, 171, 123,
		112, 214, 76, 191, 185, 102, 118, 82, 99, 46, 96, 176, 165, 62, 34, 99, 136, 174,
		95,
	};
	static const uint8_t to5x4[4 * 5] = {
		138, 181, 200, 147, 98, 203, 114, 181, 23, 134, 107, 107, 195, 139, 215, 68, 178,
		137, 127, 154,
	};
	struct cascade_pyramid p;

	if (level(&p, src9x13, 13, 9, 13, 10, 7, 13, 9) == 0)
		expect_img(&p, to10x7, 10, 7, "13x9 to 10x7");
	/* the same pyramid, a smaller level next */
	cascade_pyramid_level(&p, src9x13, 13, 9, 13, 5, 4);
	expect_img(&p, to5x4, 5, 4, "13x9 to 5x4");
	cascade_pyramid_free(&p);
}

/* The same size is a copy, exactly half size the rounded 2x2 means; rows
 * of the source are read stride apart. */
ARPG_TEST(pyramid_copy_and_half)
{
	enum { W = 12, H = 8, S = 15 };
	uint8_t src[H * S], half[(H / 2) * (W / 2)];
	struct cascade_pyramid p;
	int x, y;

	for (y = 0; y < H; y++)
		for (x = 0; x < S; x++)
			src[y * S + x] = x < W ? (uint8_t)(x * 21 + y * 37 + (x * y) % 7) : 0xEE;
	if (level(&p, src, W, H, S, W, H, W, H) < 0)
		return;
	for (y = 0; y < H; y++)
		expect(memcmp(p.img + y * p.iw, src + y * S, W) == 0);
	for (y = 0; y < H / 2; y++)
		for (x = 0; x < W / 2; x++) {
			const uint8_t *a = src + 2 * y * S + 2 * x;

			half[y * (W / 2) + x] = (uint8_t)((a[0] + a[1] + a[S] + a[S + 1] + 2) >> 2);
		}
	cascade_pyramid_level(&p, src, W, H, S, W / 2, H / 2);
	expect_img(&p, half, W / 2, H / 2, "half");
	cascade_pyramid_free(&p);
}

/* A flat image stays flat at every size (the weights of a pixel sum to
 * one in the fixed point). */
ARPG_TEST(pyramid_flat_stays_flat)
{
	enum { W = 97, H = 61 };
	static uint8_t src[W * H];
	struct cascade_pyramid p;
	int dw, x, y;

	memset(src, 201, sizeof src);
	if (level(&p, src, W, H, W, W, H, W, H) < 0)
		return;
	for (dw = W; dw >= 2; dw -= 3) {
		int dh = dw * H / W > 0 ? dw * H / W : 1, bad = 0;

		cascade_pyramid_level(&p, src, W, H, W, dw, dh);
		for (y = 0; y < dh; y++)
			for (x = 0; x < dw; x++)
				bad += p.img[y * p.iw + x] != 201;
		if (bad)
			arpg_test_fail(__FILE__, __LINE__, "%dx%d: %d pixels not 201", dw, dh, bad);
	}
	cascade_pyramid_free(&p);
}

/* The three planes against their definitions, over the level's pixels:
 * sum(Y, X) = sum of I(r, c), r < Y, c < X; sq the same of I^2;
 * tilted(Y, X) = sum of I(r, c), r < Y, |c - (X - 1)| <= Y - 1 - r. */
ARPG_TEST(pyramid_integrals_by_definition)
{
	enum { W = 23, H = 17 };
	uint8_t src[W * H];
	struct cascade_pyramid p;
	int X, Y, r, c, k, bad = 0;

	for (k = 0; k < W * H; k++)
		src[k] = (uint8_t)((k * 2654435761u) >> 24);
	if (level(&p, src, W, H, W, W - 4, H - 3, W, H) < 0)
		return;
	for (Y = 0; Y <= H - 3; Y++)
		for (X = 0; X <= W - 4; X++) {
			uint32_t s = 0, q = 0, t = 0, got[3];

			for (r = 0; r < Y; r++)
				for (c = 0; c < W - 4; c++) {
					uint32_t v = p.img[r * p.iw + c];
					int d = c - (X - 1);

					if (c < X)
						s += v, q += v * v;
					if ((d < 0 ? -d : d) <= Y - 1 - r)
						t += v;
				}
			for (k = 0; k < 3; k++)
				got[k] = p.sum[k * p.plane + (size_t)Y * p.stride + X];
			if ((got[0] != s || got[1] != q || got[2] != t) && bad++ < 5)
				arpg_test_fail(__FILE__, __LINE__, "(%d, %d): sum %u sq %u tilted %u, "
					       "expected %u %u %u", Y, X, got[0], got[1], got[2], s, q, t);
		}
	cascade_pyramid_free(&p);
}
