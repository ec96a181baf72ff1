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

enum { MAX_FIELDS = 1024, FIRST_PROB = 4 };

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

/* One clip's line, flushed; 0, or -1 when the write failed (errno). */
static int print_one(FILE *out, char **f, char **labels, int C, const char *source, int json)
{
	if (json) {
		fputs("{\"clip\":", out);
		arpg_json_string(out, f[0]);
		fputs(",\"source\":", out);
		arpg_json_string(out, source);
		fputs(",\"predicted\":", out);
		arpg_json_string(out, f[3]);
		fputs(",\"probabilities\":{", out);
		for (int j = 0; j < C; j++) {
			fputs(j ? "," : "", out);
			arpg_json_string(out, labels[j]);
			fprintf(out, ":%s", f[FIRST_PROB + j]);
		}
		fputs("}}\n", out);
	} else {
		fprintf(out, "%s\t%s\t%s", f[0], source, f[3]);
		for (int j = 0; j < C; j++)
			fprintf(out, "\t%s", f[FIRST_PROB + j]);
		fputc('\n', out);
	}
	return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}

long output_predictions(FILE *out, const char *preds, const char *faces, int json, char *err,
			size_t errn)
{
	char *line = NULL, *header = NULL, **f = NULL, **labels = NULL, source[8600];
	size_t cap = 0;
	long n = 0;
	int C = 0, nf;
	FILE *in = fopen(preds, "r");

	if (!in)
		return arpg_errf(err, errn, ARPG_EIO, "%s: %s", preds, strerror(errno));
	f = malloc(sizeof *f * MAX_FIELDS);
	labels = malloc(sizeof *labels * MAX_FIELDS);
	if (!f || !labels) {
		n = ARPG_ENOMEM;
		goto out;
	}
	while (getline(&line, &cap, in) > 0) {
		line[strcspn(line, "\n")] = 0;
		if (!header) {
			if (!(header = strdup(line))) {
				n = ARPG_ENOMEM;
				goto out;
			}
			nf = split_tabs(header, labels);
			C = nf - FIRST_PROB;
			if (C < 1 || strcmp(labels[0], "clip_id") || strcmp(labels[3], "predicted")) {
				n = arpg_errf(err, errn, ARPG_EFORMAT, "%s: not the predictions of "
					      "arpg-train --predict", preds);
				goto out;
			}
			for (int j = 0; j < C; j++)	/* "p_Angry" -> "Angry" */
				labels[j] = labels[FIRST_PROB + j] + 2;
			if (!json) {
				fprintf(out, "clip\tsource\tpredicted");
				for (int j = 0; j < C; j++)
					fprintf(out, "\tp_%s", labels[j]);
				fputc('\n', out);
			}
			continue;
		}
		if ((nf = split_tabs(line, f)) != FIRST_PROB + C) {
			n = arpg_errf(err, errn, ARPG_EFORMAT, "%s: a line of %d fields, not %d", preds,
				      nf, FIRST_PROB + C);
			goto out;
		}
		if (print_one(out, f, labels, C, source_of(faces, f[0], source, sizeof source),
			      json) < 0) {
			/* a reader that went away (| head) ends the output quietly */
			n = errno == EPIPE ? ARPG_EPIPE_QUIET : arpg_errf(err, errn, ARPG_EIO,
				"standard output: %s", strerror(errno));
			goto out;
		}
		n++;
	}
	if (ferror(in))
		n = arpg_errf(err, errn, ARPG_EIO, "%s: %s", preds, strerror(errno));
out:
	fclose(in);
	free(line);
	free(header);
	free(f);
	free(labels);
	return n;
}
