/* chart.c - line charts, heat maps and grouped bars with cairo (chart.h). */
#include "config.h"

#include "chart.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define FONT "DejaVu Sans"

/* A palette readable by most colour-blind viewers (Okabe-Ito). */
static const double palette[][3] = {
	{ 0.000, 0.447, 0.698 },	/* blue */
	{ 0.835, 0.369, 0.000 },	/* vermillion */
	{ 0.000, 0.620, 0.451 },	/* bluish green */
	{ 0.800, 0.475, 0.655 },	/* reddish purple */
	{ 0.902, 0.624, 0.000 },	/* orange */
	{ 0.337, 0.706, 0.914 },	/* sky blue */
	{ 0.550, 0.340, 0.160 },	/* brown (yellow reads badly on white) */
	{ 0.300, 0.300, 0.300 },	/* grey */
};

void ch_color(cairo_t *cr, int i)
{
	int n = (int)(sizeof palette / sizeof palette[0]);
	const double *c = palette[((i % n) + n) % n];

	cairo_set_source_rgb(cr, c[0], c[1], c[2]);
}

double ch_text(cairo_t *cr, double x, double y, double px, int bold, enum ch_align a,
	       const char *s)
{
	cairo_text_extents_t e;

	cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL,
			       bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, px);
	cairo_text_extents(cr, s, &e);
	if (a == CH_CENTER)
		x -= e.x_advance / 2;
	else if (a == CH_RIGHT)
		x -= e.x_advance;
	cairo_move_to(cr, x, y);
	cairo_show_text(cr, s);
	return e.x_advance;
}

static double text_width(cairo_t *cr, double px, int bold, const char *s)
{
	cairo_text_extents_t e;

	cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL,
			       bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, px);
	cairo_text_extents(cr, s, &e);
	return e.x_advance;
}

/* Text rotated a quarter turn anticlockwise, centred on (x, y). */
static void vtext(cairo_t *cr, double x, double y, double px, const char *s)
{
	cairo_save(cr);
	cairo_translate(cr, x, y);
	cairo_rotate(cr, -M_PI / 2);
	ch_text(cr, 0, 0, px, 0, CH_CENTER, s);
	cairo_restore(cr);
}

/* A "nice" tick step (1, 2 or 5 times a power of ten) for about n ticks. */
static double nice_step(double span, int n)
{
	double raw = span / n, p = pow(10, floor(log10(raw))), f = raw / p;

	return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

static void fmt_tick(char *buf, size_t n, double v, double step)
{
	int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);

	if (fabs(v) < step * 1e-6)
		v = 0;
	snprintf(buf, n, "%.*f", dec, v);
}

/* Draws the frame, the grid and the tick labels of a plot area; xticks 1:
 * integer x ticks, 0: any, -1: no x ticks. */
static void axes(cairo_t *cr, double px, double py, double pw, double ph, double x0, double x1,
		 double y0, double y1, int xticks)
{
	char buf[32];
	double st, v;

	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_rectangle(cr, px, py, pw, ph);
	cairo_fill(cr);
	cairo_set_line_width(cr, 1);
	/* y grid and labels */
	st = nice_step(y1 - y0, 5);
	for (v = ceil(y0 / st - 1e-9) * st; v <= y1 + st * 1e-6; v += st) {
		double yy = py + ph - (v - y0) / (y1 - y0) * ph;

		cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
		cairo_move_to(cr, px, floor(yy) + 0.5);
		cairo_line_to(cr, px + pw, floor(yy) + 0.5);
		cairo_stroke(cr);
		cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
		fmt_tick(buf, sizeof buf, v, st);
		ch_text(cr, px - 6, yy + 4, 12, 0, CH_RIGHT, buf);
	}
	/* x labels */
	st = nice_step(x1 - x0 > 0 ? x1 - x0 : 1, 6);
	if (xticks == 1 && st < 1)
		st = 1;
	for (v = ceil(x0 / st - 1e-9) * st; xticks >= 0 && v <= x1 + st * 1e-6; v += st) {
		double xx = x1 > x0 ? px + (v - x0) / (x1 - x0) * pw : px + pw / 2;

		cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
		cairo_move_to(cr, floor(xx) + 0.5, py);
		cairo_line_to(cr, floor(xx) + 0.5, py + ph);
		cairo_stroke(cr);
		cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
		fmt_tick(buf, sizeof buf, v, st);
		ch_text(cr, xx, py + ph + 16, 12, 0, CH_CENTER, buf);
		if (x1 <= x0)
			break;
	}
	cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
	cairo_rectangle(cr, floor(px) + 0.5, floor(py) + 0.5, floor(pw), floor(ph));
	cairo_stroke(cr);
}

/* One legend entry at (x, yy): a sample of the line, then its name. */
static void legend_entry(cairo_t *cr, const struct ch_line *l, double x, double yy)
{
	ch_color(cr, l->color);
	cairo_set_line_width(cr, 2.5);
	if (l->dashed) {
		double d[] = { 6, 4 };

		cairo_set_dash(cr, d, 2, 0);
	}
	cairo_move_to(cr, x + 6, yy);
	cairo_line_to(cr, x + 32, yy);
	cairo_stroke(cr);
	cairo_set_dash(cr, NULL, 0, 0);
	cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
	ch_text(cr, x + 38, yy + 4, 12, 0, CH_LEFT, l->name);
}

static void legend(cairo_t *cr, double right, double top, const struct ch_line *l, int n,
		   int low, double bottom)
{
	double w = 0, lh = 18, x, y;
	int k = 0, i;

	for (i = 0; i < n; i++)
		if (l[i].name) {
			double tw = text_width(cr, 12, 0, l[i].name);

			w = tw > w ? tw : w;
			k++;
		}
	if (!k)
		return;
	w += 44;
	x = right - w - 8;
	y = low ? bottom - k * lh - 14 : top + 8;
	cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
	cairo_rectangle(cr, x, y, w, k * lh + 6);
	cairo_fill(cr);
	cairo_set_source_rgb(cr, 0.7, 0.7, 0.7);
	cairo_set_line_width(cr, 1);
	cairo_rectangle(cr, floor(x) + 0.5, floor(y) + 0.5, floor(w), floor(k * lh + 6));
	cairo_stroke(cr);
	for (i = 0, k = 0; i < n; i++) {
		double yy;

		if (!l[i].name)
			continue;
		yy = y + 3 + lh * k++ + lh / 2;
		legend_entry(cr, &l[i], x, yy);
	}
}

void ch_lines(cairo_t *cr, double x, double y, double w, double h, const char *title,
	      const char *xlabel, const char *ylabel, const struct ch_line *lines, int nlines,
	      double ylo, double yhi, int legend_low)
{
	double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
	double px = x + 62, py = y + 34, pw = w - 62 - 14, ph = h - 34 - 46;
	int i, j;

	for (i = 0; i < nlines; i++)
		for (j = 0; j < lines[i].n; j++) {
			double a = lines[i].x[j], b = lines[i].y[j];

			if (!isfinite(a) || !isfinite(b))
				continue;
			x0 = a < x0 ? a : x0;
			x1 = a > x1 ? a : x1;
			y0 = b < y0 ? b : y0;
			y1 = b > y1 ? b : y1;
		}
	if (!isfinite(x0)) {
		x0 = 0;
		x1 = 1;
		y0 = 0;
		y1 = 1;
	}
	if (ylo < yhi) {
		y0 = ylo;
		y1 = yhi;
	} else {
		double st;

		if (y0 >= 0)
			y0 = 0;
		if (y1 <= y0)
			y1 = y0 + 1;
		st = nice_step(y1 - y0, 5);
		y1 = ceil(y1 / st - 1e-9) * st;
		y0 = floor(y0 / st + 1e-9) * st;
	}
	cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
	ch_text(cr, px + pw / 2, y + 22, 15, 1, CH_CENTER, title);
	axes(cr, px, py, pw, ph, x0, x1, y0, y1, 1);
	cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
	ch_text(cr, px + pw / 2, py + ph + 36, 13, 0, CH_CENTER, xlabel);
	vtext(cr, x + 14, py + ph / 2, 13, ylabel);

	cairo_save(cr);
	cairo_rectangle(cr, px, py, pw, ph);
	cairo_clip(cr);
	cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
	for (i = 0; i < nlines; i++) {
		const struct ch_line *l = &lines[i];
		int pen = 0;

		ch_color(cr, l->color);
		cairo_set_line_width(cr, 2.5);
		if (l->dashed) {
			double d[] = { 6, 4 };

			cairo_set_dash(cr, d, 2, 0);
		}
		for (j = 0; j < l->n; j++) {
			double xx, yy;

			if (!isfinite(l->x[j]) || !isfinite(l->y[j])) {
				pen = 0;
				continue;
			}
			xx = x1 > x0 ? px + (l->x[j] - x0) / (x1 - x0) * pw : px + pw / 2;
			yy = py + ph - (l->y[j] - y0) / (y1 - y0) * ph;
			if (pen)
				cairo_line_to(cr, xx, yy);
			else
				cairo_move_to(cr, xx, yy);
			pen = 1;
		}
		cairo_stroke(cr);
		cairo_set_dash(cr, NULL, 0, 0);
		/* dots at the points, so that a one-epoch run still shows */
		for (j = 0; j < l->n; j++) {
			double xx, yy;

			if (!isfinite(l->x[j]) || !isfinite(l->y[j]))
				continue;
			xx = x1 > x0 ? px + (l->x[j] - x0) / (x1 - x0) * pw : px + pw / 2;
			yy = py + ph - (l->y[j] - y0) / (y1 - y0) * ph;
			cairo_arc(cr, xx, yy, l->n > 60 ? 1.5 : 3, 0, 2 * M_PI);
			cairo_fill(cr);
		}
	}
	cairo_restore(cr);
	if (legend_low >= 0)
		legend(cr, px + pw, py, lines, nlines, legend_low, py + ph);
}

double ch_legend(cairo_t *cr, double x, double y, double w, const struct ch_line *lines,
		 int nlines, int draw)
{
	double cw = 0, lh = 18;
	int i, k = 0, cols, rows;

	for (i = 0; i < nlines; i++)
		if (lines[i].name) {
			double t = text_width(cr, 12, 0, lines[i].name) + 56;

			cw = t > cw ? t : cw;
		}
	if (cw == 0)
		return 0;
	cols = (int)(w / cw);
	if (cols < 1)
		cols = 1;
	for (i = 0; i < nlines; i++)
		k += lines[i].name != NULL;
	rows = (k + cols - 1) / cols;
	for (i = 0, k = 0; draw && i < nlines; i++) {
		double xx = x + (k / rows) * cw, yy = y + (k % rows) * lh + lh / 2;

		if (!lines[i].name)
			continue;
		k++;
		legend_entry(cr, &lines[i], xx, yy);
	}
	return rows * lh;
}

void ch_heatmap(cairo_t *cr, double x, double y, double w, double h, const char *title,
		const char *const *labels, const long *counts, int n)
{
	double lw = 0, cell, px, py, fs;
	char buf[64];
	int i, j;

	for (i = 0; i < n; i++) {
		double t = text_width(cr, 13, 0, labels[i]);

		lw = t > lw ? t : lw;
	}
	lw += 12;
	cell = (w - lw - 40) / n;
	if ((h - lw - 70) / n < cell)
		cell = (h - lw - 70) / n;
	if (cell < 4)
		cell = 4;
	fs = cell / 4.5 < 14 ? cell / 4.5 : 14;
	px = x + 30 + lw;
	py = y + 40;
	cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
	ch_text(cr, x + w / 2, y + 22, 15, 1, CH_CENTER, title);
	for (i = 0; i < n; i++) {
		long row = 0;

		for (j = 0; j < n; j++)
			row += counts[i * n + j];
		for (j = 0; j < n; j++) {
			long c = counts[i * n + j];
			double f = row ? (double)c / row : 0;
			double cx = px + j * cell, cy = py + i * cell;

			/* white to dark blue by the row share */
			cairo_set_source_rgb(cr, 1 - 0.92 * f, 1 - 0.6 * f, 1 - 0.25 * f);
			cairo_rectangle(cr, cx, cy, cell, cell);
			cairo_fill(cr);
			if (f > 0.5)
				cairo_set_source_rgb(cr, 1, 1, 1);
			else
				cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
			if (fs >= 6) {
				snprintf(buf, sizeof buf, "%ld", c);
				ch_text(cr, cx + cell / 2, cy + cell / 2 - 1, fs * 1.15, 1, CH_CENTER, buf);
				snprintf(buf, sizeof buf, "%.0f%%", 100 * f);
				ch_text(cr, cx + cell / 2, cy + cell / 2 + fs * 1.2, fs * 0.9, 0,
					CH_CENTER, buf);
			}
		}
		/* the diagonal cell outlined */
	}
	cairo_set_source_rgb(cr, 0.55, 0.55, 0.55);
	cairo_set_line_width(cr, 1);
	for (i = 0; i <= n; i++) {
		cairo_move_to(cr, px, py + i * cell);
		cairo_line_to(cr, px + n * cell, py + i * cell);
		cairo_move_to(cr, px + i * cell, py);
		cairo_line_to(cr, px + i * cell, py + n * cell);
	}
	cairo_stroke(cr);
	cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
	for (i = 0; i < n; i++) {
		ch_text(cr, px - 6, py + i * cell + cell / 2 + 5, 13, 0, CH_RIGHT, labels[i]);
		cairo_save(cr);
		cairo_translate(cr, px + j * 0 + i * cell + cell / 2 + 5, py + n * cell + 8);
		cairo_rotate(cr, -M_PI / 2);
		ch_text(cr, 0, 0, 13, 0, CH_RIGHT, labels[i]);
		cairo_restore(cr);
	}
	vtext(cr, x + 14, py + n * cell / 2, 13, "true class");
	ch_text(cr, px + n * cell / 2, py + n * cell + lw + 26, 13, 0, CH_CENTER, "predicted class");
}

void ch_bars(cairo_t *cr, double x, double y, double w, double h, const char *title,
	     const char *ylabel, const char *const *caption, int ngroups, int nbars,
	     const double *mean, const double *sd, const int *color,
	     const char *const *barname, double yhi)
{
	double capw = 0, px, py, pw, ph, gw, bw, st;
	char buf[32];
	int g, b, rot;

	for (g = 0; g < ngroups; g++) {
		double t = text_width(cr, 12, 0, caption[g]);

		capw = t > capw ? t : capw;
	}
	px = x + 62;
	pw = w - 62 - 14;
	gw = ngroups ? pw / ngroups : pw;
	rot = capw > gw - 8;	/* captions too wide: set them slanted */
	py = y + 34;
	ph = h - 34 - (rot ? capw * 0.72 + 30 : 46);
	if (ph < 60)
		ph = 60;
	if (yhi <= 0) {
		yhi = 0;
		for (g = 0; g < ngroups * nbars; g++) {
			double v = mean[g] + (sd && isfinite(sd[g]) ? sd[g] : 0);

			if (isfinite(v) && v > yhi)
				yhi = v;
		}
		if (yhi <= 0)
			yhi = 1;
		st = nice_step(yhi, 5);
		yhi = ceil(yhi / st - 1e-9) * st;
	}
	cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
	ch_text(cr, px + pw / 2, y + 22, 15, 1, CH_CENTER, title);
	axes(cr, px, py, pw, ph, 0, 1, 0, yhi, -1);
	vtext(cr, x + 14, py + ph / 2, 13, ylabel);
	bw = gw * 0.75 / (nbars ? nbars : 1);
	for (g = 0; g < ngroups; g++) {
		double gx = px + g * gw + gw * 0.125;

		for (b = 0; b < nbars; b++) {
			double m = mean[g * nbars + b], s = sd ? sd[g * nbars + b] : NAN;
			double bx = gx + b * bw, top;

			if (!isfinite(m))
				continue;
			top = py + ph - m / yhi * ph;
			ch_color(cr, color[b]);
			cairo_rectangle(cr, bx + 1, top, bw - 2, py + ph - top);
			cairo_fill(cr);
			if (isfinite(s) && s > 0) {
				double t1 = py + ph - (m + s) / yhi * ph, t0 = py + ph - (m - s) / yhi * ph;

				cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
				cairo_set_line_width(cr, 1.5);
				cairo_move_to(cr, bx + bw / 2, t0);
				cairo_line_to(cr, bx + bw / 2, t1);
				cairo_move_to(cr, bx + bw / 2 - bw / 5, t1);
				cairo_line_to(cr, bx + bw / 2 + bw / 5, t1);
				cairo_move_to(cr, bx + bw / 2 - bw / 5, t0);
				cairo_line_to(cr, bx + bw / 2 + bw / 5, t0);
				cairo_stroke(cr);
				top = t1;
			}
			cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
			snprintf(buf, sizeof buf, "%.1f", m);
			if (bw >= 26)
				ch_text(cr, bx + bw / 2, top - 4, bw >= 40 ? 12 : 10, 0, CH_CENTER, buf);
		}
		cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
		if (rot) {
			cairo_save(cr);
			cairo_translate(cr, px + g * gw + gw / 2 + 4, py + ph + 10);
			cairo_rotate(cr, -M_PI / 4);
			ch_text(cr, 0, 0, 12, 0, CH_RIGHT, caption[g]);
			cairo_restore(cr);
		} else {
			ch_text(cr, px + g * gw + gw / 2, py + ph + 18, 12, 0, CH_CENTER, caption[g]);
		}
	}
	/* the legend in the title row, right-aligned: a swatch and a name per bar */
	{
		double lx = px + pw;

		for (b = nbars - 1; b >= 0; b--) {
			cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
			lx -= text_width(cr, 12, 0, barname[b]) + 10;
			ch_text(cr, lx, y + 22, 12, 0, CH_LEFT, barname[b]);
			lx -= 18;
			ch_color(cr, color[b]);
			cairo_rectangle(cr, lx, y + 11, 14, 12);
			cairo_fill(cr);
		}
	}
}
