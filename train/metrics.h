/* metrics.h - classification metrics from a confusion matrix.
 *
 * cm is C x C, row = true class, column = predicted class.
 *   WAR      accuracy: trace / total
 *   UAR      mean recall over the classes that occur (row sum > 0)
 *   macro-F1 mean F1 over the classes that occur; a class never predicted
 *            has precision 0 and so F1 0
 */
#ifndef TRAIN_METRICS_H
#define TRAIN_METRICS_H

struct metrics {
	long n;			/* clips counted */
	double loss;		/* mean loss, when the caller sets it */
	double war, uar, f1;
};

void metrics_from_confusion(struct metrics *m, const long *cm, int C);

/* The predicted class of scores v[0..n): the first of the largest. */
int metrics_argmax(const float *v, int n);

/* The F1 of class c (0 when it neither occurs nor is predicted). */
double metrics_class_f1(const long *cm, int C, int c);

#endif
