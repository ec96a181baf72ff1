/* meta.h - the meta keys arpg-features writes, and the check that a cache
 * was made with the same settings as a run (or as another cache).
 *
 * Keys (arpg-cache(5)): format, backbone, backbone_sha256, patch_node,
 * grid, frames ("32" or "all"), app_dim, patch_dim, dtype, input (the
 * preprocessing of the faces: "grey 112x112" for hog, "rgb|bgr 112x112
 * mean=... std=..." for a CNN), flip ("yes" with mirrored views; absent
 * without, as in caches made before the key), maps ("f16"|"f32": the
 * dtype of the maps records of --maps; absent without) and maps_shape
 * ("C,H,W"), labels (sorted comma list),
 * hog (the HOG settings, hog backbone only), writer (program and version),
 * preprocess (the clips' arpg-preprocess settings, set by run.c from each
 * clip's origin.tsv: the first clip's, or "mixed").
 * The "core" keys must agree between a cache and a run or between shards:
 * all of the above but maps_shape, labels, hog and writer; an absent flip
 * or maps reads as "no".
 */
#ifndef FEATURES_META_H
#define FEATURES_META_H

#include <stddef.h>
#include "backbone.h"
#include "cache.h"
#include "kv.h"

extern const char *const meta_core[];	/* NULL-terminated */

/* Sets the keys of a run in m (labels excluded: see labels_*).  grid is
 * the grids' list in their order ("6", "4,6,7,8"); frames 0 means all;
 * flip adds flip "yes"; maps (0 or a dtype) adds maps and maps_shape;
 * input describes the face preprocessing.  0 or ARPG_ENOMEM. */
int meta_build(struct arpg_kv *m, const struct backbone *b, const struct arpg_cache_layout *grids,
	       int frames, int dtype, int flip, int maps, const char *input);

/* Compares c's core keys with m's.  0 if they agree; ARPG_ENOENT if c has
 * no meta yet (a new cache); ARPG_EMISMATCH with "KEY: the cache has 'A',
 * this run 'B'" in err; another negative code on a read failure. */
int meta_check(struct arpg_cache *c, const struct arpg_kv *m, char *err, size_t errn);

/* Compares two caches' core keys: 0 or ARPG_EMISMATCH with the key and both
 * values in err. */
int meta_check_caches(struct arpg_cache *a, struct arpg_cache *b, char *err, size_t errn);

/* A sorted set of label names kept as a malloc'd comma list (*list, may be
 * NULL for empty).  Adds each name of the comma list add (empty names are
 * ignored).  Returns 1 if the set grew, 0 if not, ARPG_ENOMEM. */
int labels_add(char **list, const char *add);

#endif
