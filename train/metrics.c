/* metrics.c - WAR, UAR and macro-F1 from a confusion matrix. */
#include "metrics.h"

void metrics_from_confusion(struct metrics *m, const long *cm, int C)
{
	long total = 0, correct = 0;
	double recall_sum = 0, f1_sum = 0;
	int present = 0, i, j;

	for (i = 0; i < C; i++) {
		long row = 0, col = 0, tp = cm[i * C + i];

		for (j = 0; j < C; j++) {
			row += cm[i * C + j];
			col += cm[j * C + i];
		}
		total += row;
		correct += tp;
		if (row > 0) {
			double recall = (double)tp / row, precision = col ? (double)tp / col : 0;

			present++;
			recall_sum += recall;
			f1_sum += precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
		}
	}
	m->n = total;
	m->war = total ? (double)correct / total : 0;
	m->uar = present ? recall_sum / present : 0;
	m->f1 = present ? f1_sum / present : 0;
}

double metrics_class_f1(const long *cm, int C, int c)
{
	long row = 0, col = 0, tp = cm[c * C + c];

	for (int j = 0; j < C; j++) {
		row += cm[c * C + j];
		col += cm[j * C + c];
	}
	return row + col > 0 ? 2.0 * tp / (row + col) : 0;
}

int metrics_argmax(const float *v, int n)
{
	int k = 0;

	for (int i = 1; i < n; i++)
		if (v[i] > v[k])
			k = i;
	return k;
}
