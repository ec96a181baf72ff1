/* hog.c - histograms of oriented gradients; settings in hog.h. */
#include "hog.h"
#include "error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void hog_blocks(int w, int h, int *bx, int *by)
{
	int cx = w / HOG_CELL, cy = h / HOG_CELL;

	*bx = cx >= HOG_BLOCK ? cx - HOG_BLOCK + 1 : 0;
	*by = cy >= HOG_BLOCK ? cy - HOG_BLOCK + 1 : 0;
	if (!*bx || !*by)
		*bx = *by = 0;
}

/* grey (h, w) from im */
static void to_grey(float *g, const struct arpg_image *im)
{
	size_t i, n = (size_t)im->w * (size_t)im->h;
	const uint8_t *p = im->px;

	if (im->c == 1) {
		for (i = 0; i < n; i++)
			g[i] = p[i];
		return;
	}
	for (i = 0; i < n; i++)
		g[i] = 0.299f * p[3 * i] + 0.587f * p[3 * i + 1] + 0.114f * p[3 * i + 2];
}

/* Adds one row of pixels y (1 <= y < h-1) to the histograms of its cell
 * row: mag and pos are scratch rows of w floats. */
static void row_gradients(float *mag, float *pos, const float *g, int w, int y)
{
	const float *up = g + (size_t)(y - 1) * w, *dn = g + (size_t)(y + 1) * w;
	const float *row = g + (size_t)y * w;
	const float to_bin = (float)HOG_BINS / (float)M_PI;
	int x;

	mag[0] = mag[w - 1] = 0;
	pos[0] = pos[w - 1] = 0;
	for (x = 1; x < w - 1; x++) {
		float gx = row[x + 1] - row[x - 1], gy = dn[x] - up[x];
		float th;

		mag[x] = sqrtf(gx * gx + gy * gy);
		/* unsigned orientation in [0, pi) */
		th = atan2f(gy, gx);
		if (th < 0)
			th += (float)M_PI;
		/* continuous bin position relative to bin centres */
		pos[x] = th * to_bin - 0.5f;
	}
}

int hog_compute(float *out, const struct arpg_image *im)
{
	const int C = HOG_CELL, NB = HOG_BINS;
	int w = im->w, h = im->h, bx, by, ncx, ncy, x, y, i, j;
	float *g, *mag, *pos, *hist;
	size_t nh;

	hog_blocks(w, h, &bx, &by);
	if (!bx || (im->c != 1 && im->c != 3))
		return ARPG_EINVAL;
	ncx = w / C;
	ncy = h / C;
	nh = (size_t)ncx * ncy * NB;
	g = malloc(sizeof *g * ((size_t)w * h + 2 * (size_t)w + nh));
	if (!g)
		return ARPG_ENOMEM;
	mag = g + (size_t)w * h;
	pos = mag + w;
	hist = pos + w;
	memset(hist, 0, sizeof *hist * nh);
	to_grey(g, im);
	/* rows 0 and h-1 have zero gradient: they add nothing */
	for (y = 1; y < h - 1 && y < ncy * C; y++) {
		float *hrow = hist + (size_t)(y / C) * ncx * NB;

		row_gradients(mag, pos, g, w, y);
		for (x = 1; x < ncx * C && x < w - 1; x++) {
			float p = pos[x], f = floorf(p), w1 = p - f;
			int b0 = (int)f, b1;
			float *hc = hrow + (size_t)(x / C) * NB;

			if (b0 < 0)
				b0 += NB;	/* p in [-0.5, 0): between bin 8 and bin 0 */
			if (b0 >= NB)
				b0 -= NB;
			b1 = b0 + 1 == NB ? 0 : b0 + 1;
			hc[b0] += mag[x] * (1 - w1);
			hc[b1] += mag[x] * w1;
		}
	}
	/* blocks, L2-Hys */
	for (i = 0; i < by; i++) {
		for (j = 0; j < bx; j++) {
			float *v = out + ((size_t)i * bx + j) * HOG_BLOCK_DIM;
			const float eps2 = 1e-6f;
			double ss = 0;
			float s;
			int k, a, b;

			for (a = 0; a < HOG_BLOCK; a++)
				for (b = 0; b < HOG_BLOCK; b++)
					memcpy(v + (a * HOG_BLOCK + b) * NB,
					       hist + ((size_t)(i + a) * ncx + (j + b)) * NB,
					       sizeof *v * NB);
			for (k = 0; k < HOG_BLOCK_DIM; k++)
				ss += (double)v[k] * v[k];
			s = (float)(1.0 / sqrt(ss + eps2));
			ss = 0;
			for (k = 0; k < HOG_BLOCK_DIM; k++) {
				v[k] *= s;
				if (v[k] > 0.2f)
					v[k] = 0.2f;
				ss += (double)v[k] * v[k];
			}
			s = (float)(1.0 / sqrt(ss + eps2));
			for (k = 0; k < HOG_BLOCK_DIM; k++)
				v[k] *= s;
		}
	}
	free(g);
	return 0;
}
