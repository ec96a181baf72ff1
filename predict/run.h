/* run.h - an arpg-predict run: the model's settings read, the inputs
 * through arpg-preprocess, arpg-features and arpg-train --predict in a
 * private folder, the predictions printed, the folder removed.
 */
#ifndef PREDICT_RUN_H
#define PREDICT_RUN_H

#include <signal.h>

struct predict_opts {
	const char *model;		/* -m */
	const char *backbone;		/* -b FILE, or NULL: the model's */
	const char *keep;		/* --keep DIR, or NULL: a temporary folder */
	const char *preprocess;		/* --preprocess SETTINGS, or NULL: the model's */
	const char *layout;		/* -l, or NULL: dir for dataset inputs */
	int json, per_frame;
	int jobs;			/* -j, 0: the programs' default */
	int verbosity;
	char *const *inputs;
	int ninputs;
	volatile sig_atomic_t *stop;	/* the signal that asks to stop, or 0 */
};

/* Runs o; returns the exit status: 0 every clip predicted, 1 a failure
 * (some inputs or clips, reported, the others' predictions printed; or
 * the whole run), 2 an option the model cannot serve (--per-frame),
 * 128 + N when signal N stopped it.  *stdout_gone is set when standard
 * output's reader went away (then not to be closed as an error). */
int predict_run(const struct predict_opts *o, int *stdout_gone);

#endif
