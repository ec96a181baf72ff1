/* sheet.c - the contact sheet of arpg-preprocess --sheet (sheet.h).
 * The manifest through common/manifest.c; frames read and drawn with cairo,
 * which also sets the text. */
#include "config.h"

#include "sheet.h"

#include "error.h"
#include "frames_tsv.h"
#include "grow.h"
#include "manifest.h"

#include <cairo.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FONT "DejaVu Sans"

struct clip {
	char *id, *label, *dir;
	long frames, faces;
	long seq;		/* manifest order, to keep it within a label */
};

void sheet_options_default(struct sheet_options *o)
{
	o->clips_per_label = 4;
	o->frames_per_clip = 6;
	o->thumb = 72;
}

static int by_label(const void *a, const void *b)
{
	const struct clip *x = a, *y = b;
	int c = strcmp(x->label, y->label);

	return c ? c : (x->seq < y->seq ? -1 : x->seq > y->seq);
}

static void free_clips(struct clip *c, long n)
{
	for (long i = 0; i < n; i++) {
		free(c[i].id);
		free(c[i].label);
		free(c[i].dir);
	}
	free(c);
}

static int read_manifest(const char *outdir, struct clip **out, long *nout, char *err, size_t errn)
{
	struct arpg_manifest_reader rd;
	struct arpg_manifest_row r;
	struct clip *c = NULL;
	long n = 0;
	size_t cap = 0;
	char path[4200];
	FILE *f;
	int rc;

	snprintf(path, sizeof path, "%s/manifest.tsv", outdir);
	if (!(f = fopen(path, "r")))
		return arpg_errf(err, errn, ARPG_EIO, "%s: %s", path, strerror(errno));
	memset(&r, 0, sizeof r);
	arpg_manifest_reader_init(&rd, f, path);
	while ((rc = arpg_manifest_next(&rd, &r)) == 1) {
		if ((rc = ARPG_GROW(c, &cap, (size_t)n + 1)) < 0)
			break;
		memset(&c[n], 0, sizeof c[n]);
		c[n].frames = r.frames;
		c[n].faces = r.faces;
		c[n].seq = n;
		n++;
		if (!(c[n - 1].id = strdup(r.clip_id)) ||
		    !(c[n - 1].label = strdup(*r.label ? r.label : "(none)")) ||
		    asprintf(&c[n - 1].dir, "%s/%s", outdir, r.clip_id) < 0) {
			c[n - 1].dir = NULL;
			rc = ARPG_ENOMEM;
			break;
		}
	}
	if (rc == ARPG_EFORMAT)
		arpg_errf(err, errn, rc, "%s: %s", path, rd.err);
	else if (rc == ARPG_EIO)
		arpg_errf(err, errn, rc, "%s: %s", path, strerror(errno));
	arpg_manifest_row_free(&r);
	arpg_manifest_reader_free(&rd);
	fclose(f);
	if (rc < 0) {
		free_clips(c, n);
		return rc;
	}
	*out = c;
	*nout = n;
	return 0;
}

/* The detected column of dir/frames.tsv into flags[0..n) (1 when unknown);
 * returns the number of frame lines, or -1 when the file cannot be read. */
static long read_flags(const char *dir, char *flags, long n)
{
	struct arpg_frames_tsv ft;
	char path[4300], why[256];
	long k;

	memset(flags, 1, (size_t)n);
	snprintf(path, sizeof path, "%s/frames.tsv", dir);
	if (arpg_frames_tsv_read(&ft, path, why, sizeof why) < 0)
		return -1;
	for (k = 0; k < n && k < ft.n; k++)
		flags[k] = ft.detected[k];
	k = ft.rows;
	arpg_frames_tsv_free(&ft);
	return k;
}

static void text(cairo_t *cr, double x, double y, double px, int bold, const char *s)
{
	cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL,
			       bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, px);
	cairo_move_to(cr, x, y);
	cairo_show_text(cr, s);
}

/* Draws frame file path scaled into the square (x, y, s); 0, or -1 (a grey
 * box with a cross) when the PNG cannot be read. */
static int thumb(cairo_t *cr, const char *path, double x, double y, double s)
{
	cairo_surface_t *im = cairo_image_surface_create_from_png(path);
	int w, h, rc = 0;

	if (cairo_surface_status(im) == CAIRO_STATUS_SUCCESS &&
	    (w = cairo_image_surface_get_width(im)) > 0 &&
	    (h = cairo_image_surface_get_height(im)) > 0) {
		double k = s / (w > h ? w : h);

		cairo_save(cr);
		cairo_rectangle(cr, x, y, s, s);
		cairo_clip(cr);
		cairo_translate(cr, x + (s - w * k) / 2, y + (s - h * k) / 2);
		cairo_scale(cr, k, k);
		cairo_set_source_surface(cr, im, 0, 0);
		cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
		cairo_paint(cr);
		cairo_restore(cr);
	} else {
		cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
		cairo_rectangle(cr, x, y, s, s);
		cairo_fill(cr);
		cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
		cairo_set_line_width(cr, 2);
		cairo_move_to(cr, x, y);
		cairo_line_to(cr, x + s, y + s);
		cairo_move_to(cr, x + s, y);
		cairo_line_to(cr, x, y + s);
		cairo_stroke(cr);
		rc = -1;
	}
	cairo_surface_destroy(im);
	return rc;
}

/* Where things go on the sheet. */
struct layout {
	int C, F, S, gap;	/* clips per label, frames per clip, thumb side, gap */
	int lw, cw, rh, top;	/* label column, clip column, row height, header */
};

static void frame_box(cairo_t *cr, double r, double g, double b, double x, double y,
		      double w, double h)
{
	cairo_set_source_rgb(cr, r, g, b);
	cairo_set_line_width(cr, 3);
	cairo_rectangle(cr, x, y, w, h);
	cairo_stroke(cr);
}

/* One clip's cell at (cx, ry): frames spread over the clip, red frames
 * without a detection, an orange box when the clip has no face.  Adds
 * unreadable frames to *bad. */
static int draw_clip(cairo_t *cr, const struct layout *l, const struct clip *p, double cx,
		     double ry, long *bad)
{
	const int S = l->S;
	long nf = p->frames, want = nf < l->F ? nf : l->F, j;
	char *flags = malloc((size_t)(nf > 0 ? nf : 1)), buf[256];

	if (!flags)
		return ARPG_ENOMEM;
	if (read_flags(p->dir, flags, nf) < 0 && access(p->dir, F_OK) < 0) {
		free(flags);
		return 0;	/* a failed clip: no folder */
	}
	for (j = 0; j < want; j++) {
		long f = want > 1 ? j * (nf - 1) / (want - 1) : 0;
		double x = cx + j * (S + l->gap);
		char path[4400];

		snprintf(path, sizeof path, "%s/%06ld.png", p->dir, f);
		if (thumb(cr, path, x, ry, S) < 0)
			(*bad)++;
		if (!flags[f])
			frame_box(cr, 0.9, 0.05, 0.05, x + 1.5, ry + 1.5, S - 3, S - 3);
	}
	free(flags);
	if (p->faces == 0)
		frame_box(cr, 1.0, 0.55, 0.0, cx - 3.5, ry - 3.5, want * (S + l->gap) - l->gap + 7,
			  S + 7);
	cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
	snprintf(buf, sizeof buf, "%.40s  %ld/%ld faces%s", p->id, p->faces, nf,
		 p->faces == 0 ? ":" : "");
	text(cr, cx, ry + S + 17, 11, 0, buf);
	if (p->faces == 0) {
		cairo_text_extents_t e;

		cairo_text_extents(cr, buf, &e);
		cairo_set_source_rgb(cr, 0.85, 0.35, 0.0);
		text(cr, cx + e.x_advance + 4, ry + S + 17, 11, 1, "no face");
	}
	return 0;
}

/* Row L: the label, its clip count, and up to C clips spread evenly over
 * the label's m clips c[0..m). */
static int draw_label(cairo_t *cr, const struct layout *l, const struct clip *c, long m,
		      long L, long *bad)
{
	int shown = m < l->C ? (int)m : l->C, k, rc = 0;
	double ry = l->top + L * l->rh;
	char buf[64];

	cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
	text(cr, 10, ry + l->S / 2.0 + 4, 15, 1, c[0].label);
	snprintf(buf, sizeof buf, "%ld clip%s", m, m == 1 ? "" : "s");
	cairo_set_source_rgb(cr, 0.4, 0.4, 0.4);
	text(cr, 10, ry + l->S / 2.0 + 22, 12, 0, buf);
	for (k = 0; k < shown && rc == 0; k++)
		rc = draw_clip(cr, l, &c[shown > 1 ? (long)k * (m - 1) / (shown - 1) : 0],
			       l->lw + k * l->cw, ry, bad);
	return rc;
}

/* Frames without a detection over all n clips (or ARPG_ENOMEM). */
static long count_flagged(const struct clip *c, long n)
{
	long i, j, got, flagged = 0;
	char *flags;

	for (i = 0; i < n; i++) {
		if (!(flags = malloc((size_t)(c[i].frames > 0 ? c[i].frames : 1))))
			return ARPG_ENOMEM;
		got = read_flags(c[i].dir, flags, c[i].frames);
		for (j = 0; got > 0 && j < c[i].frames && j < got; j++)
			flagged += !flags[j];
		free(flags);
	}
	return flagged;
}

/* The header: counts, and what the red and orange boxes mean. */
static void draw_legend(cairo_t *cr, long n, long frames, long flagged, long noface)
{
	char buf[256];

	cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
	snprintf(buf, sizeof buf, "%ld clip%s, %ld frames: %ld without a detection, "
		 "%ld clip%s without a face", n, n == 1 ? "" : "s", frames, flagged, noface,
		 noface == 1 ? "" : "s");
	text(cr, 10, 26, 16, 1, buf);
	frame_box(cr, 0.9, 0.05, 0.05, 11.5, 40.5, 14, 14);
	cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
	text(cr, 32, 52, 12, 0, "no detection in this frame (a neighbour's transform reused)");
	frame_box(cr, 1.0, 0.55, 0.0, 431.5, 40.5, 14, 14);
	cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
	text(cr, 452, 52, 12, 0, "no face in the whole clip (centre crops)");
}

/* Writes the surface to png through png.tmp and a rename. */
static int save_png(cairo_t *cr, cairo_surface_t *sf, const char *png, char *err, size_t errn)
{
	char tmp[4300];
	cairo_status_t st;
	int rc = 0;

	snprintf(tmp, sizeof tmp, "%s.tmp", png);
	if ((st = cairo_status(cr)) == CAIRO_STATUS_SUCCESS) {
		cairo_surface_flush(sf);
		errno = 0;
		st = cairo_surface_write_to_png(sf, tmp);
	}
	if (st != CAIRO_STATUS_SUCCESS) {
		rc = arpg_errf(err, errn, st == CAIRO_STATUS_NO_MEMORY ? ARPG_ENOMEM : ARPG_EIO,
			       "%s: %s%s%s", tmp, cairo_status_to_string(st), errno ? ": " : "",
			       errno ? strerror(errno) : "");
		unlink(tmp);
	} else if (rename(tmp, png) < 0) {
		rc = arpg_errf(err, errn, ARPG_EIO, "%s: %s", png, strerror(errno));
		unlink(tmp);
	}
	return rc;
}

int sheet_write(const char *png, const char *outdir, const struct sheet_options *o,
		     long *unreadable, char *err, size_t errn)
{
	struct layout l = { o->clips_per_label, o->frames_per_clip, o->thumb, 2, 130, 0, 0, 70 };
	struct clip *c = NULL;
	long n = 0, i, nlabels = 0, bad = 0, frames = 0, noface = 0, flagged;
	long *first = NULL;	/* index of each label's first clip; [nlabels] = n */
	cairo_surface_t *sf = NULL;
	cairo_t *cr = NULL;
	int rc;

	l.cw = l.F * (l.S + l.gap) + 18;
	l.rh = l.S + 40;
	if (unreadable)
		*unreadable = 0;
	if ((rc = read_manifest(outdir, &c, &n, err, errn)) < 0)
		return rc;
	for (i = 0; i < n; i++) {
		frames += c[i].frames;
		noface += c[i].faces == 0;
	}
	qsort(c, (size_t)n, sizeof *c, by_label);
	if (!(first = malloc(sizeof *first * (size_t)(n + 1)))) {
		rc = ARPG_ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		if (i == 0 || strcmp(c[i].label, c[i - 1].label))
			first[nlabels++] = i;
	first[nlabels] = n;

	sf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, l.lw + l.C * l.cw + 10,
					l.top + (int)(nlabels ? nlabels : 1) * l.rh + 10);
	cr = cairo_create(sf);
	cairo_set_source_rgb(cr, 0.96, 0.96, 0.96);
	cairo_paint(cr);
	for (i = 0; i < nlabels && rc == 0; i++)
		rc = draw_label(cr, &l, &c[first[i]], first[i + 1] - first[i], i, &bad);
	if (rc == 0 && (flagged = count_flagged(c, n)) < 0)
		rc = (int)flagged;
	if (rc == 0) {
		draw_legend(cr, n, frames, flagged, noface);
		rc = save_png(cr, sf, png, err, errn);
	}
out:
	if (cr)
		cairo_destroy(cr);
	if (sf)
		cairo_surface_destroy(sf);
	free(first);
	free_clips(c, n);
	if (unreadable)
		*unreadable = bad;
	return rc;
}
