/* run.h - one run of arpg-preprocess: the inputs are enumerated (dataset.c)
 * on the calling thread, each wanted clip is handed to -j workers
 * (clip.c), each manifest row goes to standard output as its clip
 * completes, and OUTDIR/manifest.tsv is written last, in the order the
 * clips were found.  Clips already complete are skipped and listed.
 */
#ifndef PREPROCESS_RUN_H
#define PREPROCESS_RUN_H

#include <signal.h>
#include "clip.h"
#include "dataset.h"
#include "face/tracker.h"

struct run_opts {
	const char *outdir;
	enum layout layout;
	char *const *inputs;		/* dataset folders, archives or lists */
	int ninputs;
	int jobs;			/* worker threads, >= 1 */
	int align;			/* 0: centre crops (--no-align) */
	struct arpg_face_options face;	/* with align */
	int size;			/* side of the crops */
	struct decode_options decode;
	size_t frame_memory;		/* clip_options' */
	const char *sheet;		/* contact sheet PNG to write, or NULL */
	const char *annotations;	/* affwild2: the annotation folder */
	volatile sig_atomic_t *stop;	/* set by SIGINT/SIGTERM (and by a closed stdout) */
};

/* Runs arpg-preprocess.  Reports every problem on stderr as it happens
 * (a clip, a file, an input) and a summary at the end.  Returns the exit
 * status: 0, or 1 when anything failed or the run was interrupted. */
int preprocess_run(const struct run_opts *o);

#endif
