/* progress.h - progress of long work on stderr, never stdout.
 *
 * On a terminal: one line redrawn in place, "label [#####     ] 120/773
 * 15.2/s ETA 0:43", at most every 0.2 s.  Otherwise (a log file, CI): a plain
 * line at most every 10 s or 10% of the total, so logs stay short.  Quiet
 * (verbosity ARPG_QUIET) prints nothing.  Updates may come from any thread.
 */
#ifndef ARPG_PROGRESS_H
#define ARPG_PROGRESS_H

#include <pthread.h>

struct arpg_progress {
	pthread_mutex_t lock;
	const char *label;	/* e.g. "clips"; not copied */
	long total;		/* 0 when unknown (a manifest still arriving) */
	long done;
	double start, last_print;
	long last_done_printed;
	int tty, quiet, drawn;
};

/* Starts counting now.  total may be 0 (unknown). */
void arpg_progress_start(struct arpg_progress *p, const char *label, long total);
/* Raises the total as more work becomes known. */
void arpg_progress_set_total(struct arpg_progress *p, long total);
/* Adds n finished units and redraws when due. */
void arpg_progress_add(struct arpg_progress *p, long n);
/* Final line ("label: 773 in 51.0 s, 15.2/s") unless quiet; ends the bar. */
void arpg_progress_finish(struct arpg_progress *p);
/* Seconds on a monotonic clock. */
double arpg_now(void);
/* Writes h:mm:ss or m:ss into buf. */
void arpg_format_duration(char *buf, int n, double seconds);

#endif
