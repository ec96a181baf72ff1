/* fileio.c - whole-file reads and atomic writes. */
#include "fileio.h"
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int arpg_read_file(const char *path, size_t max, void **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 16, n = 0;
	char *b = NULL;

	*buf = NULL;
	*len = 0;
	if (!f)
		return ARPG_EIO;
	for (;;) {
		char *nb;
		size_t got;

		if (!b || n + 1 >= cap) {
			if (b)
				cap *= 2;
			if (!(nb = realloc(b, cap))) {
				free(b);
				fclose(f);
				return ARPG_ENOMEM;
			}
			b = nb;
		}
		got = fread(b + n, 1, cap - n - 1, f);
		n += got;
		if (max && n > max) {
			free(b);
			fclose(f);
			return ARPG_ERANGE;
		}
		if (got == 0) {
			int bad = ferror(f);
			int saved = errno;

			fclose(f);
			if (bad) {
				free(b);
				errno = saved;
				return ARPG_EIO;
			}
			break;
		}
	}
	b[n] = 0;
	*buf = b;
	*len = n;
	return 0;
}

int arpg_write_file_atomic(const char *path, const void *buf, size_t len)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 5);
	FILE *f;
	int rc = 0;

	if (!tmp)
		return ARPG_ENOMEM;
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".tmp", 5);
	if (!(f = fopen(tmp, "wb"))) {
		free(tmp);
		return ARPG_EIO;
	}
	if (fwrite(buf, 1, len, f) != len || fflush(f))
		rc = errno == ENOSPC ? ARPG_EFULL : ARPG_EIO;
	if (fclose(f) && !rc)
		rc = errno == ENOSPC ? ARPG_EFULL : ARPG_EIO;
	if (!rc && rename(tmp, path))
		rc = ARPG_EIO;
	if (rc) {
		int saved = errno;

		remove(tmp);
		errno = saved;
	}
	free(tmp);
	return rc;
}

int arpg_mkdir_p(const char *path)
{
	char *p = strdup(path), *q;
	struct stat st;
	int rc = 0;

	if (!p)
		return ARPG_ENOMEM;
	for (q = p + 1; *q; q++)
		if (*q == '/') {
			*q = 0;
			if (mkdir(p, 0777) && errno != EEXIST)
				rc = ARPG_EIO;
			*q = '/';
			if (rc)
				break;
		}
	if (!rc && mkdir(p, 0777) && errno != EEXIST)
		rc = ARPG_EIO;
	/* EEXIST also for a file, or a link to nothing: not a folder to write in */
	if (!rc && (stat(p, &st) < 0 || (!S_ISDIR(st.st_mode) && (errno = ENOTDIR))))
		rc = ARPG_EIO;
	free(p);
	return rc;
}
