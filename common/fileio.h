/* fileio.h - whole files in and out, for the parsers that take a buffer. */
#ifndef ARPG_FILEIO_H
#define ARPG_FILEIO_H

#include <stddef.h>

/* Reads the whole file into a malloc'd buffer (*buf, *len; one NUL byte
 * past the end, so text parsers may treat it as a string).  Returns 0,
 * ARPG_EIO (errno set), ARPG_ERANGE (over max bytes; 0: no limit),
 * ARPG_ENOMEM. */
int arpg_read_file(const char *path, size_t max, void **buf, size_t *len);

/* Writes len bytes to path.tmp, flushes, and renames it to path, so that
 * path is either the old file or the whole new one.  ARPG_EIO (errno set),
 * ARPG_EFULL (ENOSPC). */
int arpg_write_file_atomic(const char *path, const void *buf, size_t len);

/* Creates directory path and any missing parents (mkdir -p).  Returns 0
 * (also when it exists already) or ARPG_EIO with errno set: ENOTDIR when
 * path is a file, ENOENT when it is a symbolic link to nothing. */
int arpg_mkdir_p(const char *path);

#endif
