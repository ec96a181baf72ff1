/* log.c - program-level messages on stderr. */
#include "log.h"
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *prog = "arpg";
static int level = ARPG_NORMAL;

void arpg_log_init(const char *progname, int verbosity)
{
	const char *slash = strrchr(progname, '/');

	prog = slash ? slash + 1 : progname;
	level = verbosity;
}

const char *arpg_progname(void) { return prog; }
int arpg_verbosity(void) { return level; }

/* One fprintf per message so that lines from threads do not interleave. */
__attribute__((format(printf, 2, 0)))
static void emit(int min, const char *fmt, va_list ap)
{
	char line[4096];
	int n;

	if (level < min)
		return;
	n = snprintf(line, sizeof line, "%s: ", prog);
	vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	fprintf(stderr, "%s\n", line);
}

#define DEFINE_LOG(name, min) \
	void name(const char *fmt, ...) \
	{ \
		va_list ap; \
		va_start(ap, fmt); \
		emit(min, fmt, ap); \
		va_end(ap); \
	}

DEFINE_LOG(arpg_error, ARPG_QUIET)
DEFINE_LOG(arpg_warn, ARPG_NORMAL)
DEFINE_LOG(arpg_note, ARPG_NORMAL)
DEFINE_LOG(arpg_info, ARPG_VERBOSE)
DEFINE_LOG(arpg_debug, ARPG_DEBUG)

int arpg_report(const char *object, int rc, const char *detail)
{
	if (detail && *detail)
		arpg_error("%s: %s: %s", object, arpg_strerror(rc), detail);
	else
		arpg_error("%s: %s", object, arpg_strerror(rc));
	return rc;
}
