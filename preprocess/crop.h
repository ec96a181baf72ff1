/* crop.h - the centre square of a decoded frame, scaled to size x size RGB.
 *
 * Used for every frame with --no-align, and while face alignment is not
 * built.  The square's side is min(w, h); its corner is ((w - s) / 2,
 * (h - s) / 2) rounded down to the chroma subsampling grid (even offsets
 * for 4:2:0), so that the crop is taken straight from the decoded planes;
 * libswscale then converts and scales in one pass with SWS_BICUBIC, the
 * default of FFmpeg's scale filter.
 *
 * The transform M maps source pixel centres to crop pixel centres:
 *   x' = M0 x + M1 y + M2,  y' = M3 x + M4 y + M5,
 * with k = size / s: M = { k, 0, k (0.5 - x0) - 0.5,  0, k, k (0.5 - y0) - 0.5 }.
 */
#ifndef PREPROCESS_CROP_H
#define PREPROCESS_CROP_H

#include "image.h"

struct AVFrame;
struct cropper;

/* A cropper for one thread (it caches a libswscale context).  size is the
 * side of the output, 1..4096.  ARPG_EINVAL, ARPG_ENOMEM. */
int cropper_new(struct cropper **c, int size);
void cropper_free(struct cropper *c);

/* Writes the centre square of f into out (allocated on first use,
 * size x size x 3) and the source -> crop transform into M.  Returns 0,
 * ARPG_ENOMEM, ARPG_EDECODE (a pixel format libswscale cannot read). */
int crop_centre(struct cropper *c, const struct AVFrame *f, struct arpg_image *out,
		     double M[6]);

#endif
