/* output.c - printing the predictions (see output.h). */
#include "config.h"
#include "output.h"
#include "error.h"
#include "origin_tsv.h"
#include "text.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { MAX_FIELDS = 1024, SOURCE_MAX = 8600 };

/* arpg-train's predictions as read: their header's classes, and where a
 * line's fields are. */
struct table {
	int C;
	int first;		/* the first probability's field */
	int predicted;		/* the predicted label's field */
	int frame;		/* the frame's field, or -1 (a clip model) */
	char **labels;		/* C class names, into header */
};

/* One clip's frames summed, for a clip's line of a per-frame model. */
struct clip_sum {
	double *p;		/* C sums */
	long frames;		/* 0: none yet */
};

/* Splits line at tabs into f (at most MAX_FIELDS); their number. */
static int split_tabs(char *line, char **f)
{
	int n = 0;

	for (char *p = line; p && n < MAX_FIELDS; n++) {
		f[n] = p;
		if ((p = strchr(p, '\t')))
			*p++ = 0;
	}
	return n;
}

/* Where clip id came from, by its origin.tsv, into buf: the list's path
 * for a video, INPUT:ENTRY for an archive, INPUT/ENTRY for a folder; ""
 * when unknown. */
static const char *source_of(const char *faces, const char *id, char *buf, size_t n)
{
	char dir[4300], input[4200], entry[4200], *text;
	struct stat st;

	snprintf(dir, sizeof dir, "%s/%s", faces, id);
	buf[0] = 0;
	if (!(text = arpg_origin_read(dir)))
		return buf;
	arpg_origin_value(text, "input", input, sizeof input);
	arpg_origin_value(text, "entry", entry, sizeof entry);
	free(text);
	if (entry[0] == '/' || !input[0] || stat(input, &st) < 0)
		snprintf(buf, n, "%s", entry);	/* a list's line: the video */
	else
		snprintf(buf, n, "%s%s%s", input, S_ISDIR(st.st_mode) ? "/" : ":", entry);
	return buf;
}

/* The header line (split in place) into t; 0 or ARPG_EFORMAT. */
static int read_header(struct table *t, char *line, char **labels)
{
	int nf = split_tabs(line, labels);

	t->frame = nf > 2 && !strcmp(labels[2], "frame") ? 2 : -1;
	t->predicted = t->frame < 0 ? 3 : 4;
	t->first = t->predicted + 1;
	t->C = nf - t->first;
	if (t->C < 1 || strcmp(labels[0], "clip_id") || strcmp(labels[t->predicted], "predicted"))
		return ARPG_EFORMAT;
	for (int j = 0; j < t->C; j++) {	/* "p_Angry" -> "Angry" */
		if (strncmp(labels[t->first + j], "p_", 2))
			return ARPG_EFORMAT;
		labels[j] = labels[t->first + j] + 2;
	}
	t->labels = labels;
	return 0;
}

/* The header of the TSV output. */
static void print_header(FILE *out, const struct table *t, int per_frame)
{
	fprintf(out, "clip\tsource%s\tpredicted", per_frame ? "\tframe" : "");
	for (int j = 0; j < t->C; j++)
		fprintf(out, "\tp_%s", t->labels[j]);
	fputc('\n', out);
}

/* A line: clip, source, the frame (NULL: a clip's line), the predicted
 * label, the probabilities as text; flushed.  0, or -1 when the write
 * failed (errno). */
static int print_line(FILE *out, const struct table *t, const char *clip, const char *source,
		      const char *frame, const char *predicted, char *const *p, int json)
{
	if (json) {
		fputs("{\"clip\":", out);
		arpg_json_string(out, clip);
		fputs(",\"source\":", out);
		arpg_json_string(out, source);
		if (frame)
			fprintf(out, ",\"frame\":%s", frame);
		fputs(",\"predicted\":", out);
		arpg_json_string(out, predicted);
		fputs(",\"probabilities\":{", out);
		for (int j = 0; j < t->C; j++) {
			fputs(j ? "," : "", out);
			arpg_json_string(out, t->labels[j]);
			fprintf(out, ":%s", p[j]);
		}
		fputs("}}\n", out);
	} else {
		fprintf(out, "%s\t%s", clip, source);
		if (frame)
			fprintf(out, "\t%s", frame);
		fprintf(out, "\t%s", predicted);
		for (int j = 0; j < t->C; j++)
			fprintf(out, "\t%s", p[j]);
		fputc('\n', out);
	}
	return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}

/* A per-frame model's clip line from s: the mean of its frames'
 * probabilities, the class of the largest (the first of equals), as
 * arpg-train prints probabilities (%.6f).  0 or -1 (errno). */
static int print_clip_mean(FILE *out, const struct table *t, const struct clip_sum *s,
			   const char *clip, const char *source, int json)
{
	char text[MAX_FIELDS][32], *p[MAX_FIELDS];
	int best = 0;

	for (int j = 0; j < t->C; j++) {
		snprintf(text[j], sizeof text[j], "%.6f", s->p[j] / (double)s->frames);
		p[j] = text[j];
		if (s->p[j] > s->p[best])
			best = j;
	}
	return print_line(out, t, clip, source, NULL, t->labels[best], p, json);
}

/* Adds a frame's probabilities f[t->first..] to s; 0, or ARPG_EFORMAT
 * (not a number). */
static int add_frame(struct clip_sum *s, const struct table *t, char *const *f)
{
	for (int j = 0; j < t->C; j++) {
		char *end;
		double v = strtod(f[t->first + j], &end);

		if (end == f[t->first + j] || *end)
			return ARPG_EFORMAT;
		s->p[j] += v;
	}
	s->frames++;
	return 0;
}

long output_predictions(FILE *out, const char *preds, const char *faces, int json, int per_frame,
			char *err, size_t errn)
{
	char *line = NULL, *header = NULL, **f = NULL, **labels = NULL, *source = NULL;
	char *source_id = NULL;
	struct table t = { 0 };
	struct clip_sum sum = { 0 };
	size_t cap = 0;
	long clips = 0, rc = 0;
	int nf;
	FILE *in = fopen(preds, "r");

	if (!in)
		return arpg_errf(err, errn, ARPG_EIO, "%s: %s", preds, strerror(errno));
	f = malloc(sizeof *f * MAX_FIELDS);
	labels = malloc(sizeof *labels * MAX_FIELDS);
	source = malloc(SOURCE_MAX);
	sum.p = calloc(MAX_FIELDS, sizeof *sum.p);
	if (!f || !labels || !source || !sum.p) {
		rc = ARPG_ENOMEM;
		goto out;
	}
	while (getline(&line, &cap, in) > 0) {
		line[strcspn(line, "\n")] = 0;
		if (!header) {
			if (!(header = strdup(line))) {
				rc = ARPG_ENOMEM;
				goto out;
			}
			if (read_header(&t, header, labels) < 0) {
				rc = arpg_errf(err, errn, ARPG_EFORMAT, "%s: not the predictions of "
					       "arpg-train --predict", preds);
				goto out;
			}
			if (per_frame && t.frame < 0) {
				rc = arpg_errf(err, errn, ARPG_EFORMAT, "%s: a prediction per clip, "
					       "not per frame", preds);
				goto out;
			}
			if (!json)
				print_header(out, &t, per_frame);
			continue;
		}
		if ((nf = split_tabs(line, f)) != t.first + t.C) {
			rc = arpg_errf(err, errn, ARPG_EFORMAT, "%s: a line of %d fields, not %d",
				       preds, nf, t.first + t.C);
			goto out;
		}
		/* a clip's lines are consecutive: a new id is the next clip, and
		 * its source is looked up once */
		if (!source_id || strcmp(source_id, f[0])) {
			if (sum.frames && print_clip_mean(out, &t, &sum, source_id, source,
							  json) < 0)
				goto write_failed;
			memset(sum.p, 0, sizeof *sum.p * t.C);
			sum.frames = 0;
			free(source_id);
			if (!(source_id = strdup(f[0]))) {
				rc = ARPG_ENOMEM;
				goto out;
			}
			source_of(faces, f[0], source, SOURCE_MAX);
			clips++;
		}
		if (t.frame < 0 || per_frame) {
			if (print_line(out, &t, f[0], source, t.frame < 0 ? NULL : f[t.frame],
				       f[t.predicted], f + t.first, json) < 0)
				goto write_failed;
		} else if ((rc = add_frame(&sum, &t, f)) < 0) {
			arpg_errf(err, errn, rc, "%s: a probability of clip %s is not a number",
				  preds, f[0]);
			goto out;
		}
	}
	if (ferror(in))
		rc = arpg_errf(err, errn, ARPG_EIO, "%s: %s", preds, strerror(errno));
	else if (sum.frames && print_clip_mean(out, &t, &sum, source_id, source, json) < 0)
		goto write_failed;
	goto out;
write_failed:
	/* a reader that went away (| head) ends the output quietly */
	rc = errno == EPIPE ? ARPG_EPIPE_QUIET : arpg_errf(err, errn, ARPG_EIO,
		"standard output: %s", strerror(errno));
out:
	fclose(in);
	free(line);
	free(header);
	free(f);
	free(labels);
	free(source);
	free(source_id);
	free(sum.p);
	return rc < 0 ? rc : clips;
}
