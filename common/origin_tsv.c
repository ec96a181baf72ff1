/* origin_tsv.c - reading a clip's origin.tsv (see origin_tsv.h). */
#include "origin_tsv.h"
#include "error.h"
#include "fileio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *arpg_origin_value(const char *text, const char *key, char *buf, size_t n)
{
	size_t k = strlen(key);
	const char *p, *end;

	buf[0] = 0;
	for (p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, key, k) && p[k] == '\t') {
			p += k + 1;
			end = strchr(p, '\n');
			snprintf(buf, n, "%.*s", (int)(end ? end - p : (long)strlen(p)), p);
			break;
		}
	return buf;
}

char *arpg_origin_read(const char *dir)
{
	char path[4300];
	void *buf = NULL;
	size_t len;

	snprintf(path, sizeof path, "%s/origin.tsv", dir);
	return arpg_read_file(path, 1 << 20, &buf, &len) < 0 ? NULL : buf;
}

int arpg_origin_settings(const char *dir, char *buf, size_t n)
{
	char *have = arpg_origin_read(dir);
	int rc;

	buf[0] = 0;
	if (!have)
		return ARPG_ENOENT;
	rc = *arpg_origin_value(have, "settings", buf, n) ? 0 : ARPG_ENOENT;
	free(have);
	return rc;
}
