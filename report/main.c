/* arpg-report: arpg-train's JSON lines -> PNG figures (learning curves,
 * confusion matrices, the sweep table).  Options only; reading is in
 * runlog.c, layout in figures.c, drawing in chart.c. */
#include "config.h"

#include "cli.h"
#include "error.h"
#include "figures.h"
#include "log.h"
#include "runlog.h"

#include <cairo.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: arpg-report -o DIR [-q|-v] [RUN.jsonl|-]\n"
		"Reads arpg-train's JSON lines (a file or standard input) and writes PNG figures\n"
		"into DIR: learning curves per run, confusion matrices, the sweep table.\n"
		"Prints the path of each file written.  See arpg-report(1).\n");
}

int main(int argc, char **argv)
{
	enum { O_HELP = 256, O_VERSION };
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, O_HELP },
		{ "version", no_argument, NULL, O_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	struct rl_log log;
	const char *outdir = NULL, *in = "-";
	char err[1024] = "";
	FILE *f;
	int ch, rc, verbosity = ARPG_NORMAL, status = 0;

	arpg_log_init("arpg-report", ARPG_NORMAL);	/* option errors name the program */
	while ((ch = getopt_long(argc, argv, "o:qv", opts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			outdir = optarg;
			break;
		default:
			if ((rc = arpg_cli_standard_option(ch, O_HELP, O_VERSION, usage,
							   &verbosity)) >= 0)
				return rc;
		}
	}
	arpg_log_init("arpg-report", verbosity);
	if (!outdir)
		return arpg_usage_error("-o DIR is required");
	if (argc - optind > 1)
		return arpg_usage_error("one input at a time: '%s' and '%s'", argv[optind],
					argv[optind + 1]);
	if (optind < argc)
		in = argv[optind];
	if (!strcmp(in, "-")) {
		f = stdin;
		in = "standard input";
	} else if (!(f = fopen(in, "r"))) {
		arpg_report(in, ARPG_EIO, strerror(errno));
		return 1;
	}
	memset(&log, 0, sizeof log);
	rc = rl_log_read(&log, f, err, sizeof err);
	if (f != stdin)
		fclose(f);
	if (rc < 0) {
		arpg_report(in, rc, err);
		rl_log_free(&log);
		return 1;
	}
	arpg_info("%s: %ld JSON lines, %d runs or folds, %d summaries, %d table rows", in,
		  log.lines, log.nseries, log.nsum, log.nrows);
	if (!log.nseries && !log.nsum && !log.nrows) {
		arpg_error("%s: nothing to draw (no epochs, summaries or table)", in);
		rl_log_free(&log);
		return 1;
	}
	if (mkdir(outdir, 0777) < 0 && errno != EEXIST) {
		arpg_report(outdir, ARPG_EIO, strerror(errno));
		rl_log_free(&log);
		return 1;
	}
	rc = fig_write_all(&log, outdir, stdout, err, sizeof err);
	if (rc < 0) {
		arpg_report(outdir, rc, err);
		status = 1;
	} else {
		arpg_note("%d figures in %s", rc, outdir);
	}
	rl_log_free(&log);
	/* cairo's and fontconfig's caches, so that leak checkers see only ours */
	cairo_debug_reset_static_data();
	return arpg_cli_close_stdout(status);
}
