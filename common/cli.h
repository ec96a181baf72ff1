/* cli.h - what the programs' option parsing shares: whole numbers and
 * decimals with range checks, usage errors, the -q/-v/-j rules, and the
 * exit statuses.  For main.c only: these print (usage errors) and read the
 * machine (processors online).
 */
#ifndef ARPG_CLI_H
#define ARPG_CLI_H

#include <stdio.h>

/* Exit statuses of every program (their man pages, EXIT STATUS). */
enum { ARPG_EXIT_OK = 0, ARPG_EXIT_FAILURE = 1, ARPG_EXIT_USAGE = 2 };

/* -j takes 1 to this many threads. */
enum { ARPG_JOBS_MAX = 1024 };

/* Parses all of s as a decimal integer in [lo, hi] into *v.  Returns 0, or
 * ARPG_EINVAL (empty, trailing characters, out of range; *v unchanged). */
int arpg_parse_long(const char *s, long lo, long hi, long *v);
int arpg_parse_int(const char *s, int lo, int hi, int *v);

/* Parses all of s as a finite number in [lo, hi] into *v; 0 or ARPG_EINVAL. */
int arpg_parse_double(const char *s, double lo, double hi, double *v);

/* Prints "PROG: message" and "Try 'PROG --help'." on stderr (PROG as given
 * to arpg_log_init) and returns ARPG_EXIT_USAGE, so that a parser reads
 *	return arpg_usage_error("--grid '%s': expected 1 to 64", optarg); */
int arpg_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The verbosity after option opt ('q' or 'v') given current: -q is quiet,
 * each -v one step up from normal (verbose, then debug). */
int arpg_cli_verbosity(int current, int opt);

/* -j's value: 1 to ARPG_JOBS_MAX into *jobs; 0 or ARPG_EINVAL. */
int arpg_cli_jobs(const char *s, int *jobs);

/* The default for -j: the processors online, at least 1. */
int arpg_cli_default_jobs(void);

/* The default for -j of work whose threads wait for each other (BLIS's
 * and OpenMP's barriers spin): the processors this process may run on
 * (its affinity), but no more than the online processors that other
 * running processes leave free now, at least 1.  A thread that waits at a
 * barrier for a thread the kernel has descheduled spins away its share:
 * two threads on a 2-core machine that runs one other busy process train
 * 2.5 to 4 times slower than one (bench/busy.sh).  Others are counted from
 * /proc/stat's procs_running, the least of three readings 2 ms apart (a
 * process that ran once does not count); *busy (if not NULL) gets their
 * number, -1 when /proc/stat could not be read (then the affinity alone). */
int arpg_cli_free_jobs(int *busy);

/* The arithmetic of arpg_cli_free_jobs: mine processors usable, online
 * processors in all, others running elsewhere; at least 1. */
int arpg_cli_free_jobs_of(int mine, int online, int others);

/* procs_running of /proc/stat's text (NUL-terminated) less the caller,
 * or -1 when it has no such line. */
int arpg_cli_others_running(const char *proc_stat);

/* --version: prints "PROG VERSION" on stdout and flushes it; returns
 * ARPG_EXIT_OK, or ARPG_EXIT_FAILURE on a write error (reported). */
int arpg_cli_version(void);

/* The options every program has, for the default branch of its getopt_long
 * switch: -q and -v set *verbosity (arpg_cli_verbosity) and return -1 (go
 * on); ch == help prints usage on stdout and ch == version the version,
 * flushed, returning the exit status; anything else is an unknown option: usage on
 * stderr and ARPG_EXIT_USAGE. */
int arpg_cli_standard_option(int ch, int help, int version, void (*usage)(FILE *f),
			     int *verbosity);

/* Flushes and closes stdout at the end of a program.  Returns status, or
 * ARPG_EXIT_FAILURE after reporting a write error; a reader that went away
 * (EPIPE) is not an error: pipes such as `| head` end quietly. */
int arpg_cli_close_stdout(int status);

#endif
