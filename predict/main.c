/* arpg-predict: videos -> a trained model's predictions, one line per
 * clip.  Options only; the run is run.c. */
#include "config.h"

#include "cli.h"
#include "error.h"
#include "log.h"
#include "run.h"
#include "spawn.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static volatile sig_atomic_t stop;

/* The first signal stops the child at a clean point (it gets the signal
 * too), the run then cleans up; SA_RESETHAND lets a second one end
 * arpg-predict at once. */
static void on_signal(int sig)
{
	stop = sig;
	spawn_forward(sig);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: arpg-predict -m MODEL [-b FILE] [--json] [--keep DIR] [--preprocess SETTINGS]\n"
"                    [-l afew|rml|dir|list] [-j N] [-q|-v] VIDEO|ARCHIVE|DIR...\n"
"Runs arpg-preprocess, arpg-features and arpg-train --predict with the settings\n"
"MODEL was trained with; one line per clip on stdout: clip, source, predicted\n"
"label, the probability of each class.\n"
"\n"
"  -m, --model MODEL     a model arpg-train --save wrote (required)\n"
"  -b, --backbone FILE   the model's ONNX backbone, where it is not beside MODEL\n"
"                        or in the current folder (its SHA-256 is checked)\n"
"  --json                JSON lines instead of TSV\n"
"  --per-frame           per-frame probabilities (models that have them)\n"
"  --keep DIR            keep the crops, the cache and the predictions in DIR\n"
"  --preprocess SETTINGS the crops' settings, for a model that does not record them\n"
"  -l, --layout L        how archives (and, given -l, folders) are read (dir)\n"
"  -j, --jobs N          threads of each program (all cores)\n"
"  -q, --quiet  -v, --verbose   less or more on stderr\n"
"  -h, --help  -V, --version\n"
"See arpg-predict(1).\n");
}

enum { O_JSON = 256, O_PER_FRAME, O_KEEP, O_PREPROCESS };

static const struct option long_opts[] = {
	{ "model", required_argument, NULL, 'm' },
	{ "backbone", required_argument, NULL, 'b' },
	{ "json", no_argument, NULL, O_JSON },
	{ "per-frame", no_argument, NULL, O_PER_FRAME },
	{ "keep", required_argument, NULL, O_KEEP },
	{ "preprocess", required_argument, NULL, O_PREPROCESS },
	{ "layout", required_argument, NULL, 'l' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

/* One option into o; returns -1 to go on, else the exit status. */
static int take_option(struct predict_opts *o, int ch)
{
	switch (ch) {
	case 'm': o->model = optarg; break;
	case 'b': o->backbone = optarg; break;
	case O_JSON: o->json = 1; break;
	case O_PER_FRAME: o->per_frame = 1; break;
	case O_KEEP: o->keep = optarg; break;
	case O_PREPROCESS: o->preprocess = optarg; break;
	case 'l':
		if (strcmp(optarg, "afew") && strcmp(optarg, "rml") && strcmp(optarg, "dir") &&
		    strcmp(optarg, "list"))
			return arpg_usage_error("-l '%s': expected afew, rml, dir or list", optarg);
		o->layout = optarg;
		break;
	case 'j':
		if (arpg_cli_jobs(optarg, &o->jobs) < 0)
			return arpg_usage_error("-j '%s': expected 1 to %d", optarg, ARPG_JOBS_MAX);
		break;
	default: return arpg_cli_standard_option(ch, 'h', 'V', usage, &o->verbosity);
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct predict_opts o = { .verbosity = ARPG_NORMAL, .stop = &stop };
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESETHAND };
	int ch, rc, gone = 0;

	arpg_log_init("arpg-predict", ARPG_NORMAL);
	while ((ch = getopt_long(argc, argv, "m:b:l:j:qvhV", long_opts, NULL)) != -1)
		if ((rc = take_option(&o, ch)) >= 0)
			return rc;
	arpg_log_init("arpg-predict", o.verbosity);
	if (!o.model)
		return arpg_usage_error("-m MODEL is required (a model arpg-train --save wrote)");
	if (optind == argc)
		return arpg_usage_error("no input: name videos, folders of videos or archives");
	o.inputs = argv + optind;
	o.ninputs = argc - optind;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = predict_run(&o, &gone);
	return gone ? rc : arpg_cli_close_stdout(rc);
}
