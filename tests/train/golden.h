/* golden.h - the PyTorch reference files of tests/train/golden/ (written
 * by make_train_golden.py and make_tune_golden.py): comment lines start with #;
 * each case is a line "case key=value ..." and named arrays
 * "NAME COUNT v1 v2 ...", closed by "end". */
#ifndef TESTS_TRAIN_GOLDEN_H
#define TESTS_TRAIN_GOLDEN_H

#include <stdio.h>

struct golden_arr {
	char name[16];
	long n;
	double *v;
};

struct golden {
	char line[400];		/* the case line after "case", without newline */
	struct golden_arr a[16];
	int na;
};

/* Reads the next case into g (overwritten; golden_free releases it): 1,
 * 0 at the end of the file, -1 when the file is malformed. */
int golden_read(FILE *f, struct golden *g);
void golden_free(struct golden *g);
/* The array called name, or NULL. */
const struct golden_arr *golden_find(const struct golden *g, const char *name);
/* key=N of the case line as an int, -1 when absent. */
int golden_int(const struct golden *g, const char *key);
/* A malloc'ed float copy of a (NULL without memory). */
float *golden_f32(const struct golden_arr *a);
/* Normwise relative error max|got - want| / max|want| (a NaN is infinite). */
double golden_relerr(const float *got, const double *want, long n);

#endif
