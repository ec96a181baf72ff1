/* cli.c - option parsing helpers of the programs (see cli.h). */
#include "config.h"
#include "cli.h"
#include "error.h"
#include "log.h"
#include "text.h"

#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int arpg_parse_long(const char *s, long lo, long hi, long *v)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(s, &end, 10);
	if (!*s || *end || errno || x < lo || x > hi)
		return ARPG_EINVAL;
	*v = x;
	return 0;
}

int arpg_parse_int(const char *s, int lo, int hi, int *v)
{
	long x;

	if (arpg_parse_long(s, lo, hi, &x) < 0)
		return ARPG_EINVAL;
	*v = (int)x;
	return 0;
}

int arpg_parse_double(const char *s, double lo, double hi, double *v)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(s, &end);
	if (!*s || *end || errno == ERANGE || !isfinite(x) || !(x >= lo && x <= hi))
		return ARPG_EINVAL;
	*v = x;
	return 0;
}

int arpg_usage_error(const char *fmt, ...)
{
	char raw[1024], msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	/* option values come from outside: escaped as every message (text.h) */
	arpg_escape(msg, sizeof msg, raw);
	fprintf(stderr, "%s: %s\nTry '%s --help'.\n", arpg_progname(), msg, arpg_progname());
	return ARPG_EXIT_USAGE;
}

int arpg_cli_verbosity(int current, int opt)
{
	if (opt == 'q')
		return ARPG_QUIET;
	return current < ARPG_VERBOSE ? ARPG_VERBOSE : ARPG_DEBUG;
}

int arpg_cli_jobs(const char *s, int *jobs)
{
	return arpg_parse_int(s, 1, ARPG_JOBS_MAX, jobs);
}

int arpg_cli_default_jobs(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > ARPG_JOBS_MAX ? ARPG_JOBS_MAX : (int)n;
}

int arpg_cli_free_jobs_of(int mine, int online, int others)
{
	int n = mine;

	if (others >= 0 && online - others < n)
		n = online - others;
	return n < 1 ? 1 : n > ARPG_JOBS_MAX ? ARPG_JOBS_MAX : n;
}

int arpg_cli_others_running(const char *proc_stat)
{
	static const char key[] = "\nprocs_running ";
	const char *p = strstr(proc_stat, key);
	char *end;
	long n;

	if (!p)
		return -1;
	errno = 0;
	p += sizeof key - 1;
	n = strtol(p, &end, 10);
	if (end == p || (*end && *end != '\n') || errno || n < 1 || n > 1L << 30)
		return -1;
	return (int)(n - 1);	/* the caller is running */
}

/* /proc/stat's others running now, or -1. */
static int others_now(void)
{
	char buf[16384];
	FILE *f = fopen("/proc/stat", "r");
	size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = 0;
	return n ? arpg_cli_others_running(buf) : -1;
}

int arpg_cli_free_jobs(int *busy)
{
	cpu_set_t set;
	int mine = arpg_cli_default_jobs(), others = -1;

	if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
		mine = CPU_COUNT(&set);
	for (int i = 0; i < 3; i++) {
		int o = others_now();

		if (o >= 0 && (others < 0 || o < others))
			others = o;
		if (i < 2)
			nanosleep(&(struct timespec){ .tv_nsec = 2000000 }, NULL);
	}
	if (busy)
		*busy = others;
	return arpg_cli_free_jobs_of(mine, arpg_cli_default_jobs(), others);
}

/* status, or ARPG_EXIT_FAILURE after reporting a write error on stdout
 * (a reader that went away is not one). */
static int check_stdout(int bad, int status)
{
	if (bad && errno != EPIPE) {
		arpg_error("standard output: %s", strerror(errno));
		return ARPG_EXIT_FAILURE;
	}
	return status;
}

static int flush_stdout(int status)
{
	return check_stdout(fflush(stdout) != 0 || ferror(stdout), status);
}

int arpg_cli_version(void)
{
	printf("%s %s\n", arpg_progname(), PACKAGE_VERSION);
	return flush_stdout(ARPG_EXIT_OK);
}

int arpg_cli_standard_option(int ch, int help, int version, void (*usage)(FILE *f),
			     int *verbosity)
{
	if (ch == 'q' || ch == 'v') {
		*verbosity = arpg_cli_verbosity(*verbosity, ch);
		return -1;
	}
	if (ch == help) {
		usage(stdout);
		return flush_stdout(ARPG_EXIT_OK);
	}
	if (ch == version)
		return arpg_cli_version();
	usage(stderr);
	return ARPG_EXIT_USAGE;
}

int arpg_cli_close_stdout(int status)
{
	int bad = fflush(stdout) != 0;

	bad |= ferror(stdout) != 0;
	bad |= fclose(stdout) != 0;
	return check_stdout(bad, status);
}
