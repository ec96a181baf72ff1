/* cascade_pyramid.c - the levels of a detection's image pyramid: OpenCV's
 * bit-exact bilinear resize and the integral images of each level.
 *
 * Debian's OpenCV 4.6 resizes with INTER_LINEAR_EXACT in detectMultiScale:
 * with the plain fixed-point INTER_LINEAR, 2 to 3 raw windows in 45 differ
 * on astronaut.png and grouped boxes move by a pixel or two.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cascade_pyramid.h"
#include "cascade_impl.h"
#include "error.h"

/* cv::resize(..., INTER_LINEAR_EXACT) for 8-bit grey (OpenCV's
 * resize_bitExact): coefficients in 8 fractional bits, the horizontal pass
 * kept in 16-bit fixed point, the vertical one in 32-bit, rounded at the
 * end.  Pixels left of (above) the first full pair take the first source
 * pixel (row), those past the last pair the last one. */
static void linear_exact_coefs(int ssz, int dsz, int *ofs, uint16_t *m, int *lo, int *hi)
{
	double scale = 1. / ((double)dsz / ssz);
	int v;

	*lo = 0;
	*hi = dsz;
	for (v = 0; v < dsz; v++) {
		double f = scale * ((double)v + 0.5) - 0.5;
		int i = (int)floor(f);

		ofs[v] = 0;
		m[2 * v] = 256;
		m[2 * v + 1] = 0;
		if (i >= 0 && ssz > 1) {
			if (i < ssz - 1) {
				long c1 = lrint((f - i) * 256);

				ofs[v] = i;
				m[2 * v + 1] = (uint16_t)(c1 > 0xffff ? 0xffff : c1);
				m[2 * v] = (uint16_t)(256 - m[2 * v + 1]);
			} else {
				ofs[v] = ssz - 1;
				if (v < *hi)
					*hi = v;
			}
		} else if (v + 1 > *lo) {
			*lo = v + 1;
		}
	}
}

static void resize_linear_exact(struct cascade_pyramid *pyr, const uint8_t *src, int sw,
				int sh, int sstride, uint8_t *dst, int dw, int dh, int dstride)
{
	int *xofs = pyr->xofs, *yofs = pyr->yofs;
	uint16_t *xm = pyr->xm, *ym = pyr->ym;
	uint16_t *L0 = pyr->hrow[0], *L1 = pyr->hrow[1];
	int xlo, xhi, ylo, yhi, dx, dy;

	if (dw == sw && dh == sh) {
		for (dy = 0; dy < dh; dy++)
			memcpy(dst + (size_t)dy * dstride, src + (size_t)dy * sstride, (size_t)dw);
		return;
	}
	if (sw == 2 * dw && sh == 2 * dh) {
		for (dy = 0; dy < dh; dy++) {
			const uint8_t *a = src + (size_t)(2 * dy) * sstride, *b = a + sstride;
			uint8_t *d = dst + (size_t)dy * dstride;

			for (dx = 0; dx < dw; dx++)
				d[dx] = (uint8_t)((a[2 * dx] + a[2 * dx + 1] + b[2 * dx] +
						   b[2 * dx + 1] + 2) >> 2);
		}
		return;
	}
	linear_exact_coefs(sw, dw, xofs, xm, &xlo, &xhi);
	linear_exact_coefs(sh, dh, yofs, ym, &ylo, &yhi);
	for (dy = 0; dy < dh; dy++) {
		int r0, r1, k;
		uint16_t *L[2] = { L0, L1 };
		uint32_t c0 = ym[2 * dy], c1 = ym[2 * dy + 1];
		uint8_t *d = dst + (size_t)dy * dstride;

		if (dy < ylo) {
			r0 = r1 = 0;
			c0 = 256;
			c1 = 0;
		} else if (dy >= yhi) {
			r0 = r1 = sh - 1;
			c0 = 256;
			c1 = 0;
		} else {
			r0 = yofs[dy];
			r1 = r0 + 1;
		}
		for (k = 0; k < 2; k++) {
			const uint8_t *s = src + (size_t)(k ? r1 : r0) * sstride;
			uint16_t *D = L[k];

			for (dx = 0; dx < xlo && dx < dw; dx++)
				D[dx] = (uint16_t)(s[0] << 8);
			for (; dx < xhi; dx++) {
				uint32_t a = (uint32_t)xm[2 * dx] * s[xofs[dx]];
				uint32_t b = (uint32_t)xm[2 * dx + 1] * s[xofs[dx] + 1];
				uint32_t t;

				a = a > 0xffff ? 0xffff : a;
				b = b > 0xffff ? 0xffff : b;
				t = a + b;
				D[dx] = (uint16_t)(t > 0xffff ? 0xffff : t);
			}
			for (; dx < dw; dx++)
				D[dx] = (uint16_t)(s[xofs[dw - 1]] << 8);
		}
		for (dx = 0; dx < dw; dx++) {
			uint64_t v = (uint64_t)L0[dx] * c0 + (uint64_t)L1[dx] * c1;
			uint64_t q = (v + (1u << 15)) >> 16;

			d[dx] = (uint8_t)(q > 255 ? 255 : q);
		}
	}
}

/* ------------------------------------------------------------ integrals */

/* sum and squared sum, (h+1) x (w+1) with a zero first row and column,
 * 32-bit wrapping as OpenCV's CV_32S integrals. */
static void integrals(const uint8_t *img, int w, int h, int istride, uint32_t *sum,
		      uint32_t *sq, int stride)
{
	int x, y;

	memset(sum, 0, sizeof *sum * (size_t)(w + 1));
	if (sq)
		memset(sq, 0, sizeof *sq * (size_t)(w + 1));
	for (y = 0; y < h; y++) {
		const uint8_t *p = img + (size_t)y * istride;
		uint32_t *s = sum + (size_t)(y + 1) * stride, *s0 = s - stride;
		uint32_t acc = 0;

		s[0] = 0;
		for (x = 0; x < w; x++) {
			acc += p[x];
			s[x + 1] = s0[x + 1] + acc;
		}
		if (sq) {
			uint32_t *q = sq + (size_t)(y + 1) * stride, *q0 = q - stride;

			acc = 0;
			q[0] = 0;
			for (x = 0; x < w; x++) {
				acc += (uint32_t)p[x] * p[x];
				q[x + 1] = q0[x + 1] + acc;
			}
		}
	}
}

/* OpenCV's 45-degree integral: T(Y, X) = sum of I(r, c) over r < Y and
 * |c - (X - 1)| <= Y - 1 - r, for 0 <= X <= w.  With P(r, k) the sum of
 * row r's first k pixels (k clamped to [0, w]),
 *	T(Y, X) = sum_{r<Y} P(r, X + Y - r) - P(r, X - Y + r),
 * so two diagonal accumulators A[k] = sum_r P(r, k - r) (k in [0, w+h]) and
 * B[m] = sum_r P(r, m + r) (m in [-h, w]) give every row. */
static void tilted_integral(struct cascade_pyramid *pyr, const uint8_t *img, int w, int h,
			    int istride, uint32_t *t, int stride)
{
	int32_t *A = pyr->ta, *B = pyr->tb;	/* B indexed m + h */
	uint32_t *P = pyr->rowp;
	int x, y, k;

	memset(t, 0, sizeof *t * (size_t)(w + 1));
	memset(A, 0, sizeof *A * (size_t)(w + h + 2));
	memset(B, 0, sizeof *B * (size_t)(w + h + 2));
	for (y = 0; y < h; y++) {
		const uint8_t *p = img + (size_t)y * istride;
		uint32_t *row = t + (size_t)(y + 1) * stride;
		int Y = y + 1;

		P[0] = 0;
		for (x = 0; x < w; x++)
			P[x + 1] = P[x] + p[x];
		/* add row r = y: A[k] += P(y, k - y), B[m] += P(y, m + y) */
		for (k = 0; k <= w + h; k++) {
			int j = k - y;

			A[k] += (int32_t)P[j < 0 ? 0 : j > w ? w : j];
		}
		for (k = 0; k <= w + h; k++) {
			int j = k - h + y;

			B[k] += (int32_t)P[j < 0 ? 0 : j > w ? w : j];
		}
		for (x = 0; x <= w; x++)
			row[x] = (uint32_t)A[x + Y - 1] - (uint32_t)B[x - Y + h];
	}
}

int cascade_pyramid_init(struct cascade_pyramid *p, int maxw, int maxh, int planes)
{
	memset(p, 0, sizeof *p);
	p->planes = planes;
	p->stride = maxw + 1;
	p->plane = (size_t)p->stride * (maxh + 1);
	p->iw = maxw;
	p->img = malloc((size_t)maxw * maxh);
	p->sum = malloc(sizeof *p->sum * p->plane * planes);
	p->hrow[0] = malloc(sizeof(uint16_t) * (size_t)maxw);
	p->hrow[1] = malloc(sizeof(uint16_t) * (size_t)maxw);
	p->xofs = malloc(sizeof(int) * (size_t)maxw);
	p->xm = malloc(sizeof(uint16_t) * 2 * (size_t)maxw);
	p->yofs = malloc(sizeof(int) * (size_t)maxh);
	p->ym = malloc(sizeof(uint16_t) * 2 * (size_t)maxh);
	if (!p->img || !p->sum || !p->hrow[0] || !p->hrow[1] || !p->xofs || !p->xm || !p->yofs ||
	    !p->ym)
		return ARPG_ENOMEM;
	if (planes == 3) {
		p->ta = malloc(sizeof(int32_t) * (size_t)(maxw + maxh + 2));
		p->tb = malloc(sizeof(int32_t) * (size_t)(maxw + maxh + 2));
		p->rowp = malloc(sizeof(uint32_t) * (size_t)(maxw + 1));
		if (!p->ta || !p->tb || !p->rowp)
			return ARPG_ENOMEM;
	}
	return 0;
}

void cascade_pyramid_level(struct cascade_pyramid *p, const uint8_t *grey, int w, int h,
			   int stride, int dw, int dh)
{
	resize_linear_exact(p, grey, w, h, stride, p->img, dw, dh, p->iw);
	integrals(p->img, dw, dh, p->iw, p->sum, p->planes >= 2 ? p->sum + p->plane : NULL,
		  p->stride);
	if (p->planes == 3)
		tilted_integral(p, p->img, dw, dh, p->iw, p->sum + 2 * p->plane, p->stride);
}

void cascade_pyramid_free(struct cascade_pyramid *p)
{
	free(p->img);
	free(p->sum);
	free(p->hrow[0]);
	free(p->hrow[1]);
	free(p->xofs);
	free(p->xm);
	free(p->yofs);
	free(p->ym);
	free(p->ta);
	free(p->tb);
	free(p->rowp);
	memset(p, 0, sizeof *p);
}
