/* cache.h - the feature cache: one LMDB environment (a directory) with the
 * named databases meta, clips, app and patch, as arpg-cache(5) documents.
 *
 *   meta   key: UTF-8 name     value: UTF-8 text (format, backbone, grid, ...)
 *   clips  key: clip id        value: one line, see struct arpg_clip_info
 *   app    key: clip id        value: tensor record (T, Da), or (2, T, Da)
 *   patch  key: clip id        value: tensor record (T, nodes, Dp), or (2, ...)
 *   sums   key: clip id        value: "clips:XXXXXXXX app:XXXXXXXX patch:XXXXXXXX",
 *                              the CRC-32 (zlib's) of each record, in hex
 *   maps   key: clip id        value: tensor record (T, C, H, W): the unpooled
 *                              patch maps (arpg-features --maps); optional,
 *                              made with the first clip that has one
 *
 * The record layout follows meta (struct arpg_cache_layout): a cache made
 * with a list of grids holds, per frame, the nodes of every grid, grid
 * after grid; one made with mirrored views holds two views, the crop's
 * and its mirror's, along a leading axis.
 *
 * Every read checks a clip's records against its sums; a cache made before
 * sums existed has no sums database and its clips read unchecked.  Before
 * LMDB follows the pages of a snapshot, their structure is checked
 * (mdbcheck.h): a damaged file makes calls fail with ARPG_EDAMAGED, the
 * page named in arpg_cache_lmdb_error(), never a signal.
 * A clip's three records are written in one transaction, so a crash leaves
 * whole clips only.  The map doubles itself when full (up to a limit, if one
 * is set).  Readers open read-only with MDB_NOTLS and never block a writer;
 * any number of reader processes may run beside one writer.
 */
#ifndef ARPG_CACHE_H
#define ARPG_CACHE_H

#include <stddef.h>
#include "kv.h"
#include "tensor.h"

#define ARPG_CACHE_FORMAT "arpg-cache 1"

struct arpg_cache;

enum { ARPG_CACHE_MAX_GRIDS = 8, ARPG_CACHE_MAX_GRID = 64 };

/* How a cache's records are laid out, from its meta (arpg-cache(5)). */
struct arpg_cache_layout {
	int ngrids;				/* 1 to ARPG_CACHE_MAX_GRIDS */
	int grids[ARPG_CACHE_MAX_GRIDS];	/* meta grid, in its order */
	int nodes;				/* per frame: the sum of G*G */
	int views;				/* 1, or 2 with meta flip "yes" */
};

/* Reads a grid list, "G" or "G1,G2,..." (each 1 to ARPG_CACHE_MAX_GRID,
 * distinct, at most ARPG_CACHE_MAX_GRIDS, no spaces), into l's ngrids,
 * grids and nodes.  Returns 0 or ARPG_EINVAL (l then unchanged). */
int arpg_cache_grids_parse(struct arpg_cache_layout *l, const char *s);

/* Reads meta's grid and flip (absent or "no": one view; "yes": two) into
 * l.  Returns 0, or ARPG_EFORMAT with the reason in err. */
int arpg_cache_layout_read(struct arpg_cache_layout *l, const struct arpg_kv *meta,
			   char *err, size_t errn);

/* The index of the first node of grid G among a frame's nodes, or -1 when
 * G is not one of l's grids. */
int arpg_cache_grid_offset(const struct arpg_cache_layout *l, int G);

/* The clips value: label, split, subject (may be empty), T, the source frame
 * indices joined by ',', and the per-frame face flags ('0'/'1' x T), tab
 * separated on one line. */
struct arpg_clip_info {
	char *label, *split, *subject;
	int frames;		/* T */
	int *src;		/* T source frame indices */
	char *faces;		/* T chars '0'/'1', NUL-terminated */
	char *storage;		/* owns the strings above */
	/* T labels of the frames, -1 (none) or an index into meta
	 * frame_labels; NULL: the clip has none.  Not in the clips line: its
	 * own record (frame_labels).  Owned (malloc'd) when read; the
	 * caller's when written. */
	signed char *frame_labels;
};

/* Parses a clips value (buf[0..len), not NUL-terminated).  Returns 0,
 * ARPG_ENOMEM, or ARPG_EFORMAT with a reason in err (also for a label or
 * subject that breaks the name rule of text.h; an empty label: no label).  info must be zeroed
 * before first use; free with arpg_clip_info_free. */
int arpg_clip_info_parse(struct arpg_clip_info *info, const void *buf, size_t len,
			 char *err, size_t errn);
/* Formats info into a malloc'd line (no newline, NUL-terminated).  0,
 * ARPG_ENOMEM, or ARPG_EFORMAT if the label or subject breaks the name rule. */
int arpg_clip_info_format(char **out, size_t *outlen, const struct arpg_clip_info *info);
void arpg_clip_info_free(struct arpg_clip_info *info);

enum {
	ARPG_CACHE_READ = 0,	/* read-only; the cache must exist */
	ARPG_CACHE_WRITE = 1,	/* read-write; created (directory too) if absent */
};

/* Opens the cache in directory dir.  Reading requires the four databases
 * and meta "format" = ARPG_CACHE_FORMAT, else ARPG_EFORMAT (not a cache) or
 * ARPG_EMISMATCH (another version), or ARPG_EDAMAGED (the file's structure
 * is damaged).  A new, empty cache has no format key until the writer sets
 * meta.  err receives the detail. */
int arpg_cache_open(struct arpg_cache **c, const char *dir, int mode, char *err, size_t errn);
/* Flushes (writers) and closes; c may be NULL. */
void arpg_cache_close(struct arpg_cache *c);
/* Caps the map size in bytes (0: no cap); beyond it a put fails ARPG_EFULL. */
void arpg_cache_set_map_limit(struct arpg_cache *c, size_t bytes);
/* The LMDB error behind the last ARPG_ELMDB, as text. */
const char *arpg_cache_lmdb_error(const struct arpg_cache *c);

/* Reads meta key into a malloc'd string (*val).  ARPG_ENOENT if absent. */
int arpg_cache_meta_get(struct arpg_cache *c, const char *key, char **val);
/* Sets every key of kv in one transaction. */
int arpg_cache_meta_put(struct arpg_cache *c, const struct arpg_kv *kv);
/* Sets one key. */
int arpg_cache_meta_set(struct arpg_cache *c, const char *key, const char *val);
/* Adds every meta key and value to kv, in key order. */
int arpg_cache_meta_read(struct arpg_cache *c, struct arpg_kv *kv);
/* Calls fn for each meta key in key order; stops at a nonzero return,
 * which it returns. */
int arpg_cache_meta_foreach(struct arpg_cache *c,
			    int (*fn)(void *ctx, const char *key, const char *val), void *ctx);

/* Writes a clip's info and records in one transaction, replacing any
 * earlier ones.  app/patch are encoded tensor records; info->frame_labels,
 * when set, becomes the clip's frame_labels record (the database is made
 * with the first one, so that caches without them keep their bytes).  Grows the map and
 * retries when full.  ARPG_EFULL when the disk or the map limit is
 * reached (nothing of this clip is written). */
int arpg_cache_put_clip(struct arpg_cache *c, const char *clip_id,
			const struct arpg_clip_info *info,
			const void *app, size_t app_len, const void *patch, size_t patch_len);
/* The same with the clip's maps record (T, C, H, W) when maps is not
 * NULL; the maps database is made with the first one, so that caches
 * without maps keep their bytes.  A clip written again without maps loses
 * its old ones. */
int arpg_cache_put_clip_maps(struct arpg_cache *c, const char *clip_id,
			     const struct arpg_clip_info *info, const void *app, size_t app_len,
			     const void *patch, size_t patch_len, const void *maps,
			     size_t maps_len);
/* 1 if the clip has all three records, 0 if not, or a negative code. */
int arpg_cache_has_clip(struct arpg_cache *c, const char *clip_id);
/* Number of clips (entries of the clips database). */
int arpg_cache_count(struct arpg_cache *c, long *n);

/* What a visitor receives: the views point into LMDB's memory and are valid
 * only during the call (until arpg_cache_release while the cache is held). */
struct arpg_cache_clip {
	const char *id;
	struct arpg_clip_info info;
	struct arpg_tensor_view app, patch;
	struct arpg_tensor_view maps;	/* valid when has_maps */
	int has_maps;		/* 1: the clip has a maps record */
	int bad;		/* 0, or ARPG_EFORMAT: a record is missing, does not decode
				 * or does not match its checksum (ARPG_ENOMEM: no
				 * memory to decode it) */
	char why[200];		/* the reason when bad */
	int unchecked;		/* 1: the clip has no checksums (an older cache) */
};

/* Calls fn for each clip in key order inside one read transaction.  A clip
 * whose records are missing or fail to decode is still visited, with
 * clip->bad set; the visitor decides (verify counts it, a loader stops).  A
 * nonzero return of fn stops the walk and is returned. */
int arpg_cache_foreach(struct arpg_cache *c,
		       int (*fn)(void *ctx, const struct arpg_cache_clip *clip), void *ctx);
/* The same for one clip; ARPG_ENOENT if it is not there. */
int arpg_cache_get_clip(struct arpg_cache *c, const char *clip_id,
			int (*fn)(void *ctx, const struct arpg_cache_clip *clip), void *ctx);

/* Holds one read transaction (a snapshot) of a reader open until
 * arpg_cache_release or arpg_cache_close: arpg_cache_foreach and
 * arpg_cache_get_clip then read that snapshot, and the app and patch views
 * they hand a visitor stay valid after the call until the release (their
 * clip.info does not: it is the visitor's during the call only).  LMDB
 * writes a new version to free pages only, and a held snapshot's pages are
 * not free: the bytes of a clip found good (bad 0, its sums checked in this
 * snapshot) stay those that were checked, and a part of a record can be
 * read again later without checking the whole record again.  While held,
 * the map never moves: a map grown by another process's writer makes the
 * calls that would adopt it fail with ARPG_ELMDB; and a writer cannot reuse
 * the snapshot's pages, so a cache written meanwhile grows.  Holding again
 * is a no-op.  Returns 0, ARPG_EINVAL (a writer), ARPG_EDAMAGED or
 * ARPG_ELMDB (arpg_cache_lmdb_error says why). */
int arpg_cache_hold(struct arpg_cache *c);
/* Ends the held transaction, if any; views from it are then invalid. */
void arpg_cache_release(struct arpg_cache *c);

#endif
