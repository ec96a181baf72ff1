/* run.h - one training run (or one cross-validation fold): epochs of
 * shuffled mini-batches with AdamW, an evaluation after each epoch, and the
 * JSON line per epoch and split on the output stream.
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

struct run_opts {
	int epochs;		/* train until this epoch (inclusive) */
	int start_epoch;	/* epochs already done (a resumed model) */
	int batch, T;
	float clip;		/* gradient-norm limit (<= 0: none) */
	uint64_t seed;		/* shuffling, jitter and dropout */
	int run_no, nruns;	/* for messages: run k of n */
	int fold_no, nfolds;	/* fold k of n, or nfolds 0 */
	const char *settings_json;	/* {"trs":...} written into each line */
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
 * val[0..nval) after each epoch (nval 0: no evaluation).  Returns 0,
 * ARPG_ENUMERIC when the loss becomes NaN or Inf (err says at which epoch
 * and batch), ARPG_EINTR when *o->stop was set (m and opt are then in the
 * middle of an epoch; res->final_epoch is the last finished one, or
 * o->start_epoch), ARPG_ENOMEM, or epoch_end's code. */
int run_train(struct model *m, struct adamw *opt, const struct dataset *ds,
		   const struct run_opts *o, const int *train, int ntrain, const int *val,
		   int nval, struct run_result *res, char *err, size_t errn);

/* Evaluates m on clips idx[0..n) (middle frames, no dropout) in batches:
 * adds to the confusion matrix cm (C x C, only labelled clips), returns the
 * mean loss over labelled clips in *loss, and writes the class
 * probabilities (n x C) to probs when it is not NULL.  Returns 0, a
 * negative code, or ARPG_EINTR when *stop (if not NULL) was set. */
int run_eval(struct model *m, const struct dataset *ds, const int *idx, int n,
		  int T, int batch, long *cm, double *loss, float *probs,
		  const volatile sig_atomic_t *stop);

/* Writes s as a JSON string (quotes and escapes). */
void json_string(FILE *f, const char *s);

#endif
