/* log.c - program-level messages on stderr. */
#include "log.h"
#include "error.h"
#include "text.h"

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

/* One fprintf per message so that lines from threads do not interleave.
 * Control characters are escaped (text.h): messages name files, archive
 * entries and labels from outside, and one with a newline or an escape
 * sequence in its name must not forge a line or drive the terminal. */
__attribute__((format(printf, 2, 0)))
static void emit(int min, const char *fmt, va_list ap)
{
	char raw[4096], line[4096];

	if (level < min)
		return;
	vsnprintf(raw, sizeof raw, fmt, ap);
	fprintf(stderr, "%s: %s\n", prog, arpg_escape(line, sizeof line, raw));
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
