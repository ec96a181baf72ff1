/* cli.c - option parsing helpers of the programs (see cli.h). */
#include "config.h"
#include "cli.h"
#include "error.h"
#include "log.h"
#include "text.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
