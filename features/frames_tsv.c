/* frames_tsv.c - face flags from frames.tsv (see frames_tsv.h). */
#include "frames_tsv.h"
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int arpg_frames_tsv_flags(char *flags, int n, const char *path, char *err, size_t errn)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *end;
	size_t cap = 0;
	long lineno = 0, idx;
	int rc = 0;

	memset(flags, '0', (size_t)n);
	if (!f)
		return errno == ENOENT ? ARPG_ENOENT
				       : arpg_errf(err, errn, ARPG_EIO, "%s", strerror(errno));
	while (getline(&line, &cap, f) > 0) {
		lineno++;
		if (line[0] < '0' || line[0] > '9') {
			if (lineno == 1)
				continue;	/* the header */
			if (line[0] == '\n' || line[0] == '#')
				continue;
			rc = arpg_errf(err, errn, ARPG_EFORMAT, "line %ld: no frame index", lineno);
			break;
		}
		errno = 0;
		idx = strtol(line, &end, 10);
		if (errno || *end != '\t' || idx < 0 || idx >= n) {
			rc = arpg_errf(err, errn, ARPG_EFORMAT,
				       "line %ld: frame index not in 0..%d", lineno, n - 1);
			break;
		}
		if ((end[1] != '0' && end[1] != '1') ||
		    (end[2] != '\t' && end[2] != '\n' && end[2] != '\0')) {
			rc = arpg_errf(err, errn, ARPG_EFORMAT,
				       "line %ld: detected must be 0 or 1", lineno);
			break;
		}
		flags[idx] = end[1];
	}
	if (!rc && ferror(f))
		rc = arpg_errf(err, errn, ARPG_EIO, "%s", strerror(errno));
	free(line);
	fclose(f);
	return rc;
}
