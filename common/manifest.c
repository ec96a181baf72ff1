/* manifest.c - read and write the clip manifest TSV. */
#include "manifest.h"
#include "error.h"
#include "text.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

enum { NFIELDS = 7 };

void arpg_manifest_row_free(struct arpg_manifest_row *r)
{
	free(r->storage);
	memset(r, 0, sizeof *r);
}

int arpg_manifest_split_ok(const char *s)
{
	return !strcmp(s, "train") || !strcmp(s, "val") || !strcmp(s, "test");
}

/* Unescapes src[0..n) into dst (room for n+1); returns 0 or -1 on a bad escape. */
static int unescape(char *dst, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (src[i] != '\\') {
			if (src[i] == '\0' || src[i] == '\r' || src[i] == '\n')
				return -1;
			*dst++ = src[i];
			continue;
		}
		if (++i == n)
			return -1;
		switch (src[i]) {
		case 't': *dst++ = '\t'; break;
		case 'n': *dst++ = '\n'; break;
		case 'r': *dst++ = '\r'; break;
		case '\\': *dst++ = '\\'; break;
		default: return -1;
		}
	}
	*dst = 0;
	return 0;
}

static int parse_count(long *out, const char *s)
{
	char *end;
	long v;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v > INT_MAX)
		return -1;
	*out = v;
	return 0;
}

int arpg_manifest_parse(struct arpg_manifest_row *r, const char *line, size_t len,
			char *err, size_t errn)
{
	static const char *const names[NFIELDS] = {
		"clip_id", "split", "label", "subject", "frames", "faces", "path"
	};
	char *field[NFIELDS], *store, *p, why[160];
	size_t start = 0, i;
	int nf = 0;

	if (!(store = malloc(len + NFIELDS)))
		return ARPG_ENOMEM;
	p = store;
	for (i = 0; i <= len; i++) {
		if (i < len && line[i] != '\t')
			continue;
		if (nf == NFIELDS) {
			free(store);
			return arpg_errf(err, errn, ARPG_EFORMAT,
					 "more than %d tab-separated fields", NFIELDS);
		}
		if (unescape(p, line + start, i - start) < 0) {
			free(store);
			return arpg_errf(err, errn, ARPG_EFORMAT,
					 "field %s: bad escape or control character", names[nf]);
		}
		field[nf++] = p;
		p += strlen(p) + 1;
		start = i + 1;
	}
	if (nf != NFIELDS) {
		free(store);
		return arpg_errf(err, errn, ARPG_EFORMAT,
				 "%d fields where %d are expected (%s)", nf, NFIELDS,
				 ARPG_MANIFEST_HEADER);
	}
	arpg_manifest_row_free(r);
	r->storage = store;
	r->clip_id = field[0];
	r->split = field[1];
	r->label = field[2];
	r->subject = field[3];
	r->path = field[6];
	if (arpg_name_check(r->clip_id, ARPG_NAME_CLIP_ID, why, sizeof why) < 0 ||
	    arpg_name_check(r->label, ARPG_NAME_LABEL, why, sizeof why) < 0 ||
	    arpg_name_check(r->subject, ARPG_NAME_SUBJECT, why, sizeof why) < 0)
		return arpg_errf(err, errn, ARPG_EFORMAT,
				 "%s (see IDS AND LABELS in arpg-preprocess(1))", why);
	if (!arpg_manifest_split_ok(r->split))
		return arpg_errf(err, errn, ARPG_EFORMAT,
				 "split '%s' is not train, val or test", r->split);
	if (parse_count(&r->frames, field[4]) < 0)
		return arpg_errf(err, errn, ARPG_EFORMAT,
				 "frames '%s' is not a non-negative integer", field[4]);
	if (parse_count(&r->faces, field[5]) < 0 || r->faces > r->frames)
		return arpg_errf(err, errn, ARPG_EFORMAT,
				 "faces '%s' is not an integer from 0 to frames", field[5]);
	if (!*r->path)
		return arpg_errf(err, errn, ARPG_EFORMAT, "empty path");
	return 0;
}

static int put_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		const char *e = NULL;

		switch (*s) {
		case '\t': e = "\\t"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\\': e = "\\\\"; break;
		}
		if (e ? fputs(e, f) == EOF : putc(*s, f) == EOF)
			return -1;
	}
	return 0;
}

int arpg_manifest_write_header(FILE *f)
{
	if (fputs(ARPG_MANIFEST_HEADER "\n", f) == EOF || fflush(f))
		return ARPG_EIO;
	return 0;
}

int arpg_manifest_write_row(FILE *f, const struct arpg_manifest_row *r)
{
	const char *text[4] = { r->clip_id, r->split, r->label ? r->label : "",
				r->subject ? r->subject : "" };
	int i;

	for (i = 0; i < 4; i++)
		if (put_escaped(f, text[i]) < 0 || putc('\t', f) == EOF)
			return ARPG_EIO;
	if (fprintf(f, "%ld\t%ld\t", r->frames, r->faces) < 0 ||
	    put_escaped(f, r->path) < 0 || putc('\n', f) == EOF || fflush(f))
		return ARPG_EIO;
	return 0;
}

void arpg_manifest_reader_init(struct arpg_manifest_reader *rd, FILE *f, const char *name)
{
	memset(rd, 0, sizeof *rd);
	rd->f = f;
	rd->name = name;
}

void arpg_manifest_reader_free(struct arpg_manifest_reader *rd)
{
	free(rd->buf);
	rd->buf = NULL;
	rd->cap = 0;
}

int arpg_manifest_next(struct arpg_manifest_reader *rd, struct arpg_manifest_row *r)
{
	char why[200];
	ssize_t n;
	int rc;

	for (;;) {
		errno = 0;
		n = getline(&rd->buf, &rd->cap, rd->f);
		if (n < 0)
			return errno == ENOMEM ? ARPG_ENOMEM : ferror(rd->f) ? ARPG_EIO : 0;
		rd->line++;
		if (n > 0 && rd->buf[n - 1] == '\n')
			rd->buf[--n] = 0;
		if (n > 0 && rd->buf[n - 1] == '\r')
			rd->buf[--n] = 0;
		if (strcmp(rd->buf, ARPG_MANIFEST_HEADER) == 0) {
			rd->header_seen = 1;
			continue;
		}
		if (n == 0 || rd->buf[0] == '#')
			continue;
		if (!rd->header_seen)
			return arpg_errf(rd->err, sizeof rd->err, ARPG_EFORMAT,
					 "line %ld: expected the header line \"%s\" (tab-separated)",
					 rd->line, "clip_id split label subject frames faces path");
		rc = arpg_manifest_parse(r, rd->buf, (size_t)n, why, sizeof why);
		if (rc == ARPG_EFORMAT)
			return arpg_errf(rd->err, sizeof rd->err, rc, "line %ld: %s", rd->line, why);
		return rc < 0 ? rc : 1;
	}
}
