/* hog.h - histograms of oriented gradients (Dalal & Triggs), the built-in
 * backbone of arpg-features.
 *
 * Settings (fixed; arpg-features(1) documents them, and they are hashed
 * into the cache's backbone_sha256):
 *   grey      0.299 R + 0.587 G + 0.114 B (a grey image is taken as is)
 *   gradient  centred differences [-1 0 1] in x and y; 0 on the border
 *             rows and columns (as scikit-image does)
 *   bins      9 unsigned orientations over [0, 180) degrees, bin b centred
 *             at (b + 0.5) * 20 degrees; a pixel's gradient magnitude is
 *             split linearly between the two nearest bin centres
 *             (circularly); no spatial interpolation
 *   cell      8 x 8 pixels: a 112 x 112 face has 14 x 14 cells (pixels past
 *             the last whole cell are ignored)
 *   block     2 x 2 cells, stride 1 cell (13 x 13 blocks for 112 x 112),
 *             36 values: cells in row-major order, 9 bins each
 *   norm      L2-Hys: v / sqrt(|v|^2 + eps^2), clipped at 0.2, normalised
 *             again, eps = 1e-3 (a flat block stays all zero)
 * The descriptor is the blocks in row-major order: (by, bx, 36) floats.
 */
#ifndef FEATURES_HOG_H
#define FEATURES_HOG_H

#include <stddef.h>
#include "image.h"

enum { HOG_CELL = 8, HOG_BLOCK = 2, HOG_BINS = 9,
       HOG_BLOCK_DIM = HOG_BLOCK * HOG_BLOCK * HOG_BINS };

/* The settings above as one line of text; backbone_sha256 of a hog cache
 * is the SHA-256 of this string. */
#define HOG_SETTINGS \
	"hog v1: grey 0.299/0.587/0.114; gradient [-1 0 1], zero border; " \
	"9 unsigned bins over 0-180 deg, linear between bin centres; cell 8x8 px; " \
	"block 2x2 cells stride 1 cell; L2-Hys clip 0.2 eps 1e-3; block-major (by,bx,cy,cx,bin)"

/* Blocks across (*bx) and down (*by) for a w x h image; 0 when the image
 * is smaller than one block (16 x 16 pixels). */
void hog_blocks(int w, int h, int *bx, int *by);

/* Computes the descriptor of im (grey or RGB) into out, which has room for
 * bx * by * HOG_BLOCK_DIM floats, laid out (by, bx, 36).  Returns 0,
 * ARPG_EINVAL (image smaller than a block or c not 1 or 3) or ARPG_ENOMEM. */
int hog_compute(float *out, const struct arpg_image *im);

#endif
