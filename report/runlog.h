/* runlog.h - arpg-train's JSON lines, read into plain arrays (json-c).
 *
 * A log holds what arpg-train(1) writes on standard output:
 *   - per epoch and split objects, gathered into one series per run (and
 *     fold): the train and the val points in epoch order;
 *   - "summary" objects (run, fold, folds) with labels and a confusion matrix;
 *   - the rows of a final {"table":[...]} after a sweep.
 * Every name is a short caption built from the settings that differ between
 * the runs of the log (e.g. "run 3  trs=all fusion=concat"), so that figures
 * can be told apart without repeating the settings every run shares.
 * The log owns every string and array; free it with rl_log_free.
 */
#ifndef REPORT_RUNLOG_H
#define REPORT_RUNLOG_H

#include <stdio.h>

struct rl_point {
	int epoch;
	double loss, war, uar, f1;
};

/* One run (or one fold of a run): its epochs, each split in epoch order. */
struct rl_series {
	int run, fold;			/* fold 0: no folds */
	char *settings;			/* the settings object as compact JSON */
	char *caption;			/* e.g. "run 2 fold 1  trs=all" */
	struct rl_point *pt[2];		/* [0] train, [1] val */
	int n[2];
	size_t cap[2];
};

struct rl_summary {
	char *kind;			/* "run", "fold" or "folds" */
	int run, fold;
	char *settings;
	char *caption;
	double war, uar, f1;		/* of the final epoch (or pooled, for "folds"); NaN if absent */
	int nlabels;
	char **labels;
	long *confusion;		/* nlabels x nlabels, rows true, columns predicted */
};

struct rl_row {
	char *caption;			/* the settings that differ between rows, "k=v k=v" */
	int runs;
	double war_mean, war_std, uar_mean, uar_std;
};

struct rl_log {
	struct rl_series *series;
	int nseries;
	size_t capseries;
	struct rl_summary *sum;
	int nsum;
	size_t capsum;
	struct rl_row *rows;
	int nrows;
	long lines;			/* JSON lines read */
};

/* Reads JSON lines from f (name for messages) into *log, which the caller
 * zeroes first.  Blank lines are skipped; a line that is not a JSON object,
 * or an object of none of the kinds above, is ARPG_EFORMAT with the line
 * number and the reason in err.  No line at all is ARPG_EFORMAT too
 * ("no JSON lines: is this arpg-train's standard output?").  ARPG_EIO on a
 * read error, ARPG_ENOMEM.  On failure *log keeps what was read; free it. */
int rl_log_read(struct rl_log *log, FILE *f, char *err, size_t errn);

void rl_log_free(struct rl_log *log);

#endif
