/* Unit tests of align.c: the template, the similarity fit and the warp. */
#include <math.h>
#include <string.h>

#include "face/align.h"
#include "error.h"
#include "harness.h"

ARPG_TEST(align_template_scales)
{
	double t[10];

	arpg_align_template(t, 112);
	expect_near(t[0], 38.2946, 1e-12);
	expect_near(t[9], 92.2041, 1e-12);
	arpg_align_template(t, 224);
	expect_near(t[4], 2 * 56.0252, 1e-12);
}

ARPG_TEST(align_recovers_a_similarity)
{
	double src[10], dst[10], M[6], a = 1.7 * cos(0.4), b = 1.7 * sin(0.4);
	int i;

	arpg_align_template(src, 112);
	for (i = 0; i < 5; i++) {
		dst[2 * i] = a * src[2 * i] - b * src[2 * i + 1] + 12.5;
		dst[2 * i + 1] = b * src[2 * i] + a * src[2 * i + 1] - 3.25;
	}
	expect_int(arpg_align_similarity(M, src, dst, 5), 0);
	expect_near(M[0], a, 1e-12);
	expect_near(M[1], -b, 1e-12);
	expect_near(M[2], 12.5, 1e-10);
	expect_near(M[3], b, 1e-12);
	expect_near(M[4], a, 1e-12);
	expect_near(M[5], -3.25, 1e-10);
}

ARPG_TEST(align_never_reflects)
{
	double src[10], dst[10], M[6];
	int i;

	/* a mirrored face: the best similarity keeps det > 0 */
	arpg_align_template(src, 112);
	for (i = 0; i < 5; i++)
		dst[2 * i] = 112 - src[2 * i], dst[2 * i + 1] = src[2 * i + 1];
	expect_int(arpg_align_similarity(M, src, dst, 5), 0);
	expect(M[0] * M[4] - M[1] * M[3] >= 0);
	expect(M[0] == M[4] && M[1] == -M[3]);
	/* coincident source points */
	memset(src, 0, sizeof src);
	expect_int(arpg_align_similarity(M, src, dst, 5), ARPG_EINVAL);
}

ARPG_TEST(align_five_points)
{
	float lm[136];
	double p[10];
	int i;

	for (i = 0; i < 68; i++)
		lm[2 * i] = (float)i, lm[2 * i + 1] = (float)(100 + i);
	arpg_align_five(p, lm);
	expect_near(p[0], 38.5, 1e-9);	/* mean of 36..41 */
	expect_near(p[3], 144.5, 1e-9);	/* mean of 42..47 */
	expect_near(p[4], 30, 0);
	expect_near(p[6], 48, 0);
	expect_near(p[9], 154, 0);
}

ARPG_TEST(align_warp_identity_and_half_pixel)
{
	struct arpg_image src, dst;
	double I[6] = { 1, 0, 0, 0, 1, 0 }, H[6] = { 1, 0, -0.5, 0, 1, 0 };
	int x, y;

	expect_int(arpg_image_alloc(&src, 8, 8, 3), 0);
	for (y = 0; y < 8; y++)
		for (x = 0; x < 24; x++)
			src.px[y * 24 + x] = (uint8_t)(y * 30 + x);
	expect_int(arpg_align_warp(&dst, &src, I, 8), 0);
	expect(memcmp(dst.px, src.px, 8 * 8 * 3) == 0);
	arpg_image_free(&dst);
	/* x' = x - 0.5: dst(x) = src(x + 0.5), the mean of neighbours; the last
	 * column mixes with the black border */
	expect_int(arpg_align_warp(&dst, &src, H, 8), 0);
	expect_int(dst.px[0], (src.px[0] + src.px[3] + 1) / 2);
	expect_int(dst.px[2 * 24 + 7 * 3 + 1], (src.px[2 * 24 + 7 * 3 + 1] + 1) / 2);
	arpg_image_free(&dst);
	/* far outside: black */
	H[2] = -1000;
	expect_int(arpg_align_warp(&dst, &src, H, 8), 0);
	expect_int(dst.px[5], 0);
	arpg_image_free(&dst);
	expect_int(arpg_align_warp(&dst, &src, I, 0), ARPG_EINVAL);
	arpg_image_free(&src);
}

ARPG_TEST(align_centre_crop)
{
	double M[6];

	arpg_align_centre(M, 640, 480, 112);
	expect_near(M[0], 112.0 / 480, 1e-12);
	/* the square's left edge (pixel 80's left side, x = 79.5) -> -0.5 */
	expect_near(M[0] * 79.5 + M[2], -0.5, 1e-9);
	expect_near(M[4] * 479.5 + M[5], 111.5, 1e-9);
	/* odd offsets round down to even, as crop.c does: (98 - 61) / 2 = 18 */
	arpg_align_centre(M, 98, 61, 112);
	expect_near(M[2], 112.0 / 61 * (0.5 - 18) - 0.5, 1e-9);
	arpg_align_centre(M, 100, 61, 112);
	expect_near(M[2], 112.0 / 61 * (0.5 - 18) - 0.5, 1e-9);
}
