/* spawn.c - running the sibling programs (see spawn.h). */
#include "config.h"
#include "spawn.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* The child running now (0: none), for spawn_forward. */
static volatile sig_atomic_t child;

void args_add(struct args *a, const char *s)
{
	char *c;

	if (a->n == ARGS_MAX || !(c = strdup(s))) {
		a->overflow = 1;
		return;
	}
	a->v[a->n++] = c;
	a->v[a->n] = NULL;
}

void args_opt(struct args *a, const char *opt, const char *val)
{
	args_add(a, opt);
	args_add(a, val);
}

void args_free(struct args *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->v[i]);
	memset(a, 0, sizeof *a);
}

/* Is dir/sub/name an executable file?  Its path into path then. */
static int executable(char *path, size_t n, const char *dir, const char *sub, const char *name)
{
	if ((size_t)snprintf(path, n, "%s%s%s/%s", dir, sub ? "/" : "", sub ? sub : "", name) >= n)
		return 0;
	return access(path, X_OK) == 0;
}

void spawn_find(char *path, size_t n, const char *name)
{
	char exe[PATH_MAX], sub[64];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
	char *slash;

	if (len > 0) {
		exe[len] = 0;
		if ((slash = strrchr(exe, '/'))) {
			*slash = 0;
			/* arpg-train lives in train/ of a build tree */
			snprintf(sub, sizeof sub, "../%s", name + strlen("arpg-"));
			if (executable(path, n, exe, NULL, name) || executable(path, n, exe, sub, name))
				return;
		}
	}
	snprintf(path, n, "%s", name);
}

void spawn_forward(int sig)
{
	pid_t pid = (pid_t)child;

	if (pid > 0)
		kill(pid, sig);
}

int spawn_run(const char *path, char *const argv[], const char *out, char *err, size_t errn)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int rc, status;

	if (posix_spawn_file_actions_init(&fa))
		return ARPG_ENOMEM;
	rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	rc = rc ? rc : posix_spawn_file_actions_addopen(&fa, 1, out ? out : "/dev/null",
							O_WRONLY | O_CREAT | O_TRUNC, 0666);
	if (rc) {
		posix_spawn_file_actions_destroy(&fa);
		return ARPG_ENOMEM;
	}
	/* a path with a slash is run as it is; a bare name is looked up on PATH */
	rc = posix_spawnp(&pid, path, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc)
		return arpg_errf(err, errn, rc == ENOENT ? ARPG_ENOENT : ARPG_EIO,
				 "cannot run %s: %s", path, strerror(rc));
	child = pid;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			child = 0;
			return arpg_errf(err, errn, ARPG_EIO, "waiting for %s: %s", path,
					 strerror(errno));
		}
	child = 0;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
