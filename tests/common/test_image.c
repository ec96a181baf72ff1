/* PNG I/O through libpng: round trips, conversions, bad files. */
#include "harness.h"
#include "error.h"
#include "image.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void fill(struct arpg_image *im)
{
	size_t i, n = (size_t)im->w * im->h * im->c;

	for (i = 0; i < n; i++)
		im->px[i] = (uint8_t)(i * 37 + i / 7);
}

ARPG_TEST(png_round_trips_rgb_and_gray)
{
	struct arpg_image a, b;
	char err[200];
	int c;

	for (c = 1; c <= 3; c += 2) {
		expect_int(arpg_image_alloc(&a, 37, 13, c), 0);
		fill(&a);
		expect_int(arpg_png_write(&a, "x.png", 1), 0);
		expect_int(arpg_png_read(&b, "x.png", 0, err, sizeof err), 0);
		expect_int(b.w, 37);
		expect_int(b.h, 13);
		expect_int(b.c, c);
		expect(b.px && memcmp(a.px, b.px, (size_t)37 * 13 * c) == 0);
		arpg_image_free(&a);
		arpg_image_free(&b);
	}
}

ARPG_TEST(png_gray_reads_as_rgb_when_asked)
{
	struct arpg_image a, b;
	char err[200];
	void *buf;
	size_t len;

	expect_int(arpg_image_alloc(&a, 4, 3, 1), 0);
	fill(&a);
	expect_int(arpg_png_encode(&a, 6, &buf, &len), 0);
	expect_int(arpg_png_decode(&b, buf, len, 3, err, sizeof err), 0);
	expect_int(b.c, 3);
	expect_int(b.px[3 * 5 + 1], a.px[5]);
	arpg_image_free(&a);
	arpg_image_free(&b);
	free(buf);
}

ARPG_TEST(png_bad_input_is_reported)
{
	struct arpg_image a, b;
	char err[200];
	void *buf;
	size_t len;

	expect_int(arpg_png_decode(&b, "not a png at all", 16, 0, err, sizeof err), ARPG_EFORMAT);
	expect(err[0] != 0);
	expect_int(arpg_image_alloc(&a, 20, 20, 3), 0);
	fill(&a);
	expect_int(arpg_png_encode(&a, 1, &buf, &len), 0);
	expect_int(arpg_png_decode(&b, buf, len / 2, 0, err, sizeof err), ARPG_EFORMAT);
	expect(b.px == NULL);
	((unsigned char *)buf)[40] ^= 0xff;	/* CRC mismatch in a chunk */
	expect(arpg_png_decode(&b, buf, len, 0, err, sizeof err) < 0);
	expect_int(arpg_png_read(&b, "missing.png", 0, err, sizeof err), ARPG_EIO);
	expect_int(arpg_image_alloc(&b, 0, 3, 3), ARPG_EINVAL);
	expect_int(arpg_image_alloc(&b, 3, 3, 2), ARPG_EINVAL);
	arpg_image_free(&a);
	free(buf);
}
