/* backbone_hog.h - the built-in HOG backbone behind the interface of
 * backbone.h (-b hog).
 *
 * Input: in_size x in_size faces, grey or RGB (hog.h converts RGB to grey).
 * Appearance: the HOG descriptor of the whole face, block-major (hog.h):
 *   13 x 13 blocks x 36 = 6084 values for 112 x 112.
 * Patch map: the same block descriptors as a (36, 13, 13) CHW map, so that
 *   the caller's adaptive average pooling to G x G gives each grid cell the
 *   mean HOG block descriptor over its region: Dp = 36 for every G.
 * sha256: SHA-256 of HOG_SETTINGS (hog.h); patch_node "hog-blocks".
 * run() is reentrant: threads may share one backbone.
 */
#ifndef FEATURES_BACKBONE_HOG_H
#define FEATURES_BACKBONE_HOG_H

#include <stddef.h>
#include "backbone.h"

/* Opens the HOG backbone for in_size x in_size faces (in_size >= 16).
 * Returns 0, ARPG_EINVAL or ARPG_ENOMEM. */
int backbone_open_hog(struct backbone **b, int in_size, int max_batch,
			   char *err, size_t errn);

#endif
