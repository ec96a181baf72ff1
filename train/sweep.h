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

enum { SWEEP_MAX_VALUES = 32 };

/* The options, in the order of the JSON settings; the seed, last, varies
 * fastest among the combinations. */
enum sweep_option {
	SW_TRS, SW_EDGES, SW_FUSION, SW_MODALITY, SW_DIM, SW_HEADS, SW_REL, SW_FUS, SW_LR,
	SW_DROPOUT, SW_SEED, SW_COUNT
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

/* What the option takes, in words for a message ("an integer from 1 to
 * 65536"): the limits parse_value applies. */
const char *sweep_expected(enum sweep_option i);

/* Sets every option to its one default value (arpg-train --help).
 * Returns 0 or ARPG_ENOMEM; free with sweep_free either way. */
int sweep_init(struct sweep *sw);
void sweep_free(struct sweep *sw);

/* Sets option i's values from arg: values separated by ',' (by ':' for
 * --edges, whose values are comma lists themselves).  Values are not
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
 * options, *lr and *seed with theirs.  The values must have passed
 * sweep_check (ARPG_EINVAL otherwise). */
int sweep_config(const struct sweep *sw, const int *k, struct model_config *c, double *lr,
		 uint64_t *seed);

/* Writes "name":value for every option (comma-separated, no braces), the
 * value a JSON number when it reads as one (--edges always a string); the
 * seed only when with_seed. */
void sweep_json(FILE *f, const struct sweep *sw, const int *k, int with_seed);

/* The runs of one setting over its seeds: a row of the table. */
struct sweep_row {
	int key[SW_COUNT];	/* value indices; the seed's is that of the first run */
	int n;
	double war[SWEEP_MAX_VALUES], uar[SWEEP_MAX_VALUES], f1[SWEEP_MAX_VALUES];
};

struct sweep_table {
	int n;
	size_t cap;
	struct sweep_row *rows;		/* in the order of their first run */
};

/* Adds a run's final metrics to the row of its setting (k without the
 * seed), which it creates at the setting's first run.  A table starts all
 * zero.  Returns 0, ARPG_ENOMEM, or ARPG_ERANGE past SWEEP_MAX_VALUES runs
 * of a setting. */
int sweep_table_add(struct sweep_table *t, const int *k, double war, double uar, double f1);
void sweep_table_free(struct sweep_table *t);

/* The mean of v[0..n) and its sample standard deviation (0 for n < 2). */
void sweep_mean_std(const double *v, int n, double *mean, double *sd);

/* Writes the table as one JSON line {"table":[...]} to json, and when
 * human is not NULL as text columns (the options that vary, then runs and
 * the metrics in percent, mean +- sd) to human. */
void sweep_table_print(const struct sweep_table *t, const struct sweep *sw, FILE *json,
		       FILE *human);

#endif
