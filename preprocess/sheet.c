/* sheet.c - the contact sheet of arpg-preprocess --sheet (sheet.h).
 * The manifest through common/manifest.c; frames read and drawn with cairo,
 * which also sets the text. */
#include "config.h"

#include "sheet.h"

#include "error.h"
#include "frames_tsv.h"
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
	struct clip *c = NULL, *t;
	long n = 0, cap = 0;
	char path[4200];
	FILE *f;
	int rc;

	snprintf(path, sizeof path, "%s/manifest.tsv", outdir);
	if (!(f = fopen(path, "r")))
		return arpg_errf(err, errn, ARPG_EIO, "%s: %s", path, strerror(errno));
	memset(&r, 0, sizeof r);
	arpg_manifest_reader_init(&rd, f, path);
	while ((rc = arpg_manifest_next(&rd, &r)) == 1) {
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			if (!(t = realloc(c, sizeof *c * (size_t)cap))) {
				rc = ARPG_ENOMEM;
				break;
			}
			c = t;
		}
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

int sheet_write(const char *png, const char *outdir, const struct sheet_options *o,
		     long *unreadable, char *err, size_t errn)
{
	struct clip *c = NULL;
	long n = 0, i, j, nlabels = 0, bad = 0, frames = 0, noface = 0, flagged = 0;
	long *first = NULL;	/* index of each label's first clip; [nlabels] = n */
	const int C = o->clips_per_label, F = o->frames_per_clip, S = o->thumb, gap = 2;
	const int lw = 130, cw = F * (S + gap) + 18, rh = S + 40, top = 70;
	cairo_surface_t *sf = NULL;
	cairo_t *cr = NULL;
	char *flags = NULL, tmp[4300], buf[256];
	cairo_status_t st;
	int rc;

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

	sf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, lw + C * cw + 10,
					top + (int)(nlabels ? nlabels : 1) * rh + 10);
	cr = cairo_create(sf);
	cairo_set_source_rgb(cr, 0.96, 0.96, 0.96);
	cairo_paint(cr);
	for (long L = 0; L < nlabels; L++) {
		long m = first[L + 1] - first[L];
		int shown = m < C ? (int)m : C;
		double ry = top + L * rh;

		cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
		text(cr, 10, ry + S / 2.0 + 4, 15, 1, c[first[L]].label);
		snprintf(buf, sizeof buf, "%ld clip%s", m, m == 1 ? "" : "s");
		cairo_set_source_rgb(cr, 0.4, 0.4, 0.4);
		text(cr, 10, ry + S / 2.0 + 22, 12, 0, buf);
		for (int k = 0; k < shown; k++) {
			/* clips spread evenly over the label's clips */
			struct clip *p = &c[first[L] + (shown > 1 ? (long)k * (m - 1) / (shown - 1) : 0)];
			double cx = lw + k * cw;
			long nf = p->frames, got, want = nf < F ? nf : F;

			free(flags);
			if (!(flags = malloc((size_t)(nf > 0 ? nf : 1)))) {
				rc = ARPG_ENOMEM;
				goto out;
			}
			got = read_flags(p->dir, flags, nf);
			if (got < 0 && access(p->dir, F_OK) < 0)
				continue;	/* a failed clip: no folder */
			for (j = 0; j < want; j++) {
				long f = want > 1 ? j * (nf - 1) / (want - 1) : 0;
				double x = cx + j * (S + gap), y = ry;
				char path[4400];

				snprintf(path, sizeof path, "%s/%06ld.png", p->dir, f);
				if (thumb(cr, path, x, y, S) < 0)
					bad++;
				if (!flags[f]) {
					cairo_set_source_rgb(cr, 0.9, 0.05, 0.05);
					cairo_set_line_width(cr, 3);
					cairo_rectangle(cr, x + 1.5, y + 1.5, S - 3, S - 3);
					cairo_stroke(cr);
				}
			}
			if (p->faces == 0) {
				cairo_set_source_rgb(cr, 1.0, 0.55, 0.0);
				cairo_set_line_width(cr, 3);
				cairo_rectangle(cr, cx - 3.5, ry - 3.5, want * (S + gap) - gap + 7, S + 7);
				cairo_stroke(cr);
			}
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
		}
	}
	for (i = 0; i < n; i++) {
		long got;

		free(flags);
		if (!(flags = malloc((size_t)(c[i].frames > 0 ? c[i].frames : 1)))) {
			rc = ARPG_ENOMEM;
			goto out;
		}
		got = read_flags(c[i].dir, flags, c[i].frames);
		for (j = 0; got > 0 && j < c[i].frames && j < got; j++)
			flagged += !flags[j];
	}
	cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
	snprintf(buf, sizeof buf, "%ld clip%s, %ld frames: %ld without a detection, "
		 "%ld clip%s without a face", n, n == 1 ? "" : "s", frames, flagged, noface,
		 noface == 1 ? "" : "s");
	text(cr, 10, 26, 16, 1, buf);
	cairo_set_source_rgb(cr, 0.9, 0.05, 0.05);
	cairo_set_line_width(cr, 3);
	cairo_rectangle(cr, 11.5, 40.5, 14, 14);
	cairo_stroke(cr);
	cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
	text(cr, 32, 52, 12, 0, "no detection in this frame (a neighbour's transform reused)");
	cairo_set_source_rgb(cr, 1.0, 0.55, 0.0);
	cairo_rectangle(cr, 431.5, 40.5, 14, 14);
	cairo_stroke(cr);
	cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
	text(cr, 452, 52, 12, 0, "no face in the whole clip (centre crops)");

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
out:
	if (cr)
		cairo_destroy(cr);
	if (sf)
		cairo_surface_destroy(sf);
	free(flags);
	free(first);
	free_clips(c, n);
	if (unreadable)
		*unreadable = bad;
	return rc;
}
