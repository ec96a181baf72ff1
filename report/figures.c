/* figures.c - lay out each figure and write it as PNG (figures.h). */
#include "config.h"

#include "figures.h"

#include "chart.h"
#include "error.h"

#include <cairo.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { COL_VAL = 0, COL_TRAIN = 1, COL_WAR = 0, COL_UAR = 2 };

/* WHAT-runR.png, WHAT-runR-foldF.png, or WHAT-runR-folds.png (all folds). */
static void png_name(char *buf, size_t n, const char *what, int run, int fold, int folds)
{
	if (folds)
		snprintf(buf, n, "%s-run%d-folds.png", what, run);
	else if (fold)
		snprintf(buf, n, "%s-run%d-fold%d.png", what, run, fold);
	else
		snprintf(buf, n, "%s-run%d.png", what, run);
}

static int fig_begin(cairo_surface_t **sf, cairo_t **cr, int w, int h)
{
	*sf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
	if (cairo_surface_status(*sf) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(*sf);
		return ARPG_ENOMEM;
	}
	*cr = cairo_create(*sf);
	cairo_set_source_rgb(*cr, 0.97, 0.97, 0.97);
	cairo_paint(*cr);
	return 0;
}

/* Writes the surface to dir/name through a temporary file; frees both. */
static int fig_end(cairo_surface_t *sf, cairo_t *cr, const char *dir, const char *name,
		   FILE *list, char *err, size_t errn)
{
	char path[4200], tmp[4300];
	cairo_status_t st;
	int rc = 0;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	st = cairo_status(cr);
	cairo_destroy(cr);
	if (st == CAIRO_STATUS_SUCCESS) {
		cairo_surface_flush(sf);
		errno = 0;
		st = cairo_surface_write_to_png(sf, tmp);
	}
	cairo_surface_destroy(sf);
	if (st != CAIRO_STATUS_SUCCESS) {
		rc = arpg_errf(err, errn, st == CAIRO_STATUS_NO_MEMORY ? ARPG_ENOMEM : ARPG_EIO,
			       "%s: %s%s%s", tmp, cairo_status_to_string(st), errno ? ": " : "",
			       errno ? strerror(errno) : "");
		unlink(tmp);
		return rc;
	}
	if (rename(tmp, path) < 0) {
		rc = arpg_errf(err, errn, ARPG_EIO, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return rc;
	}
	if (list) {
		fprintf(list, "%s\n", path);
		fflush(list);
	}
	return 1;
}

static void caption(cairo_t *cr, double w, const char *title, const char *sub)
{
	cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
	ch_text(cr, 20, 30, 18, 1, CH_LEFT, title);
	cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
	if (sub && *sub)
		ch_text(cr, w - 20, 30, 13, 0, CH_RIGHT, sub);
}

/* Points of one metric of one split, percent when pct. */
static void column(double *x, double *y, const struct rl_series *s, int k, int m, int pct)
{
	for (int i = 0; i < s->n[k]; i++) {
		const struct rl_point *p = &s->pt[k][i];
		double v = m == 0 ? p->loss : m == 1 ? p->war : p->uar;

		x[i] = p->epoch;
		y[i] = pct ? 100 * v : v;
	}
}

static int fig_curves(const struct rl_series *s, const char *dir, FILE *list, char *err,
		      size_t errn)
{
	static const char *const metric[] = { "loss", "WAR (accuracy)", "UAR (mean recall)" };
	static const char *const yl[] = { "cross-entropy", "%", "%" };
	cairo_surface_t *sf;
	cairo_t *cr;
	char name[64], sub[160];
	int n = s->n[0] > s->n[1] ? s->n[0] : s->n[1], m, rc;
	double *buf = malloc(sizeof *buf * 4 * (size_t)(n ? n : 1));
	const double W = 1500, H = 500, pw = (W - 40) / 3;

	if (!buf)
		return ARPG_ENOMEM;
	if ((rc = fig_begin(&sf, &cr, (int)W, (int)H)) < 0) {
		free(buf);
		return rc;
	}
	snprintf(sub, sizeof sub, "final val: WAR %.1f%%  UAR %.1f%%",
		 s->n[1] ? 100 * s->pt[1][s->n[1] - 1].war : NAN,
		 s->n[1] ? 100 * s->pt[1][s->n[1] - 1].uar : NAN);
	caption(cr, W, s->caption, s->n[1] ? sub : "no val split");
	for (m = 0; m < 3; m++) {
		struct ch_line l[2];

		column(buf, buf + n, s, 0, m, m > 0);
		column(buf + 2 * n, buf + 3 * n, s, 1, m, m > 0);
		l[0] = (struct ch_line){ buf, buf + n, s->n[0], COL_TRAIN, 1, "train" };
		l[1] = (struct ch_line){ buf + 2 * n, buf + 3 * n, s->n[1], COL_VAL, 0, "val" };
		ch_lines(cr, 20 + m * pw, 50, pw - 10, H - 60, metric[m], "epoch", yl[m], l, 2,
			 0, m ? 100 : 0, m > 0);
	}
	free(buf);
	png_name(name, sizeof name, "curves", s->run, s->fold, 0);
	return fig_end(sf, cr, dir, name, list, err, errn);
}

/* Every series' val WAR and UAR in one figure, a colour per series (and a
 * dash after the eighth), the legend below the two panels. */
static int fig_overlay(const struct rl_log *log, const char *dir, FILE *list, char *err,
		       size_t errn)
{
	cairo_surface_t *sf;
	cairo_t *cr;
	int i, m, n = 0, rc, ns = log->nseries;
	double *buf, lh;
	struct ch_line *l;
	const double W = 1500, PH = 500, pw = (W - 40) / 2;

	for (i = 0; i < ns; i++)
		n += log->series[i].n[1];
	buf = malloc(sizeof *buf * 4 * (size_t)(n ? n : 1));
	l = calloc((size_t)ns * 2, sizeof *l);
	if (!buf || !l) {
		free(buf);
		free(l);
		return ARPG_ENOMEM;
	}
	for (m = 0; m < 2; m++) {
		double *p = buf + m * 2 * n;

		for (i = 0; i < ns; i++) {
			const struct rl_series *s = &log->series[i];

			column(p, p + s->n[1], s, 1, m + 1, 1);
			l[m * ns + i] = (struct ch_line){ p, p + s->n[1], s->n[1], i, (i / 8) % 2,
							  s->caption };
			p += 2 * s->n[1];
		}
	}
	/* measure the legend on a scratch surface to size the image */
	if ((rc = fig_begin(&sf, &cr, 8, 8)) < 0) {
		free(buf);
		free(l);
		return rc;
	}
	lh = ch_legend(cr, 0, 0, W - 100, l, ns, 0);
	cairo_destroy(cr);
	cairo_surface_destroy(sf);
	if ((rc = fig_begin(&sf, &cr, (int)W, (int)(PH + 60 + lh + 20))) < 0) {
		free(buf);
		free(l);
		return rc;
	}
	caption(cr, W, "validation per epoch, all runs", NULL);
	for (m = 0; m < 2; m++)
		ch_lines(cr, 20 + m * pw, 50, pw - 10, PH, m == 0 ? "val WAR (accuracy)" :
			 "val UAR (mean recall)", "epoch", "%", l + m * ns, ns, 0, 100, -1);
	ch_legend(cr, 82, 50 + PH + 10, W - 100, l, ns, 1);
	free(buf);
	free(l);
	return fig_end(sf, cr, dir, "curves-all.png", list, err, errn);
}

static int fig_confusion(const struct rl_summary *s, const char *dir, FILE *list, char *err,
			 size_t errn)
{
	cairo_surface_t *sf;
	cairo_t *cr;
	char name[80], sub[160], title[64];
	int side = s->nlabels * 90 + 260, rc;
	long total = 0, right = 0;

	if (side < 620)
		side = 620;
	if (side > 4000)
		side = 4000;
	if ((rc = fig_begin(&sf, &cr, side, side + 40)) < 0)
		return rc;
	for (int i = 0; i < s->nlabels; i++)
		for (int j = 0; j < s->nlabels; j++) {
			total += s->confusion[i * s->nlabels + j];
			right += i == j ? s->confusion[i * s->nlabels + j] : 0;
		}
	cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
	ch_text(cr, 20, 30, 17, 1, CH_LEFT, s->caption);
	snprintf(sub, sizeof sub, "%ld clips  WAR %.1f%%  UAR %.1f%%", total,
		 isfinite(s->war) ? 100 * s->war : total ? 100.0 * right / total : NAN, 100 * s->uar);
	cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
	ch_text(cr, 20, 52, 13, 0, CH_LEFT, sub);
	snprintf(title, sizeof title, "confusion matrix (row %%)");
	ch_heatmap(cr, 10, 60, side - 20, side - 30, title, (const char *const *)s->labels,
		   s->confusion, s->nlabels);
	png_name(name, sizeof name, "confusion", s->run, s->fold, !strcmp(s->kind, "folds"));
	return fig_end(sf, cr, dir, name, list, err, errn);
}

static int fig_table(const struct rl_log *log, const char *dir, FILE *list, char *err,
		     size_t errn)
{
	static const int color[] = { COL_WAR, COL_UAR };
	static const char *const names[] = { "WAR", "UAR" };
	cairo_surface_t *sf;
	cairo_t *cr;
	int n = log->nrows, g, rc, runs = 0;
	double *mean = malloc(sizeof *mean * 4 * (size_t)n), *sd = mean + 2 * n;
	const char **cap = calloc((size_t)n, sizeof *cap);
	char sub[64];
	double W = 180 + 150.0 * n;

	if (W < 900)
		W = 900;
	if (W > 6000)
		W = 6000;
	if (!mean || !cap || (rc = fig_begin(&sf, &cr, (int)W, 620)) < 0) {
		free(mean);
		free(cap);
		return ARPG_ENOMEM;
	}
	for (g = 0; g < n; g++) {
		const struct rl_row *r = &log->rows[g];

		mean[2 * g] = 100 * r->war_mean;
		mean[2 * g + 1] = 100 * r->uar_mean;
		sd[2 * g] = 100 * r->war_std;
		sd[2 * g + 1] = 100 * r->uar_std;
		cap[g] = *r->caption ? r->caption : "(one setting)";
		runs = r->runs > runs ? r->runs : runs;
	}
	snprintf(sub, sizeof sub, "mean \xc2\xb1 std over %d run%s (seeds) each", runs,
		 runs == 1 ? "" : "s");
	caption(cr, W, "sweep: validation WAR and UAR per setting", sub);
	/* headroom above 100 for the value labels */
	ch_bars(cr, 20, 50, W - 40, 560, "final epoch, %", "%", cap, n, 2, mean, sd, color, names,
		110);
	free(mean);
	free(cap);
	return fig_end(sf, cr, dir, "table.png", list, err, errn);
}

int fig_write_all(const struct rl_log *log, const char *dir, FILE *list, char *err, size_t errn)
{
	int i, rc, count = 0;

	for (i = 0; i < log->nseries; i++) {
		if ((rc = fig_curves(&log->series[i], dir, list, err, errn)) < 0)
			return rc;
		count += rc;
	}
	if (log->nseries > 1) {
		if ((rc = fig_overlay(log, dir, list, err, errn)) < 0)
			return rc;
		count += rc;
	}
	for (i = 0; i < log->nsum; i++) {
		if (!log->sum[i].nlabels)
			continue;
		if ((rc = fig_confusion(&log->sum[i], dir, list, err, errn)) < 0)
			return rc;
		count += rc;
	}
	if (log->nrows) {
		if ((rc = fig_table(log, dir, list, err, errn)) < 0)
			return rc;
		count += rc;
	}
	return count;
}
