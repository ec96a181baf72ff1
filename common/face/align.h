/* align.h - 5-point ArcFace alignment: the points taken from 68 landmarks,
 * a least-squares similarity transform onto the ArcFace 112x112 template
 * (scaled to the crop size), and the bilinear warp.
 *
 * Transforms are 2x3, source -> crop: x' = M0 x + M1 y + M2,
 * y' = M3 x + M4 y + M5 (the layout cv2.warpAffine takes).
 */
#ifndef ARPG_FACE_ALIGN_H
#define ARPG_FACE_ALIGN_H

#include "image.h"

/* The ArcFace template (x0 y0 .. x4 y4: left eye, right eye, nose tip, left
 * and right mouth corner) for a size x size crop: the 112 template times
 * size / 112. */
void arpg_align_template(double dst[10], int size);

/* The 5 points from dlib's 68 (x0 y0 ... x67 y67): eye centres = mean of
 * 36-41 and of 42-47, nose tip 30, mouth corners 48 and 54. */
void arpg_align_five(double pts[10], const float *lm68);

/* Least-squares similarity (rotation, uniform scale, translation; no
 * reflection) taking src[0..n) to dst[0..n) (x y pairs), as Umeyama's
 * method gives it.  n >= 2.  Returns 0, or ARPG_EINVAL when the source
 * points all coincide (or are not finite). */
int arpg_align_similarity(double M[6], const double *src, const double *dst, int n);

/* The transform of a face: five points of lm68 onto the template at size. */
int arpg_align_transform(double M[6], const float *lm68, int size);

/* The transform of the centre crop: the largest centred square of a w x h
 * frame (its corner on even offsets) scaled to size x size, pixel centres
 * to pixel centres: the same square and M as --no-align's (crop.h). */
void arpg_align_centre(double M[6], int w, int h, int size);

/* Warps src (1 or 3 channels) through M into a new size x size image with
 * src's channel count (dst is allocated; free with arpg_image_free), as
 * cv2.warpAffine(src, M, (size, size), INTER_LINEAR, BORDER_CONSTANT, 0)
 * does, with its fixed-point arithmetic (1/32 pixel coordinate steps,
 * 15-bit weights), so the result matches OpenCV's.  Returns 0,
 * ARPG_EINVAL, ARPG_ENOMEM. */
int arpg_align_warp(struct arpg_image *dst, const struct arpg_image *src, const double M[6],
		    int size);

#endif
