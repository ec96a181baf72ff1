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

/* The first column the detector adds. */
#define DETECTOR_COLUMNS "\tscore\tk0x\t"

int arpg_frames_tsv_write_header(FILE *f, int cols)
{
	int i;

	fputs("index\tdetected\tbox_x\tbox_y\tbox_w\tbox_h", f);
	for (i = 0; i < 68; i++)
		fprintf(f, "\tx%d\ty%d", i, i);
	for (i = 0; i < 6; i++)
		fprintf(f, "\tm%d", i);
	if (cols == ARPG_FRAMES_TSV_DETECTOR) {
		fputs("\tscore", f);
		for (i = 0; i < 5; i++)
			fprintf(f, "\tk%dx\tk%dy", i, i);
	}
	return putc('\n', f) == EOF ? -1 : 0;
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
	if (cols == ARPG_FRAMES_TSV_DETECTOR) {
		fprintf(f, "\t%.6g", r->detected ? r->score : 0);
		for (i = 0; i < 10; i++)
			fprintf(f, "\t%.6g", r->detected ? r->kps[i] : 0);
	}
	return putc('\n', f) == EOF ? -1 : 0;
}

/* Records frame idx's flag, growing the array (new frames 0). */
static int set_flag(struct arpg_frames_tsv *ft, size_t *cap, long idx, char flag)
{
	if (idx >= ft->n) {
		if (ARPG_GROW(ft->detected, cap, (size_t)idx + 1) < 0)
			return ARPG_ENOMEM;
		memset(ft->detected + ft->n, 0, (size_t)(idx + 1 - ft->n));
		ft->n = idx + 1;
	}
	ft->detected[idx] = flag;
	ft->rows++;
	ft->faces += flag;
	return 0;
}

/* One frame line p..eol: its index and detected fields. */
static int parse_line(struct arpg_frames_tsv *ft, size_t *cap, const char *p, const char *eol,
		      long lineno, char *err, size_t errn)
{
	const char *q;
	long idx = 0;

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
	return set_flag(ft, cap, idx, (char)(*q - '0'));
}

int arpg_frames_tsv_parse(struct arpg_frames_tsv *ft, const void *buf, size_t len,
			  char *err, size_t errn)
{
	const char *p = buf, *end = p + len;
	size_t cap = 0;
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

		if (++lineno > 1 && p < eol && *p != '#')
			rc = parse_line(ft, &cap, p, eol, lineno, err, errn);
		else if (lineno == 1 && memmem(p, (size_t)(eol - p), DETECTOR_COLUMNS,
					       strlen(DETECTOR_COLUMNS)))
			ft->cols = ARPG_FRAMES_TSV_DETECTOR;
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
	memset(ft, 0, sizeof *ft);
}
