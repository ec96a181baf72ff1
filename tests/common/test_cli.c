/* Option parsing helpers: numbers in range, the -q/-v rule, usage errors,
 * -j. */
#include "harness.h"
#include "cli.h"
#include "error.h"
#include "log.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

ARPG_TEST(parse_long_takes_whole_numbers_in_range)
{
	long v = 7;

	expect_int(arpg_parse_long("42", 0, 100, &v), 0);
	expect_int(v, 42);
	expect_int(arpg_parse_long("-3", -5, 5, &v), 0);
	expect_int(v, -3);
	expect_int(arpg_parse_long("101", 0, 100, &v), ARPG_EINVAL);
	expect_int(arpg_parse_long("", 0, 100, &v), ARPG_EINVAL);
	expect_int(arpg_parse_long("4x", 0, 100, &v), ARPG_EINVAL);
	expect_int(arpg_parse_long("99999999999999999999", 0, LONG_MAX, &v), ARPG_EINVAL);
	expect_int(v, -3);	/* unchanged by the failures */
}

ARPG_TEST(parse_int_and_double_check_their_range)
{
	int i = 0;
	double d = 0;

	expect_int(arpg_parse_int("64", 1, 64, &i), 0);
	expect_int(i, 64);
	expect_int(arpg_parse_int("65", 1, 64, &i), ARPG_EINVAL);
	expect_int(arpg_parse_double("0.5", 0, 1, &d), 0);
	expect_near(d, 0.5, 0);
	expect_int(arpg_parse_double("1e-3", 1e-12, 10, &d), 0);
	expect_near(d, 1e-3, 0);
	expect_int(arpg_parse_double("nan", 0, 1, &d), ARPG_EINVAL);
	expect_int(arpg_parse_double("inf", 0, 1e300, &d), ARPG_EINVAL);
	expect_int(arpg_parse_double("1.5", 0, 1, &d), ARPG_EINVAL);
	expect_int(arpg_parse_double("0.5 ", 0, 1, &d), ARPG_EINVAL);
	expect_int(arpg_parse_double("", 0, 1, &d), ARPG_EINVAL);
}

ARPG_TEST(q_and_v_follow_one_rule)
{
	int v = ARPG_NORMAL;

	expect_int(arpg_cli_verbosity(v, 'q'), ARPG_QUIET);
	expect_int(v = arpg_cli_verbosity(v, 'v'), ARPG_VERBOSE);
	expect_int(v = arpg_cli_verbosity(v, 'v'), ARPG_DEBUG);
	expect_int(arpg_cli_verbosity(v, 'v'), ARPG_DEBUG);
	expect_int(arpg_cli_verbosity(ARPG_QUIET, 'v'), ARPG_VERBOSE);
}

ARPG_TEST(jobs_are_1_to_1024_and_default_to_the_processors)
{
	int j = 0;

	expect_int(arpg_cli_jobs("1", &j), 0);
	expect_int(arpg_cli_jobs("1024", &j), 0);
	expect_int(j, 1024);
	expect_int(arpg_cli_jobs("0", &j), ARPG_EINVAL);
	expect_int(arpg_cli_jobs("1025", &j), ARPG_EINVAL);
	expect(arpg_cli_default_jobs() >= 1);
	expect(arpg_cli_default_jobs() == sysconf(_SC_NPROCESSORS_ONLN) ||
	       sysconf(_SC_NPROCESSORS_ONLN) < 1);
}

ARPG_TEST(free_jobs_leave_busy_processors_to_their_processes)
{
	int busy = -2, j;

	/* 2 processors: one other process running leaves one */
	expect_int(arpg_cli_free_jobs_of(2, 2, 1), 1);
	expect_int(arpg_cli_free_jobs_of(2, 2, 0), 2);
	expect_int(arpg_cli_free_jobs_of(2, 2, 5), 1);		/* at least 1 */
	expect_int(arpg_cli_free_jobs_of(2, 2, -1), 2);		/* not known */
	/* an affinity of 4 on a busy 64-processor host: only its own 4 count */
	expect_int(arpg_cli_free_jobs_of(4, 64, 50), 4);
	expect_int(arpg_cli_free_jobs_of(4, 64, 62), 2);
	expect_int(arpg_cli_others_running("cpu 1 2 3\nctxt 5\nprocs_running 3\n"
					   "procs_blocked 0\n"), 2);
	expect_int(arpg_cli_others_running("cpu 1\nprocs_running 1"), 0);
	expect_int(arpg_cli_others_running("cpu 1\nprocs_blocked 3\n"), -1);
	expect_int(arpg_cli_others_running("cpu 1\nprocs_running x\n"), -1);
	expect_int(arpg_cli_others_running("cpu 1\nprocs_running 0\n"), -1);
	expect_int(arpg_cli_others_running("procs_running 3\n"), -1);	/* not a line start */
	j = arpg_cli_free_jobs(&busy);
	expect(j >= 1 && j <= arpg_cli_default_jobs());
	expect(busy >= 0);	/* Linux has /proc/stat */
}

ARPG_TEST(usage_errors_name_the_program_and_help)
{
	char buf[256] = "";
	FILE *f;
	int saved = dup(2), fd;

	arpg_log_init("arpg-test", ARPG_NORMAL);
	fd = fileno(f = fopen("err.txt", "w+"));
	fflush(stderr);
	dup2(fd, 2);
	expect_int(arpg_usage_error("--grid '%s': expected 1 to 64", "0"), ARPG_EXIT_USAGE);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(f);
	buf[fread(buf, 1, sizeof buf - 1, f)] = 0;
	fclose(f);
	expect_str(buf, "arpg-test: --grid '0': expected 1 to 64\nTry 'arpg-test --help'.\n");
}
