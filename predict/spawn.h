/* spawn.h - the sibling programs (arpg-preprocess, arpg-features,
 * arpg-train) found and run as child processes, one at a time.
 *
 * A program is looked for, in this order: next to the running executable
 * (/proc/self/exe: an installed arpg-predict beside the others), in the
 * build tree beside it (EXEDIR/../preprocess/arpg-preprocess: a build
 * directory's predict/arpg-predict), then on PATH.
 */
#ifndef PREDICT_SPAWN_H
#define PREDICT_SPAWN_H

#include <signal.h>
#include <stddef.h>

/* An argument vector under construction: copies, NULL-terminated. */
enum { ARGS_MAX = 64 };
struct args {
	int n;
	char *v[ARGS_MAX + 1];
	int overflow;		/* an add found no room or no memory */
};

/* Appends a copy of s (ignored, with overflow set, when full). */
void args_add(struct args *a, const char *s);
/* Appends the two arguments opt and val. */
void args_opt(struct args *a, const char *opt, const char *val);
void args_free(struct args *a);

/* The path to run for program name ("arpg-train") into path (size n):
 * an executable beside this one or in its build tree, else name itself
 * (then looked up on PATH when run). */
void spawn_find(char *path, size_t n, const char *name);

/* Runs path with argv (argv[0] the program's name), its standard input
 * /dev/null, its standard output the file out (created, truncated; NULL:
 * /dev/null), its standard error this program's; waits for it.  Returns
 * its exit status (0-255), 128 + N when signal N ended it, or a negative
 * code (ARPG_ENOENT: no such program; ARPG_EIO: out cannot be opened),
 * with the reason in err. */
int spawn_run(const char *path, char *const argv[], const char *out, char *err, size_t errn);

/* For a signal handler: sends sig to the child running now, if any.
 * Async-signal-safe. */
void spawn_forward(int sig);

#endif
