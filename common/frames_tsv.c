/* frames_tsv.c - writing and reading frames.tsv (see frames_tsv.h). */
#include "frames_tsv.h"
#include "error.h"
#include "fileio.h"
#include "grow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A frames.tsv holds about 1.2 KB per frame; no clip is near this. */
#define FRAMES_TSV_MAX ((size_t)1 << 30)
/* Frame indices stay below this (a clip of 4.6 hours at 1000 fps). */
#define FRAME_INDEX_MAX (1L << 24)

/* The first column the detector adds; the label column; the classes line. */
#define DETECTOR_COLUMNS "\tscore\tk0x\t"
#define LABEL_COLUMN "\tlabel"
#define LABEL_CLASSES "#label_classes\t"
/* A class index stays below this (it is stored in a signed char). */
#define CLASSES_MAX 128

int arpg_frames_tsv_write_header(FILE *f, int cols)
{
	int i;

	fputs("index\tdetected\tbox_x\tbox_y\tbox_w\tbox_h", f);
	for (i = 0; i < 68; i++)
		fprintf(f, "\tx%d\ty%d", i, i);
	for (i = 0; i < 6; i++)
		fprintf(f, "\tm%d", i);
	if (cols & ARPG_FRAMES_TSV_DETECTOR) {
		fputs("\tscore", f);
		for (i = 0; i < 5; i++)
			fprintf(f, "\tk%dx\tk%dy", i, i);
	}
	if (cols & ARPG_FRAMES_TSV_LABEL)
		fputs("\tlabel", f);
	return putc('\n', f) == EOF ? -1 : 0;
}

int arpg_frames_tsv_write_classes(FILE *f, const char *classes)
{
	return fprintf(f, "%s%s\n", LABEL_CLASSES, classes) < 0 ? -1 : 0;
}

int arpg_frames_tsv_write_row(FILE *f, long index, const struct arpg_frame_row *r, int cols)
{
	int i;

	fprintf(f, "%ld\t%d", index, r->detected);
	for (i = 0; i < 4; i++)
		fprintf(f, "\t%.6g", r->box[i]);
	if (!r->detected) {	/* the common case, kept cheap */
		for (i = 0; i < 136; i++)
			fputs("\t0", f);
	} else {
		for (i = 0; i < 136; i++)
			fprintf(f, "\t%.6g", r->landmarks[i]);
	}
	for (i = 0; i < 6; i++)
		fprintf(f, "\t%.9g", r->M[i]);
	if (cols & ARPG_FRAMES_TSV_DETECTOR) {
		fprintf(f, "\t%.6g", r->detected ? r->score : 0);
		for (i = 0; i < 10; i++)
			fprintf(f, "\t%.6g", r->detected ? r->kps[i] : 0);
	}
	if (cols & ARPG_FRAMES_TSV_LABEL)
		fprintf(f, "\t%d", r->label);
	return putc('\n', f) == EOF ? -1 : 0;
}

/* What a parse keeps beside ft: the arrays' capacities, the label column
 * (0: none) and the number of classes. */
struct parse_state {
	size_t cap, lcap;
	int label_col, nclasses;
};

/* Records frame idx's flag and label, growing the arrays (new frames 0 and
 * -1). */
static int set_frame(struct arpg_frames_tsv *ft, struct parse_state *ps, long idx, char flag,
		     int label)
{
	if (idx >= ft->n) {
		if (ARPG_GROW(ft->detected, &ps->cap, (size_t)idx + 1) < 0 ||
		    (ps->label_col && ARPG_GROW(ft->labels, &ps->lcap, (size_t)idx + 1) < 0))
			return ARPG_ENOMEM;
		memset(ft->detected + ft->n, 0, (size_t)(idx + 1 - ft->n));
		if (ps->label_col)
			memset(ft->labels + ft->n, -1, (size_t)(idx + 1 - ft->n));
		ft->n = idx + 1;
	}
	ft->detected[idx] = flag;
	if (ps->label_col)
		ft->labels[idx] = (signed char)label;
	ft->rows++;
	ft->faces += flag;
	return 0;
}

/* Field col (0-based) of the line p..eol as a label: -1 or a class index;
 * -2 when it is neither or the line has no such field. */
static int label_field(const char *p, const char *eol, int col, int nclasses)
{
	int v = 0, neg, digits = 0;

	while (col-- > 0)
		if (!(p = memchr(p, '\t', (size_t)(eol - p))) || ++p > eol)
			return -2;
	neg = p < eol && *p == '-';
	for (p += neg; p < eol && *p >= '0' && *p <= '9' && digits < 4; p++, digits++)
		v = v * 10 + (*p - '0');
	v = neg ? -v : v;
	if (!digits || (p < eol && *p != '\t') || v < -1 || v >= nclasses)
		return -2;
	return v;
}

/* The header line p..eol: the detector's columns, the label column (which
 * must be the last). */
static void read_header(struct arpg_frames_tsv *ft, struct parse_state *ps, const char *p,
			const char *eol)
{
	size_t n = (size_t)(eol - p), ll = strlen(LABEL_COLUMN);

	if (memmem(p, n, DETECTOR_COLUMNS, strlen(DETECTOR_COLUMNS)))
		ft->cols |= ARPG_FRAMES_TSV_DETECTOR;
	if (n > ll && !memcmp(eol - ll, LABEL_COLUMN, ll)) {
		ft->cols |= ARPG_FRAMES_TSV_LABEL;
		for (const char *q = p; q < eol - ll; q++)
			ps->label_col += *q == '\t';
		ps->label_col++;
	}
}

/* The label classes line's names p..eol: at most CLASSES_MAX, each a
 * non-empty name. */
static int read_classes(struct arpg_frames_tsv *ft, struct parse_state *ps, const char *p,
			const char *eol, long lineno, char *err, size_t errn)
{
	const char *q;

	if (ft->label_classes)
		return arpg_errf(err, errn, ARPG_EFORMAT, "line %ld: a second label classes line",
				 lineno);
	ps->nclasses = 1;
	for (q = p; q < eol; q++)
		if (*q == ',' && (q == p || q + 1 == eol || q[1] == ',' || ++ps->nclasses > CLASSES_MAX))
			break;
	if (p == eol || q < eol)
		return arpg_errf(err, errn, ARPG_EFORMAT, "line %ld: label classes are not up to "
				 "%d names joined by ','", lineno, CLASSES_MAX);
	if (!(ft->label_classes = strndup(p, (size_t)(eol - p))))
		return ARPG_ENOMEM;
	return 0;
}

/* One frame line p..eol: its index and detected fields, and its label. */
static int parse_line(struct arpg_frames_tsv *ft, struct parse_state *ps, const char *p,
		      const char *eol, long lineno, char *err, size_t errn)
{
	const char *q;
	long idx = 0;
	int label = -1;

	for (q = p; q < eol && *q >= '0' && *q <= '9'; q++)
		if ((idx = idx * 10 + (*q - '0')) >= FRAME_INDEX_MAX)
			break;
	if (q == p || idx >= FRAME_INDEX_MAX || q >= eol || *q != '\t')
		return arpg_errf(err, errn, ARPG_EFORMAT, "line %ld: no frame index below %ld",
				 lineno, FRAME_INDEX_MAX);
	q++;
	if (q >= eol || (*q != '0' && *q != '1') || (q + 1 < eol && q[1] != '\t'))
		return arpg_errf(err, errn, ARPG_EFORMAT, "line %ld: detected must be 0 or 1",
				 lineno);
	if (ps->label_col && !ft->label_classes)
		return arpg_errf(err, errn, ARPG_EFORMAT, "line %ld: a label column, but no "
				 "label classes line after the header", lineno);
	if (ps->label_col && (label = label_field(p, eol, ps->label_col, ps->nclasses)) < -1)
		return arpg_errf(err, errn, ARPG_EFORMAT, "line %ld: the label is not -1 or a "
				 "class index below %d", lineno, ps->nclasses);
	return set_frame(ft, ps, idx, (char)(*q - '0'), label);
}

int arpg_frames_tsv_parse(struct arpg_frames_tsv *ft, const void *buf, size_t len,
			  char *err, size_t errn)
{
	const char *p = buf, *end = p + len;
	struct parse_state ps = { 0 };
	long lineno = 0;
	int rc = 0;

	memset(ft, 0, sizeof *ft);
	if (len < 14 || memcmp(p, "index\tdetected", 14) ||
	    (len > 14 && p[14] != '\t' && p[14] != '\n'))
		return arpg_errf(err, errn, ARPG_EFORMAT,
				 "line 1: not a frames.tsv header (index, detected, ...)");
	while (p < end && rc == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;

		size_t cl = strlen(LABEL_CLASSES);

		if (++lineno == 1)
			read_header(ft, &ps, p, eol);
		else if (ps.label_col && (size_t)(eol - p) >= cl && !memcmp(p, LABEL_CLASSES, cl))
			rc = read_classes(ft, &ps, p + cl, eol, lineno, err, errn);
		else if (p < eol && *p != '#')
			rc = parse_line(ft, &ps, p, eol, lineno, err, errn);
		p = eol + 1;
	}
	if (rc < 0)
		arpg_frames_tsv_free(ft);
	return rc;
}

int arpg_frames_tsv_read(struct arpg_frames_tsv *ft, const char *path, char *err, size_t errn)
{
	void *buf;
	size_t len;
	int rc = arpg_read_file(path, FRAMES_TSV_MAX, &buf, &len);

	memset(ft, 0, sizeof *ft);
	if (rc == ARPG_EIO && errno == ENOENT)
		return arpg_errf(err, errn, ARPG_ENOENT, "no such file");
	if (rc == ARPG_ERANGE)
		return arpg_errf(err, errn, rc, "larger than 1 GiB");
	if (rc)
		return arpg_errf(err, errn, rc, "%s", rc == ARPG_EIO ? strerror(errno) : "out of memory");
	rc = arpg_frames_tsv_parse(ft, buf, len, err, errn);
	free(buf);
	return rc;
}

void arpg_frames_tsv_free(struct arpg_frames_tsv *ft)
{
	free(ft->detected);
	free(ft->labels);
	free(ft->label_classes);
	memset(ft, 0, sizeof *ft);
}
