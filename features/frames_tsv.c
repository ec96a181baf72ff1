/* frames_tsv.c - face flags from frames.tsv (see frames_tsv.h). */
#include "frames_tsv.h"
#include "error.h"
#include "fileio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A frames.tsv of a clip holds about 1.2 KB per frame; no clip is near this. */
#define FRAMES_TSV_MAX ((size_t)1 << 30)

int frames_tsv_parse(char *flags, int n, const char *buf, size_t len, char *err,
			  size_t errn)
{
	const char *p = buf, *end = buf + len;
	long lineno = 0;

	memset(flags, '0', (size_t)n);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *q;
		const char *eol = nl ? nl : end;
		long idx = 0;

		lineno++;
		if (*p < '0' || *p > '9') {
			if (lineno == 1 || *p == '\n' || *p == '#') {	/* header, blank, comment */
				p = eol + 1;
				continue;
			}
			return arpg_errf(err, errn, ARPG_EFORMAT, "line %ld: no frame index", lineno);
		}
		for (q = p; q < eol && *q >= '0' && *q <= '9'; q++)
			if ((idx = idx * 10 + (*q - '0')) >= n)
				break;
		if (idx >= n || q >= eol || *q != '\t')
			return arpg_errf(err, errn, ARPG_EFORMAT,
					 "line %ld: frame index not in 0..%d", lineno, n - 1);
		q++;
		if (q >= eol || (*q != '0' && *q != '1') || (q + 1 < eol && q[1] != '\t'))
			return arpg_errf(err, errn, ARPG_EFORMAT,
					 "line %ld: detected must be 0 or 1", lineno);
		flags[idx] = *q;
		p = eol + 1;
	}
	return 0;
}

int frames_tsv_flags(char *flags, int n, const char *path, char *err, size_t errn)
{
	void *buf;
	size_t len;
	int rc = arpg_read_file(path, FRAMES_TSV_MAX, &buf, &len);

	if (rc == ARPG_EIO && errno == ENOENT) {
		memset(flags, '0', (size_t)n);
		return ARPG_ENOENT;
	}
	if (rc == ARPG_ERANGE)
		return arpg_errf(err, errn, rc, "larger than 1 GiB");
	if (rc)
		return arpg_errf(err, errn, rc, "%s", rc == ARPG_EIO ? strerror(errno) : "out of memory");
	rc = frames_tsv_parse(flags, n, buf, len, err, errn);
	free(buf);
	return rc;
}
