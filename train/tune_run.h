/* tune_run.h - --tune-backbone in a training run: the backbone's tail
 * (tune.h), read from the ONNX model, recomputes the appearance vectors of
 * each batch from the cache's maps (arpg-features --maps), read from the
 * memory-mapped cache clip by clip, never loaded whole; the head's
 * gradient with respect to them (model_set_dapp) trains the tail with its
 * own Adam at --lr-backbone.
 *
 * Memory: the tail's parameters, gradients and Adam moments (4 x 25 M
 * floats, 400 MB, for an iresnet50's stage 4 and its 25088 x 512 fc), the
 * activations of a whole batch's frames, max_batch x T (about 3.6 MB a
 * frame for an iresnet50: 1.85 GB at batch 32, T 16), which the batch's
 * one forward keeps for its backward, their gradients for TUNE_BWD_N
 * frames at a time (230 MB), the im2col scratch (up to 2 x 64 MB), the
 * Winograd convolutions' transformed filters, forward and input gradient,
 * and a copy of the filters they were made from (tune.h's struct
 * tune_wino: 380 MB for an iresnet50, measured as the growth of the
 * maximum resident set, 2.42 to 2.81 GB at bench/tune.sh's batch), the
 * tuned appearance vectors of the evaluated clips (T x Da floats each);
 * the maps stay in the cache's map, which the kernel pages in and out,
 * and are read straight into the tail's input.  A forward per batch, not
 * per clip, makes the GEMMs wide and the backward needs no second forward;
 * the price is memory linear in the batch (--batch bounds it).
 *
 * Frames: a batch's clips take the frames sample_frames chooses without
 * jitter (their middle frames), as evaluation does; jitter, flip and mixup
 * are refused with tuning for now. */
#ifndef TRAIN_TUNE_RUN_H
#define TRAIN_TUNE_RUN_H

#include <stddef.h>
#include "data.h"
#include "model.h"
#include "optim.h"
#include "tune.h"
#include "tune_backbone.h"

struct tune_run;

/* Opens the cache in cache_dir (which must hold maps of the model's
 * stride-8 node: meta maps, maps_shape and patch_node; its backbone's
 * SHA-256 must be the file's) and reads the tail of the ONNX model at
 * path; makes the tail's Adam (lr) and the buffers of batches of up to
 * max_batch clips of T frames, registering m's dapp.  0, or a negative
 * code with the reason in err. */
int tune_run_open(struct tune_run **r, const char *path, const char *cache_dir,
		  const struct dataset *ds, struct model *m, int max_batch, int T, double lr,
		  char *err, size_t errn);
void tune_run_free(struct tune_run *r);

/* Overwrites app (B x T x Da) with the tail's output for clips sel[0..B)
 * of ds.  0 or a negative code (a clip's maps missing or damaged). */
int tune_run_batch(struct tune_run *r, const struct dataset *ds, const int *sel, int B,
		   float *app, char *err, size_t errn);
/* After the model's backward of that batch: the tail's gradients (from
 * the values tune_run_batch's forward kept) and one Adam step. */
void tune_run_step(struct tune_run *r);
/* A dataset to evaluate clips idx[0..n) of ds with: ds's, each of these
 * clips' appearance vectors the tail's (all of its cached frames).  *out
 * is valid until the next call or tune_run_free. */
int tune_run_eval_set(struct tune_run *r, const struct dataset *ds, const int *idx, int n,
		      const struct dataset **out, char *err, size_t errn);

/* The tail (its parameters, for checkpoints and the export). */
struct tune *tune_run_tail(struct tune_run *r);
/* The tuned tail of model file ck into r (tune_backbone_restore), and
 * with opt its Adam's step and moments (--resume: the file must hold
 * them).  0, or a negative code with the reason in err. */
int tune_run_restore(struct tune_run *r, const struct checkpoint *ck, int opt, char *err,
		     size_t errn);

/* The backbone file and its tail (--export-backbone, checkpoints). */
const struct tune_backbone *tune_run_backbone(const struct tune_run *r);
/* The tail's Adam (its moments and step, for checkpoints). */
struct adam *tune_run_optimizer(struct tune_run *r);

#endif
