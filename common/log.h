/* log.h - messages on stderr for programs: "arpg-PROG: text".
 *
 * Configuration only: the program name and the verbosity are set once by main
 * (arpg_log_init) before any thread starts.  Library modules do not call these
 * to report errors (they return codes); they may call arpg_info/arpg_debug for
 * the defaults they took, which -v shows.
 */
#ifndef ARPG_LOG_H
#define ARPG_LOG_H

enum arpg_verbosity { ARPG_QUIET = 0, ARPG_NORMAL = 1, ARPG_VERBOSE = 2, ARPG_DEBUG = 3 };

void arpg_log_init(const char *progname, int verbosity);
const char *arpg_progname(void);
int arpg_verbosity(void);

/* Always shown: "PROG: fmt\n". */
void arpg_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Shown unless -q. */
void arpg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void arpg_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Shown with -v (info) and -vv (debug). */
void arpg_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void arpg_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reports a library failure once: "PROG: object: arpg_strerror(rc)[: detail]"
 * and returns rc; detail may be NULL or empty. */
int arpg_report(const char *object, int rc, const char *detail);

#endif
