/* align.c - 5-point similarity alignment onto the ArcFace template and
 * OpenCV-exact bilinear warping. */
#include "align.h"
#include "error.h"

#include <limits.h>
#include <math.h>
#include <string.h>

static const double arcface112[10] = {
	38.2946, 51.6963, 73.5318, 51.5014, 56.0252, 71.7366,
	41.5493, 92.3655, 70.7299, 92.2041,
};

void arpg_align_template(double dst[10], int size)
{
	int i;

	for (i = 0; i < 10; i++)
		dst[i] = arcface112[i] * size / 112.0;
}

void arpg_align_five(double pts[10], const float *lm68)
{
	double lx = 0, ly = 0, rx = 0, ry = 0;
	int i;

	for (i = 36; i < 42; i++) {
		lx += lm68[2 * i], ly += lm68[2 * i + 1];
		rx += lm68[2 * (i + 6)], ry += lm68[2 * (i + 6) + 1];
	}
	pts[0] = lx / 6, pts[1] = ly / 6;
	pts[2] = rx / 6, pts[3] = ry / 6;
	pts[4] = lm68[2 * 30], pts[5] = lm68[2 * 30 + 1];
	pts[6] = lm68[2 * 48], pts[7] = lm68[2 * 48 + 1];
	pts[8] = lm68[2 * 54], pts[9] = lm68[2 * 54 + 1];
}

/* Umeyama (1991), eqs. 34-43, in 2-D.  With the cross-covariance
 * C = (1/n) sum (dst_i - mu_d)(src_i - mu_s)^T, the rotation R = U S V^T
 * maximising tr(R^T C) without reflection and the scale c = tr(D S) /
 * sigma_s^2 reduce to c R = [[p, -q], [q, p]] / sigma_s^2 with p = C00 +
 * C11 and q = C10 - C01: for a 2x2 C, max over rotations of tr(R^T C) is
 * sqrt(p^2 + q^2), which equals d1 + d2 when det C >= 0 and d1 - d2 (the
 * reflection-free case Umeyama's S handles) when det C < 0. */
int arpg_align_similarity(double M[6], const double *src, const double *dst, int n)
{
	double msx = 0, msy = 0, mdx = 0, mdy = 0, ss = 0, p = 0, q = 0, a, b;
	int i;

	if (n < 2)
		return ARPG_EINVAL;
	for (i = 0; i < n; i++) {
		msx += src[2 * i], msy += src[2 * i + 1];
		mdx += dst[2 * i], mdy += dst[2 * i + 1];
	}
	msx /= n, msy /= n, mdx /= n, mdy /= n;
	for (i = 0; i < n; i++) {
		double sx = src[2 * i] - msx, sy = src[2 * i + 1] - msy;
		double dx = dst[2 * i] - mdx, dy = dst[2 * i + 1] - mdy;
		ss += sx * sx + sy * sy;
		p += dx * sx + dy * sy;
		q += dy * sx - dx * sy;
	}
	if (!(ss > 0) || !isfinite(ss) || !isfinite(p) || !isfinite(q))
		return ARPG_EINVAL;
	a = p / ss;
	b = q / ss;
	M[0] = a, M[1] = -b, M[2] = mdx - (a * msx - b * msy);
	M[3] = b, M[4] = a, M[5] = mdy - (b * msx + a * msy);
	return 0;
}

int arpg_align_transform(double M[6], const float *lm68, int size)
{
	double src[10], dst[10];

	arpg_align_five(src, lm68);
	arpg_align_template(dst, size);
	return arpg_align_similarity(M, src, dst, 5);
}

void arpg_align_centre(double M[6], int w, int h, int size)
{
	int side = w < h ? w : h;
	/* the square --no-align takes (crop.h): corner on even offsets */
	int x0 = ((w - side) / 2) & ~1, y0 = ((h - side) / 2) & ~1;
	double k = side > 0 ? (double)size / side : 1;

	M[0] = k, M[1] = 0, M[2] = k * (0.5 - x0) - 0.5;
	M[3] = 0, M[4] = k, M[5] = k * (0.5 - y0) - 0.5;
}

/* OpenCV's constants for INTER_LINEAR on 8-bit images. */
enum {
	INTER_BITS = 5,
	INTER_TAB = 1 << INTER_BITS,
	AB_BITS = 10,
	AB_SCALE = 1 << AB_BITS,
	COEF_BITS = 15,
};

/* cvRound / saturate_cast<int>(double): nearest, ties to even, clamped. */
static int round_sat(double v)
{
	if (!(v > INT_MIN))
		return v != v ? 0 : INT_MIN;
	if (v >= INT_MAX)
		return INT_MAX;
	return (int)lrint(v);
}

static int clamp_short(int v)
{
	return v < -32768 ? -32768 : v > 32767 ? 32767 : v;
}

/* The 2x2 bilinear weights for a 1/32-pixel offset (fx, fy), as OpenCV's
 * table: products of (1 - f, f), times 2^15.  At (0, 0) the weight 32768
 * saturates to 32767 and OpenCV's sum correction adds the missing 1 to the
 * bottom-right weight. */
static void bilinear_weights(int fx, int fy, int w[4])
{
	w[0] = (INTER_TAB - fy) * (INTER_TAB - fx) * 32;
	w[1] = (INTER_TAB - fy) * fx * 32;
	w[2] = fy * (INTER_TAB - fx) * 32;
	w[3] = fy * fx * 32;
	if (w[0] == 32768)
		w[0] = 32767, w[3] = 1;
}

/* One output pixel at the border: (sx, sy) the top-left neighbour, w the
 * weights; neighbours outside the image are 0 (BORDER_CONSTANT). */
static void sample_border(uint8_t *out, const struct arpg_image *src, int sx, int sy,
			  const int w[4])
{
	const int sw = src->w, sh = src->h, c = src->c;
	const size_t sstride = (size_t)sw * c;
	int in00, in01, in10, in11, k;

	if (sx >= sw || sx + 1 < 0 || sy >= sh || sy + 1 < 0) {
		for (k = 0; k < c; k++)
			out[k] = 0;
		return;
	}
	in00 = sx >= 0 && sy >= 0 && sx < sw && sy < sh;
	in01 = sx + 1 >= 0 && sy >= 0 && sx + 1 < sw && sy < sh;
	in10 = sx >= 0 && sy + 1 >= 0 && sx < sw && sy + 1 < sh;
	in11 = sx + 1 >= 0 && sy + 1 >= 0 && sx + 1 < sw && sy + 1 < sh;
	for (k = 0; k < c; k++) {
		const uint8_t *b = src->px + (size_t)k;
		int v = 0;
		if (in00)
			v += b[(size_t)sy * sstride + (size_t)sx * c] * w[0];
		if (in01)
			v += b[(size_t)sy * sstride + (size_t)(sx + 1) * c] * w[1];
		if (in10)
			v += b[(size_t)(sy + 1) * sstride + (size_t)sx * c] * w[2];
		if (in11)
			v += b[(size_t)(sy + 1) * sstride + (size_t)(sx + 1) * c] * w[3];
		out[k] = (uint8_t)((v + (1 << (COEF_BITS - 1))) >> COEF_BITS);
	}
}

/* One row of output pixels; c is a constant at each call site so that the
 * channel loop unrolls.  wtab: the weights of the 32x32 sub-pixel offsets. */
static inline __attribute__((always_inline)) void warp_row(
	uint8_t *out, const struct arpg_image *src, int X0, int Y0, const int *adelta,
	const int *bdelta, int size, const int (*wtab)[4], const int c)
{
	const unsigned sw1 = (unsigned)src->w - 1, sh1 = (unsigned)src->h - 1;
	const size_t sstride = (size_t)src->w * c;
	int x, k;

	for (x = 0; x < size; x++, out += c) {
		/* int arithmetic wraps as OpenCV's would (done in unsigned) */
		int X = (int)((unsigned)X0 + (unsigned)adelta[x]) >> (AB_BITS - INTER_BITS);
		int Y = (int)((unsigned)Y0 + (unsigned)bdelta[x]) >> (AB_BITS - INTER_BITS);
		int sx = clamp_short(X >> INTER_BITS), sy = clamp_short(Y >> INTER_BITS);
		const int *w = wtab[(Y & (INTER_TAB - 1)) * INTER_TAB + (X & (INTER_TAB - 1))];

		if ((unsigned)sx < sw1 && (unsigned)sy < sh1) {
			const uint8_t *s0 = src->px + (size_t)sy * sstride + (size_t)sx * c;
			const uint8_t *s1 = s0 + sstride;
			for (k = 0; k < c; k++) {
				int v = s0[k] * w[0] + s0[k + c] * w[1] + s1[k] * w[2] +
					s1[k + c] * w[3];
				out[k] = (uint8_t)((v + (1 << (COEF_BITS - 1))) >> COEF_BITS);
			}
		} else {
			sample_border(out, src, sx, sy, w);
		}
	}
}

int arpg_align_warp(struct arpg_image *dst, const struct arpg_image *src, const double M[6],
		    int size)
{
	double iM[6], D;
	int x, y, c = src->c, rc;
	int adelta[2048], bdelta[2048], wtab[INTER_TAB * INTER_TAB][4];

	if (size <= 0 || size > 2048 || (c != 1 && c != 3) || src->w <= 0 || src->h <= 0 ||
	    !src->px)
		return ARPG_EINVAL;
	if ((rc = arpg_image_alloc(dst, size, size, c)) < 0)
		return rc;

	/* the inverse map, computed as warpAffine does */
	D = M[0] * M[4] - M[1] * M[3];
	D = D != 0 ? 1. / D : 0;
	iM[0] = M[4] * D;
	iM[1] = M[1] * -D;
	iM[3] = M[3] * -D;
	iM[4] = M[0] * D;
	iM[2] = -iM[0] * M[2] - iM[1] * M[5];
	iM[5] = -iM[3] * M[2] - iM[4] * M[5];

	for (y = 0; y < INTER_TAB * INTER_TAB; y++)
		bilinear_weights(y % INTER_TAB, y / INTER_TAB, wtab[y]);
	for (x = 0; x < size; x++) {
		adelta[x] = round_sat(iM[0] * x * AB_SCALE);
		bdelta[x] = round_sat(iM[3] * x * AB_SCALE);
	}
	for (y = 0; y < size; y++) {
		const int round_delta = AB_SCALE / INTER_TAB / 2;
		int X0 = round_sat((iM[1] * y + iM[2]) * AB_SCALE) + round_delta;
		int Y0 = round_sat((iM[4] * y + iM[5]) * AB_SCALE) + round_delta;
		uint8_t *out = dst->px + (size_t)y * size * c;

		if (c == 3)
			warp_row(out, src, X0, Y0, adelta, bdelta, size, wtab, 3);
		else
			warp_row(out, src, X0, Y0, adelta, bdelta, size, wtab, 1);
	}
	return 0;
}
