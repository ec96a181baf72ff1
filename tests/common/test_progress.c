/* Progress and log lines on stderr: plain sparse lines off a terminal,
 * nothing when quiet, "prog: object: reason: detail" reports. */
#include "harness.h"
#include "error.h"
#include "log.h"
#include "progress.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Runs fn with stderr sent to a file; returns what it wrote (malloc'd). */
static char *capture_stderr(void (*fn)(void))
{
	FILE *f = tmpfile();
	int saved = dup(STDERR_FILENO);
	long n;
	char *s;

	fflush(stderr);
	dup2(fileno(f), STDERR_FILENO);
	fn();
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = ftell(f);
	s = calloc(1, (size_t)n + 1);
	rewind(f);
	if (fread(s, 1, (size_t)n, f) != (size_t)n)
		s[0] = 0;
	fclose(f);
	return s;
}

static int count_lines(const char *s, const char *needle)
{
	int n = 0;

	for (; (s = strstr(s, needle)); s++)
		n++;
	return n;
}

static void run_100(void)
{
	struct arpg_progress p;
	int i;

	arpg_progress_start(&p, "clips", 100);
	for (i = 0; i < 100; i++)
		arpg_progress_add(&p, 1);
	arpg_progress_finish(&p);
}

ARPG_TEST(progress_off_a_terminal_prints_sparse_lines)
{
	char *out;

	arpg_log_init("/usr/bin/arpg-test", ARPG_NORMAL);
	out = capture_stderr(run_100);
	/* at most one line per 10% plus the final one, no carriage returns */
	expect(count_lines(out, "\n") >= 2);
	expect(count_lines(out, "\n") <= 11);
	expect(strchr(out, '\r') == NULL);
	expect(strstr(out, "arpg-test: clips 10/100 (10%)") != NULL);
	expect(strstr(out, "arpg-test: clips: 100 in ") != NULL);
	free(out);
}

ARPG_TEST(progress_quiet_prints_nothing)
{
	char *out;

	arpg_log_init("arpg-test", ARPG_QUIET);
	out = capture_stderr(run_100);
	expect_str(out, "");
	free(out);
	arpg_log_init("arpg-test", ARPG_NORMAL);
}

static void report_one(void)
{
	arpg_report("clips.tsv", ARPG_EFORMAT, "line 3: 2 fields");
	arpg_report("x.png", ARPG_EIO, NULL);
	arpg_info("shown only with -v");
}

ARPG_TEST(report_names_program_object_reason_detail)
{
	char *out;

	arpg_log_init("arpg-test", ARPG_NORMAL);
	out = capture_stderr(report_one);
	expect_str(out, "arpg-test: clips.tsv: bad format: line 3: 2 fields\n"
			"arpg-test: x.png: input/output error\n");
	free(out);
	arpg_log_init("arpg-test", ARPG_VERBOSE);
	out = capture_stderr(report_one);
	expect(strstr(out, "arpg-test: shown only with -v\n") != NULL);
	free(out);
}

ARPG_TEST(duration_formats)
{
	char b[32];

	arpg_format_duration(b, sizeof b, 59.6);
	expect_str(b, "1:00");
	arpg_format_duration(b, sizeof b, 3725);
	expect_str(b, "1:02:05");
	arpg_format_duration(b, sizeof b, -3);
	expect_str(b, "0:00");
}
