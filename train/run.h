/* run.h - one training run (or one cross-validation fold): epochs of
 * shuffled mini-batches with Adam or AdamW under a learning-rate schedule,
 * an evaluation after each epoch, and the JSON line per epoch and split on
 * the output stream.
 */
#ifndef TRAIN_RUN_H
#define TRAIN_RUN_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "data.h"
#include "metrics.h"
#include "model.h"
#include "optim.h"
#include "tune_run.h"

/* Class weights of the loss. */
enum class_weights {
	CW_NONE = 0,
	CW_BALANCED = 1		/* n / (C n_c) over the training clips, 0 for an absent class */
};

/* Augmentations of the training clips (--augment), any union. */
enum augment {
	AUG_JITTER = 1,		/* a random frame of each of T segments, not the centre */
	AUG_FLIP = 2,		/* the cache's mirrored view of a clip, half the time */
	AUG_DROP = 4,		/* frame drop-out: fusion nodes of some frames masked */
	AUG_MIXUP = 8		/* mixup of clips within a batch */
};

/* Reads a comma list of jitter, flip, drop, mixup (or "none") into *aug.
 * 0 or ARPG_EINVAL. */
int augment_parse(const char *s, unsigned *aug);

/* The training settings a combination of the sweep sets (the network's
 * are in struct model_config). */
struct train_config {
	double lr;
	uint64_t seed;
	int optimizer;		/* enum optimizer */
	int schedule;		/* enum lr_schedule */
	float smoothing;	/* label smoothing */
	int class_weights;	/* enum class_weights */
	unsigned augment;	/* enum augment bits */
};

struct run_opts {
	int epochs;		/* train until this epoch (inclusive) */
	int start_epoch;	/* epochs already done (a resumed model) */
	int batch, T;
	float clip;		/* gradient-norm limit (<= 0: none) */
	/* the learning rate: schedule, base rate, warm-up, step's every and
	 * gamma; run_train fills its epochs and steps */
	struct lr_plan plan;
	unsigned augment;	/* enum augment bits */
	double drop_frames;	/* AUG_DROP: the share of a clip's frames dropped */
	double mixup_alpha;	/* AUG_MIXUP: lam ~ Beta(alpha, alpha) */
	uint64_t seed;		/* shuffling, jitter and dropout */
	int run_no, nruns;	/* for messages: run k of n */
	int fold_no, nfolds;	/* fold k of n, or nfolds 0 */
	const char *settings_json;	/* {"trs":...} written into each line */
	/* --per-frame (a per-frame model): training windows (train/frames.h)
	 * instead of clips, no jitter, drop or mixup; evaluation streams from
	 * the cache in dir `cache` */
	int per_frame;
	const char *cache;
	/* --tune-backbone: the tail that makes each batch's appearance
	 * vectors from the cache's maps and trains (train/tune_run.h); NULL:
	 * the cached vectors */
	struct tune_run *tune;
	FILE *out;		/* JSON lines; NULL: none */
	/* a signal number once the run must stop (checked between batches);
	 * NULL: never */
	const volatile sig_atomic_t *stop;
	/* called after each finished epoch (its JSON lines written) with ctx;
	 * a negative return stops the run with that code.  NULL: none */
	int (*epoch_end)(void *ctx, int epoch);
	void *ctx;
};

struct run_result {
	struct metrics final, best, train_final;
	int best_epoch, final_epoch;
	long *confusion;	/* C x C of the final epoch's evaluation (malloc'd) */
};

/* Trains m with opt on clips train[0..ntrain) and evaluates on
 * val[0..nval) after each epoch (nval 0: no evaluation); per frame, the
 * best epoch is that of the best macro-F1, else of the best WAR.  opt's rate is set
 * from o->plan before each step.  Returns 0, ARPG_ENUMERIC when the loss
 * becomes NaN or Inf (err says at which epoch and batch), ARPG_EINTR when
 * *o->stop was set (m and opt are then in the middle of an epoch;
 * res->final_epoch is the last finished one, or o->start_epoch),
 * ARPG_ENOMEM, or epoch_end's code. */
int run_train(struct model *m, struct adam *opt, const struct dataset *ds,
		   const struct run_opts *o, const int *train, int ntrain, const int *val,
		   int nval, struct run_result *res, char *err, size_t errn);

/* The generator of an epoch's random stream (order, augmentation,
 * dropout): a function of the seed and the epoch (1-based) only, so that a
 * resumed run continues exactly as an uninterrupted one. */
uint64_t run_epoch_rng(uint64_t seed, int epoch);

/* Evaluates m on clips idx[0..n) (middle frames, no dropout) in batches:
 * adds to the confusion matrix cm (C x C, only labelled clips), returns the
 * mean loss over labelled clips in *loss, and writes the class
 * probabilities (n x C) to probs when it is not NULL.  Returns 0, a
 * negative code, or ARPG_EINTR when *stop (if not NULL) was set. */
int run_eval(struct model *m, const struct dataset *ds, const int *idx, int n,
		  int T, int batch, long *cm, double *loss, float *probs,
		  const volatile sig_atomic_t *stop);

/* The class weights of kind cw (enum class_weights) over the labelled
 * clips idx[0..n) of ds into w (ds->C floats): CW_BALANCED gives class c
 * n / (C n_c), and 0 to a class without clips; CW_NONE all 1.  Clips with
 * frame labels count their labelled frames instead.  Returns 0 or
 * ARPG_ENOMEM. */
int class_weights(float *w, int cw, const struct dataset *ds, const int *idx, int n);

/* Writes s as a JSON string (quotes and escapes). */
void json_string(FILE *f, const char *s);

#endif
