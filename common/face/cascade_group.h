/* cascade_group.h - the windows a detection accepts, and their grouping
 * into boxes as OpenCV's groupRectangles and clipObjects do.
 */
#ifndef ARPG_FACE_CASCADE_GROUP_H
#define ARPG_FACE_CASCADE_GROUP_H

#include "cascade.h"

/* A growing array of rectangles; zero it to start, free(r) when done. */
struct cascade_rects {
	struct arpg_rect *r;
	int n;
	size_t cap;
};

/* Appends (x, y, w, h).  Returns 0 or ARPG_ENOMEM (v unchanged). */
int cascade_rects_push(struct cascade_rects *v, int x, int y, int w, int h);

/* groupRectangles(v, threshold, eps) in place.  Rectangles are classed
 * together when each of their edges lies within eps * (the smaller width +
 * the smaller height) / 2 of the other's (OpenCV's partition with
 * SimilarRects, classes numbered by first appearance).  Each class of more
 * than threshold rectangles becomes its mean, rounded as OpenCV's float
 * arithmetic rounds it; a mean lying within another kept mean (widened by
 * eps of that one's size) is dropped when the other class has more members
 * than max(its own, 3), or when its own has fewer than 3.  threshold <= 0
 * leaves v as it is.  Returns 0 or ARPG_ENOMEM (v unchanged). */
int cascade_group(struct cascade_rects *v, int threshold, double eps);

/* clipObjects: every rectangle intersected with the w x h image, those
 * left empty dropped, order kept. */
void cascade_clip(struct cascade_rects *v, int w, int h);

#endif
