/* frames.h - --per-frame (issue 18: Aff-Wild2, the ABAW protocol): a class
 * per frame of long clips, learnt and scored on windows of T frames.
 *
 * Training windows: each clip of L frames is cut into windows of T
 * consecutive frames with stride T, shifted by a phase o drawn each epoch
 * per clip, uniform in [0, T): window k starts at k T - o, clamped to
 * [0, max(0, L - T)], so that every frame is in one window (two where a
 * clamped window overlaps its neighbour).  Windows without a labelled
 * frame are left out; the epoch's windows are shuffled together.
 *
 * Evaluation windows: starts 0, S, 2S, ... with S = ceil(T / 2), the last
 * one moved to L - T so that it ends with the clip.  A frame's class
 * probabilities are the mean of those of the windows that hold it, summed
 * in window order (deterministic); its class is their argmax, the first
 * of equals.  A clip shorter than T is one window whose missing frames
 * repeat its last (they carry no label and are not scored).
 *
 * Evaluation streams: a clip's features are read from the cache window
 * by window (arpg_cache_get_clip), never a whole split at once; what a
 * clip keeps is its L x C probabilities.
 *
 * Training streams too (dataset_load's FEAT_TRAIN): the train split is
 * not copied into memory (Aff-Wild2's 1.2M frames would take 39 GB as
 * float32), but read batch by batch from the cache's memory map.  At load,
 * one walk over the cache in a read transaction that is then held until
 * dataset_free (arpg_cache_hold) checks every record against its CRC-32
 * (sums), its shape against meta and the values of the grid and views
 * trained for NaN or Inf, and keeps only the records' addresses; a batch
 * then converts its windows' T-frame slices from those records (f16 or
 * f32) into the batch buffers.  The held snapshot is what makes the one
 * check enough: LMDB never rewrites the pages of a live snapshot, so the
 * bytes read are the bytes checked, and a damaged clip is named at load
 * as before.  Memory is the batch buffers and the clips' labels; the
 * cache's pages are the page cache's, which the kernel reclaims.  The
 * floats a batch receives are those the copy held, so runs are identical
 * to the bit.
 */
#ifndef TRAIN_FRAMES_H
#define TRAIN_FRAMES_H

#include <signal.h>
#include <stdint.h>

#include "data.h"
#include "model.h"
#include "progress.h"

/* A window: T frames of clip `clip` (an index into ds->clips) from start. */
struct window {
	int clip, start;
};

/* The most windows frames_train_windows makes of clips idx[0..n). */
long frames_max_windows(const struct dataset *ds, const int *idx, int n, int T);

/* An epoch's training windows of clips idx[0..n) (clips with frame
 * labels), phases drawn from *rng, into w (room for frames_max_windows),
 * shuffled; returns their number. */
long frames_train_windows(const struct dataset *ds, const int *idx, int n, int T,
			  uint64_t *rng, struct window *w);

/* The evaluation windows' starts of a clip of L frames into starts (room
 * for frames_eval_count(L, T)); returns their number. */
int frames_eval_count(int L, int T);
int frames_eval_starts(int L, int T, int *starts);

/* Copies B windows into batch buffers: app B x T x Da, patch B x T x N x
 * Dp, labels B x T (-1 for a frame without a label or past the clip's
 * end), from the clips' loaded features or their records in the cache
 * (dataset_clip_frame: the same floats).  With flip (ds->mirrored) each
 * window's view is drawn from *rng: the mirrored one with probability
 * 1/2. */
void frames_batch(const struct dataset *ds, const struct window *w, int B, int T, int flip,
		  uint64_t *rng, float *app, float *patch, int *labels);

/* Called by frames_eval with each clip's merged probabilities (L x C) and
 * its frame labels (NULL when it has none); a negative return stops. */
typedef int (*frames_clip_fn)(void *ctx, const struct clip_data *c, const float *probs);

/* Evaluates m (a per-frame model of T frames) on clips idx[0..n) of ds,
 * their features read clip by clip (whether ds holds them or not) from
 * ds->cache's held snapshot when ds has one, else from the cache in dir,
 * in batches of up to `batch` windows: adds every
 * labelled frame to cm (C x C), sets *loss to the mean over them of -log
 * of the merged probability of the true class and *nframes to the frames
 * run through the model (windows x T), and calls fn (if not NULL) per
 * clip, and adds each clip's frames to prog (if not NULL).  Returns 0,
 * ARPG_EINTR when *stop (if not NULL) was set, the
 * cache's errors or fn's, ARPG_EFORMAT (a clip whose records do not
 * match ds's meta), ARPG_ENUMERIC (features holding NaN or Inf: the
 * probabilities are not finite), ARPG_ENOMEM; err says which clip. */
int frames_eval(struct model *m, const struct dataset *ds, const char *dir, const int *idx,
		int n, int batch, long *cm, double *loss, long *nframes, frames_clip_fn fn,
		void *ctx, struct arpg_progress *prog, const volatile sig_atomic_t *stop,
		char *err, size_t errn);

#endif
