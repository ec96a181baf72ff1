/* lock.c - one writer at a time on an output (see lock.h). */
#include "lock.h"
#include "error.h"
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct arpg_lock {
	int fd;
};

/* What the lock file says of its holder: "PROGRAM (pid PID) since TIME". */
static void describe_holder(int fd, char *out, size_t n)
{
	char buf[256], prog[128], when[64];
	long pid = 0;
	ssize_t got = pread(fd, buf, sizeof buf - 1, 0);
	struct stat sb;
	struct tm tm;

	snprintf(out, n, "another process");
	if (got <= 0)
		return;
	buf[got] = 0;
	if (sscanf(buf, "%ld %127[^\n]", &pid, prog) != 2 || pid <= 0)
		return;
	when[0] = 0;
	if (!fstat(fd, &sb) && localtime_r(&sb.st_mtime, &tm))
		strftime(when, sizeof when, " since %Y-%m-%d %H:%M:%S", &tm);
	snprintf(out, n, "%s (pid %ld)%s", prog, pid, when);
}

int arpg_lock_take(struct arpg_lock **lp, const char *path, int is_dir, const char *program,
		   int mode, char *err, size_t errn)
{
	struct arpg_lock *l;
	char file[4096], who[256], line[160];
	int fd, n;

	*lp = NULL;
	if (is_dir && arpg_mkdir_p(path) < 0)
		return arpg_errf(err, errn, ARPG_EIO, "cannot create the directory: %s",
				 strerror(errno));
	n = snprintf(file, sizeof file, is_dir ? "%s/arpg.lock" : "%s.lock", path);
	if (n < 0 || (size_t)n >= sizeof file)
		return arpg_errf(err, errn, ARPG_EINVAL, "path too long");
	if ((fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0666)) < 0)
		return arpg_errf(err, errn, ARPG_EIO, "%s: %s", file, strerror(errno));
	while (flock(fd, LOCK_EX | (mode == ARPG_LOCK_WAIT ? 0 : LOCK_NB))) {
		int e = errno;

		if (e == EWOULDBLOCK) {
			describe_holder(fd, who, sizeof who);
			close(fd);
			return arpg_errf(err, errn, ARPG_ELOCKED,
					 "held by %s; wait for it to finish, or stop it (%s)",
					 who, file);
		}
		if (e == EINTR) {
			close(fd);
			return arpg_errf(err, errn, ARPG_EINTR, "interrupted while waiting for %s",
					 file);
		}
		close(fd);
		return arpg_errf(err, errn, ARPG_EIO, "%s: cannot lock: %s", file, strerror(e));
	}
	/* ours now: say who we are (a failure here costs only the description) */
	n = snprintf(line, sizeof line, "%ld %s\n", (long)getpid(), program);
	if (ftruncate(fd, 0) == 0 && n > 0 && pwrite(fd, line, (size_t)n, 0) < 0)
		(void)0;
	if (!(l = malloc(sizeof *l))) {
		close(fd);
		return ARPG_ENOMEM;
	}
	l->fd = fd;
	*lp = l;
	return 0;
}

void arpg_lock_release(struct arpg_lock *l)
{
	if (!l)
		return;
	/* emptied first, so that the file never names a process that is gone */
	if (ftruncate(l->fd, 0))
		(void)0;
	close(l->fd);
	free(l);
}
