/* sweep.h - the options that take lists of values (--trs 1,2,4,all): their
 * values, the combinations a sweep runs, and the table of the mean and
 * standard deviation over seeds that ends a sweep.
 *
 * A struct sweep is plain configuration, owned by main: filled from the
 * options, then only read.
 */
#ifndef TRAIN_SWEEP_H
#define TRAIN_SWEEP_H

#include <stdint.h>
#include <stdio.h>

#include "model.h"
#include "run.h"

enum { SWEEP_MAX_VALUES = 32 };

/* The default value of --grid: the first grid of the cache, which the
 * experiment puts in its place once the cache is open. */
#define SWEEP_FIRST_GRID "first"


/* The options, in the order of the JSON settings; the seed, last, varies
 * fastest among the combinations, and the grid, first, slowest (a grid's
 * combinations are consecutive, so that its cache is loaded once). */
enum sweep_option {
	SW_GRID, SW_TRS, SW_EDGES, SW_FUSION, SW_MODALITY, SW_DIM, SW_HEADS, SW_REL, SW_FUS,
	SW_OPTIMIZER, SW_LR, SW_SCHEDULE, SW_DROPOUT, SW_SMOOTHING, SW_CLASS_WEIGHTS, SW_AUGMENT,
	SW_SEED, SW_COUNT
};

/* One option's values, as given. */
struct sweep_list {
	int n;				/* 1 to SWEEP_MAX_VALUES */
	char *v[SWEEP_MAX_VALUES];	/* into buf */
	char *buf;
};

struct sweep {
	struct sweep_list opt[SW_COUNT];
};

/* The option's long name without "--", also its JSON key ("rel-layers"). */
const char *sweep_name(enum sweep_option i);
/* What a value of option i must be, for messages ("a number from 1 to
 * 65536"). */
const char *sweep_expect(enum sweep_option i);

/* Sets every option to its one default value (arpg-train --help).
 * Returns 0 or ARPG_ENOMEM; free with sweep_free either way. */
int sweep_init(struct sweep *sw);
void sweep_free(struct sweep *sw);

/* Sets option i's values from arg: values separated by ',' (by ':' for
 * --edges and --augment, whose values are comma lists themselves).  Values are not
 * checked here (sweep_check does).  Returns 0, ARPG_EINVAL for an empty
 * value or more than SWEEP_MAX_VALUES, ARPG_ENOMEM; on failure the option
 * keeps its values. */
int sweep_set(struct sweep *sw, enum sweep_option i, const char *arg);

/* Checks that every value of every option reads as that option's value.
 * Returns 0, or ARPG_EINVAL with *opt and *val the first bad one (values
 * first in the first position of each list, then the rest, option by
 * option). */
int sweep_check(const struct sweep *sw, int *opt, int *val);

/* The number of combinations: the product of the lists' lengths. */
long sweep_count(const struct sweep *sw);

/* The value indices k[SW_COUNT] of combination combo (0 to count - 1):
 * the last option varies fastest. */
void sweep_combo(const struct sweep *sw, long combo, int *k);

/* Fills c with model_config_default and the values k[] of the model
 * options, t with those of the training options.  The values must have
 * passed sweep_check (ARPG_EINVAL otherwise). */
int sweep_config(const struct sweep *sw, const int *k, struct model_config *c,
		 struct train_config *t);

/* Writes "name":value for every option (comma-separated, no braces), the
 * value a JSON number when it reads as one (--edges and --augment always a
 * string); the
 * seed only when with_seed. */
void sweep_json(FILE *f, const struct sweep *sw, const int *k, int with_seed);

/* What a table keeps of a run (or of a combination's folds, averaged):
 * the metrics of its best validation epoch (highest WAR) and of its last. */
struct sweep_result {
	double best_epoch, best_war, best_uar, best_f1;
	double final_war, final_uar, final_f1;
};

/* The runs of one setting over its seeds: a row of the table. */
struct sweep_row {
	int key[SW_COUNT];	/* value indices; the seed's is that of the first run */
	int n;
	struct sweep_result r[SWEEP_MAX_VALUES];
};

struct sweep_table {
	int n;
	size_t cap;
	struct sweep_row *rows;		/* in the order of their first run */
};

/* Adds a run's result to the row of its setting (k without the seed),
 * which it creates at the setting's first run.  A table starts all zero.
 * Returns 0, ARPG_ENOMEM, or ARPG_ERANGE past SWEEP_MAX_VALUES runs of a
 * setting. */
int sweep_table_add(struct sweep_table *t, const int *k, const struct sweep_result *res);
void sweep_table_free(struct sweep_table *t);

/* The mean of v[0..n) and its sample standard deviation (0 for n < 2). */
void sweep_mean_std(const double *v, int n, double *mean, double *sd);

/* Writes the table as one JSON line {"table":[...]} to json: per row the
 * setting, "runs", then "best" (the mean and sample standard deviation over
 * its runs of the best validation epoch's number, WAR, UAR and F1:
 * "epoch_mean", "epoch_std", "war_mean", ...) and "final" (those of the
 * last epoch, without the epoch).  When human is not NULL, also as text
 * columns (the options that vary, then runs, then the best and the final
 * metrics in percent, mean +- sd) to human. */
void sweep_table_print(const struct sweep_table *t, const struct sweep *sw, FILE *json,
		       FILE *human);

#endif
