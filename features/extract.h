/* extract.h - one clip's features: sample its frames, read their PNGs and
 * face flags, run the backbone, pool the patch maps, encode the records.
 */
#ifndef FEATURES_EXTRACT_H
#define FEATURES_EXTRACT_H

#include <stddef.h>
#include "backbone.h"
#include "cache.h"
#include "manifest.h"

struct extract_opts {
	int frames;		/* T; 0 keeps every frame (--frames all) */
	const struct arpg_cache_layout *grids;	/* the grids, each pooled in turn */
	int dtype;		/* ARPG_F32 or ARPG_F16 */
	int want_c;		/* channels to decode PNGs to: 1 (HOG) or 3 */
	int flip;		/* also the mirrored crops: records of two views */
	int maps;		/* 0, or the dtype of a maps record (--maps; not
				 * with flip) */
};

/* What a clip becomes: the clips line and the two encoded records, ready
 * for arpg_cache_put_clip.  Free with extract_free. */
struct extract {
	struct arpg_clip_info info;	/* label etc. point into row's strings */
	int *src;
	char *faces;
	void *app, *patch;
	size_t app_len, patch_len;
	void *maps;		/* the maps record (T, C, H, W), or NULL */
	size_t maps_len;
	int no_frames_tsv;	/* flags came from the manifest's faces count */
	char *label_classes;	/* a clip labelled frame by frame: frames.tsv's
				 * classes (info.frame_labels holds the T labels) */
	double t_decode, t_backbone, t_pool, t_encode;	/* seconds in each stage */
};

/* Computes row's features with backbone b (shared; its run must be
 * reentrant when several threads call this).  The patch map of each frame
 * is pooled to every grid of o->grids, its nodes grid after grid: the
 * patch record is (T, nodes, Dp), nodes the sum of G*G.  With o->flip
 * every frame's crop is also mirrored left to right and run, and the
 * records get a leading axis of two views: (2, T, Da) and (2, T, nodes,
 * Dp), the crop's first.  With o->maps (and no flip) the unpooled maps
 * become x->maps, a record (T, C, H, W) of dtype o->maps.  PNGs are row->path/NNNNNN.png (6-digit 0-based frame index); flags come from
 * row->path/frames.tsv, or, when that file is missing, are all
 * faces > 0 ? 1 : 0 (x->no_frames_tsv set); so do the labels of a clip
 * labelled frame by frame (x->info.frame_labels, x->label_classes).  Returns 0, or a negative code
 * with the reason in err (a PNG missing or undecodable, a face of the wrong
 * size, no frames, a non-finite value for f16...). x must be zeroed first;
 * it stays valid only while row does. */
int extract_clip(struct extract *x, const struct arpg_manifest_row *row,
		      struct backbone *b, const struct extract_opts *o,
		      char *err, size_t errn);
void extract_free(struct extract *x);

#endif
