/* chart.h - the few chart kinds arpg-report draws, with cairo.
 *
 * Each function draws into the rectangle (x, y, w, h) of a cairo context in
 * user units (pixels of an image surface); it draws its own axes, ticks and
 * labels and never writes a file.  Colours come from one palette
 * (ch_color), so that a metric or a split looks the same in every figure.
 * Missing values (NaN) are left out of lines and bars.
 */
#ifndef REPORT_CHART_H
#define REPORT_CHART_H

#include <cairo.h>

/* Sets the source colour of palette entry i (any i; wraps). */
void ch_color(cairo_t *cr, int i);

enum ch_align { CH_LEFT, CH_CENTER, CH_RIGHT };

/* Text of size px with its baseline at y, aligned on x; bold if bold.
 * Returns the width drawn. */
double ch_text(cairo_t *cr, double x, double y, double px, int bold, enum ch_align a,
	       const char *s);

/* A line of a line chart: n points (x[i], y[i]), palette colour, dashed or
 * not, with a name for the legend (may be NULL: no legend entry). */
struct ch_line {
	const double *x, *y;
	int n;
	int color, dashed;
	const char *name;
};

/* A line chart with a title, an x and a y axis label.  ylo/yhi fix the y
 * range when ylo < yhi, else it is fitted to the data (from 0 when all y are
 * non-negative).  A legend sits in the top right corner (legend_low 0), the
 * bottom right (1), or nowhere (-1: draw it with ch_legend). */
void ch_lines(cairo_t *cr, double x, double y, double w, double h, const char *title,
	      const char *xlabel, const char *ylabel, const struct ch_line *lines, int nlines,
	      double ylo, double yhi, int legend_low);

/* The legend of lines laid out in columns across width w from (x, y);
 * returns the height it takes.  With draw 0, only measures. */
double ch_legend(cairo_t *cr, double x, double y, double w, const struct ch_line *lines,
		 int nlines, int draw);

/* A confusion matrix as a heat map: n x n counts (rows true, columns
 * predicted), each cell shaded by its share of its row and printed as
 * "count" over "percent"; label names along both axes. */
void ch_heatmap(cairo_t *cr, double x, double y, double w, double h, const char *title,
		const char *const *labels, const long *counts, int n);

/* Grouped bars: ngroups groups named by caption[g], each with nbars bars of
 * value mean[g * nbars + b] and error bar +- sd[...] (sd may be NULL), bar b
 * in palette colour color[b] and named barname[b] in the legend; y from 0 to
 * yhi (fitted when yhi <= 0).  Values are printed above the bars. */
void ch_bars(cairo_t *cr, double x, double y, double w, double h, const char *title,
	     const char *ylabel, const char *const *caption, int ngroups, int nbars,
	     const double *mean, const double *sd, const int *color,
	     const char *const *barname, double yhi);

#endif
