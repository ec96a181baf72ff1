/* data.h - a feature cache loaded for training: every clip's label index,
 * split and subject, and its appearance (T x Da) and patch (T x N x Dp)
 * features of one of the cache's grids (and of its mirrored view too when
 * asked for): copied into memory as float32 (f16 records converted on
 * load), or, for --per-frame's long clips, left in the cache's memory map
 * and converted a few frames at a time as batches need them (FEAT_TRAIN).
 */
#ifndef TRAIN_DATA_H
#define TRAIN_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "cache.h"
#include "kv.h"

struct clip_data {
	char *id, *subject;	/* subject "" when the cache has none */
	int label;		/* index into labels, -1 for an unlabelled clip */
	char split[8];		/* train, val or test */
	int T;			/* frames held */
	/* --per-frame: T class indices, -1 where a frame has no label; NULL
	 * when the clip has none (or the clip's label is wanted) */
	signed char *frame_labels;
	/* T x Da, T x N x Dp; NULL for a clip whose features were not loaded
	 * (struct dataset_want's features) */
	float *app, *patch;
	float *app_m, *patch_m;	/* the mirrored view, the same shapes; NULL unless loaded */
	/* FEAT_TRAIN's train clips: the app and patch records as the cache
	 * holds them (every view, every grid, f16 or f32), checked, in the
	 * snapshot ds->cache holds; count 0 for a clip without them */
	struct arpg_tensor_view rec_app, rec_patch;
};

struct dataset {
	int nclips;
	struct clip_data *clips;
	int C;			/* classes: the cache's meta labels, in order (0: none) */
	char **labels;
	int G, N, Dp, Da;	/* G: the grid loaded, N = G*G */
	int grid_offset;	/* of grid G's nodes among a frame's in the cache */
	int frames;		/* meta frames: T of every clip, or 0 for "all" */
	struct arpg_cache_layout layout;	/* the cache's grids and views */
	int mirrored;		/* the mirrored views are loaded */
	struct arpg_kv meta;	/* the whole meta, in key order, for checkpoints */
	/* FEAT_TRAIN: the cache, open with a read transaction held
	 * (arpg_cache_hold) until dataset_free, that the clips' records point
	 * into; frames_eval reads it too.  NULL otherwise */
	struct arpg_cache *cache;
};

/* What to load of a cache. */
struct dataset_want {
	int grid;		/* one of the cache's grids; 0: the first */
	int mirror;		/* also the mirrored views (the cache must have them) */
	/* the classes of the frames, not of the clips: ds's labels are meta
	 * frame_labels (C 0 without them), each clip's frame_labels loaded,
	 * clip labels ignored (label -1) */
	int per_frame;
	int features;		/* enum dataset_features: whose features to load */
};

/* Whose features dataset_load loads; the others are read from the cache
 * when needed (train/frames.c streams them).  FEAT_TRAIN copies nothing:
 * the train split's records are checked as FEAT_ALL checks them (sums,
 * shapes, NaN/Inf in the grid and views loaded) and kept where the cache's
 * memory map holds them (rec_app, rec_patch), so that memory does not grow
 * with the split (an Aff-Wild2 train split is about 39 GB as float32). */
enum dataset_features { FEAT_ALL = 0, FEAT_TRAIN = 1, FEAT_NONE = 2 };

/* Loads the cache in dir, clips in id order (the cache's key order), as w
 * asks (NULL: the first grid, no mirrored views).  Checks every record
 * against meta (shapes, labels) and every value loaded (or, FEAT_TRAIN,
 * kept in the cache) for NaN/Inf.  With FEAT_TRAIN, ds->cache stays open,
 * its snapshot held, until dataset_free.  A
 * cache of unlabelled clips may lack meta labels (C is then 0).  Returns 0
 * (free ds with dataset_free), or a negative code with the reason in err
 * and ds empty: ARPG_EFORMAT (meta without grid, app_dim or patch_dim,
 * records that disagree with meta, a label not in meta's list),
 * ARPG_ENUMERIC (clips holding NaN or Inf, named), ARPG_ENOENT (no clips, a
 * grid the cache does not hold, mirrored views it does not hold),
 * ARPG_ENOMEM, the cache's own errors. */
int dataset_load(struct dataset *ds, const char *dir, const struct dataset_want *w, char *err,
		 size_t errn);
void dataset_free(struct dataset *ds);

/* Checks a cache clip's records (as a visitor of arpg_cache_foreach
 * receives them) against ds's meta: 0, or ARPG_EFORMAT with the reason in
 * err (a damaged clip, a record of another shape). */
int dataset_check_clip(const struct dataset *ds, const struct arpg_cache_clip *cc, char *err,
		       size_t errn);

/* Copies frame t of view `view` of a cache clip cc of T frames (as a
 * visitor of arpg_cache_foreach receives it, records checked against ds's
 * meta) into app (Da floats) and patch (N x Dp, ds's grid). */
void dataset_frame_from_cache(const struct dataset *ds, const struct arpg_cache_clip *cc,
			      int view, int T, int t, float *app, float *patch);

/* Copies frame t (0 <= t < c->T) of view `view` (0, or 1 the mirrored one
 * when ds->mirrored) of clip c into app (Da floats) and patch (N x Dp),
 * from its loaded arrays, or else from its records (FEAT_TRAIN; ds->cache
 * still open): the same floats either way.  The clip must have one or the
 * other (a clip of FEAT_NONE, or of another split, has neither). */
void dataset_clip_frame(const struct dataset *ds, const struct clip_data *c, int view, int t,
			float *app, float *patch);

/* Makes labels (a comma list: a model's classes) ds's classes, each
 * labelled clip's label found by name.  Returns 0, ARPG_EMISMATCH (a clip
 * whose label is not in the list, named in err; ds unchanged) or
 * ARPG_ENOMEM. */
int dataset_relabel(struct dataset *ds, const char *labels, char *err, size_t errn);

/* Chooses T of a clip's clip_T frames into idx (T ints, ascending): T
 * equal segments of the clip; without jitter the middle frame of each
 * (rng unused, may be NULL), with jitter a uniform random frame of each
 * (drawn from *rng, advanced).  A clip shorter than T repeats frames. */
void sample_frames(int clip_T, int T, int jitter, uint64_t *rng, int *idx);

/* Copies B clips (indices sel) into batch buffers: app B x T x Da, patch
 * B x T x N x Dp, and their labels (B, -1 for unlabelled) when labels is
 * not NULL; the frames as sample_frames chooses them, T <= 4096.  With
 * flip (ds->mirrored), each clip's view is drawn from *rng first: the
 * mirrored one with probability 1/2. */
void dataset_batch(const struct dataset *ds, const int *sel, int B, int T, int jitter,
		   int flip, uint64_t *rng, float *app, float *patch, int *labels);

#endif
