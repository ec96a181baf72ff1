/* experiment.h - what arpg-train does once its options are read: load the
 * cache, then either evaluate (or predict with) a saved model, or train
 * every combination of the sweep, each on the cache's train/val split or
 * on K folds grouped by subject, resumed from a saved model or saved at
 * the end.  stdout carries the results (JSON lines, or the predictions'
 * table); stderr progress, confusion matrices and the sweep's table.
 */
#ifndef TRAIN_EXPERIMENT_H
#define TRAIN_EXPERIMENT_H

#include <signal.h>

#include "data.h"
#include "sweep.h"

/* The options that are not sweep lists. */
struct experiment {
	const char *cache;
	const char *save, *resume, *load;	/* model files, NULL when not given */
	int predict;		/* with load: a line per clip instead of metrics */
	int per_frame;		/* --per-frame: a class per frame (train/frames.h) */
	const char *abaw_dir;	/* with predict, a per-frame model: ABAW files here */
	const char *export_onnx;	/* with load: the ONNX file to write, or NULL */
	int folds;		/* K, or 0 for the cache's train/val split */
	int epochs, batch;
	int frames;		/* T, or 0 for the cache's */
	int save_every;		/* with save: also after every N epochs; 0: at the end only */
	double weight_decay, clip;
	int warmup;		/* epochs of linear learning-rate warm-up */
	int step_every;		/* --schedule step: epochs between decays */
	double step_gamma;	/* --schedule step: the factor */
	double drop_frames;	/* --augment drop: the share of frames dropped */
	double mixup_alpha;	/* --augment mixup: Beta(alpha, alpha) */
	/* --tune-backbone: the ONNX model whose tail after the stride-8 map
	 * trains over the cache's maps (train/tune_run.h), or NULL; its Adam's
	 * learning rate (--lr-backbone) */
	const char *tune_backbone;
	double lr_backbone;
	/* --export-backbone: the ONNX file to write the tuned backbone to
	 * (train/tune_backbone.h), or NULL */
	const char *export_backbone;
	/* a signal number once the program must stop; NULL: never */
	const volatile sig_atomic_t *stop;
};

/* Runs e over the sweep sw (a single combination when e->save, e->resume
 * or e->load is set: the caller checks).  The cache is loaded once per
 * grid of the sweep (--grid, or the cache's first), with a saved model's
 * grid for e->load.  Returns the exit status: 0; 1
 * after a failure it reported (a cache or model that cannot be used, too
 * few clips, a diverged run, memory); 2 when a combination of the sweep
 * is not a valid model (--dim not a multiple of --heads), which is found
 * only once the cache's shapes are known, so that combinations before it
 * have run; 128 + the signal when *e->stop was set (after saving the last
 * finished epoch with e->save, and saying so). */
int experiment_run(const struct experiment *e, const struct sweep *sw);

/* --load MODEL --export-onnx FILE: writes the saved model's head as an
 * ONNX graph (train/export.h); no cache is read.  Returns the exit
 * status: 0, or 1 after a failure it reported (a model file that is not
 * usable, a file that cannot be written). */
int experiment_export(const struct experiment *e);

/* --load MODEL --export-backbone FILE: writes the backbone a tuned model
 * (--tune-backbone) was tuned from with its tuned layers; the original
 * ONNX file is --tune-backbone's, or the one the model names, and must
 * have the SHA-256 the model records.  No cache is read.  Returns the
 * exit status: 0, or 1 after a failure it reported. */
int experiment_export_backbone(const struct experiment *e);

/* Deals the labelled clips of ds to K folds into fold[nclips] (-1 for an
 * unlabelled clip): by subject when they have subjects (the sorted subject
 * names, subject i to fold i mod K), else clip by clip in id order.
 * Returns the number of groups dealt (subjects or clips), -1 when some
 * labelled clips have a subject and others not, or ARPG_ENOMEM. */
int assign_folds(const struct dataset *ds, int K, int *fold);

/* The labelled clips of a run, in clip order, into tr (*ntr) and va
 * (*nva), each room for ds->nclips: with fold (from assign_folds) those
 * of other folds than f to train and those of fold f to evaluate; with
 * fold NULL those of split train and split val. */
void split_clips(const struct dataset *ds, const int *fold, int f, int *tr, int *ntr, int *va,
		 int *nva);

#endif
