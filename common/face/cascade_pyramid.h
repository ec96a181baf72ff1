/* cascade_pyramid.h - the image pyramid of one detection: the grey image
 * resized to each scale as cv::resize(..., INTER_LINEAR_EXACT) does, and
 * the integral images the window loop reads at that scale.
 *
 * One pyramid serves every level of a detection: its buffers are sized
 * once for the largest level, so the planes keep one stride and feature
 * offsets computed once hold at every level.  Not thread-safe: one per
 * detect call.
 */
#ifndef ARPG_FACE_CASCADE_PYRAMID_H
#define ARPG_FACE_CASCADE_PYRAMID_H

#include <stddef.h>
#include <stdint.h>

struct cascade_pyramid {
	int planes;		/* 1: sum; 2: and squared sum; 3: and tilted sum */
	int stride;		/* row stride of every plane: the widest level + 1 */
	size_t plane;		/* stride * (the tallest level + 1) */
	/* planes * plane values: the sum plane, the squared sum at sum + plane,
	 * the 45-degree tilted sum at sum + 2 * plane.  Each holds (h+1) rows
	 * of w+1 values for the current w x h level (first row and column 0),
	 * 32-bit and wrapping like OpenCV's CV_32S integrals. */
	uint32_t *sum;
	uint8_t *img;		/* the current level, rows iw apart */
	int iw;			/* the widest level */
	/* scratch of the resize and of the tilted sum */
	uint16_t *hrow[2];
	int *xofs, *yofs;
	uint16_t *xm, *ym;
	int32_t *ta, *tb;
	uint32_t *rowp;
};

/* Allocates p for levels up to maxw x maxh (both >= 1) with planes 1 to 3.
 * Returns 0 or ARPG_ENOMEM; either way cascade_pyramid_free(p) frees what
 * was allocated. */
int cascade_pyramid_init(struct cascade_pyramid *p, int maxw, int maxh, int planes);

/* Makes the dw x dh level (1 <= dw <= maxw, 1 <= dh <= maxh) of grey (w x h,
 * rows stride apart): grey resized into p->img as cv::resize(grey, (dw, dh),
 * INTER_LINEAR_EXACT) does (a copy at the same size, 2x2 means at exactly
 * half), then p->planes integral images of it. */
void cascade_pyramid_level(struct cascade_pyramid *p, const uint8_t *grey, int w, int h,
			   int stride, int dw, int dh);

/* Frees p's buffers (p itself belongs to the caller); p may be zeroed. */
void cascade_pyramid_free(struct cascade_pyramid *p);

#endif
