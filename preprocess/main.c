/* arpg-preprocess: videos and archives -> frame crops (PNG) and a manifest.
 * Options only; the run is run.c. */
#include "config.h"

#include "cli.h"
#include "error.h"
#include "log.h"
#include "run.h"

#include <getopt.h>
#include <libavutil/log.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: arpg-preprocess [-l afew|rml|dir|list|affwild2] [--annotations DIR]\n"
		"\t-o OUTDIR [--no-align] [--cascade FILE] [--detector FILE.onnx] [--det-size N]\n"
		"\t[--det-score X] [--landmarks dlib|none|FILE] [--equalize] [--scale-factor X]\n"
		"\t[--min-neighbors N] [--min-size PX] [--smooth N] [--size N] [--fps R] [--max-frames N]\n"
		"\t[--sheet FILE.png] [-j N] [-q|-v] INPUT...\n"
		"Writes OUTDIR/<clip_id>/NNNNNN.png and frames.tsv per clip, and the manifest\n"
		"to OUTDIR/manifest.tsv and standard output.  See arpg-preprocess(1).\n");
}

enum { O_NOALIGN = 256, O_CASCADE, O_LANDMARKS, O_SIZE, O_FPS, O_MAXFRAMES, O_HELP,
       O_VERSION, O_SHEET, O_EQUALIZE, O_SCALE, O_NEIGHBORS, O_MINSIZE, O_SMOOTH,
       O_DETECTOR, O_DETSIZE, O_DETSCORE, O_ANNOTATIONS };

static const struct option long_opts[] = {
	{ "layout", required_argument, NULL, 'l' },
	{ "output", required_argument, NULL, 'o' },
	{ "annotations", required_argument, NULL, O_ANNOTATIONS },
	{ "no-align", no_argument, NULL, O_NOALIGN },
	{ "cascade", required_argument, NULL, O_CASCADE },
	{ "landmarks", required_argument, NULL, O_LANDMARKS },
	{ "detector", required_argument, NULL, O_DETECTOR },
	{ "det-size", required_argument, NULL, O_DETSIZE },
	{ "det-score", required_argument, NULL, O_DETSCORE },
	{ "equalize", no_argument, NULL, O_EQUALIZE },
	{ "scale-factor", required_argument, NULL, O_SCALE },
	{ "min-neighbors", required_argument, NULL, O_NEIGHBORS },
	{ "min-size", required_argument, NULL, O_MINSIZE },
	{ "smooth", required_argument, NULL, O_SMOOTH },
	{ "size", required_argument, NULL, O_SIZE },
	{ "fps", required_argument, NULL, O_FPS },
	{ "max-frames", required_argument, NULL, O_MAXFRAMES },
	{ "sheet", required_argument, NULL, O_SHEET },
	{ "jobs", required_argument, NULL, 'j' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, O_HELP },
	{ "version", no_argument, NULL, O_VERSION },
	{ NULL, 0, NULL, 0 }
};

/* Options of the cascade given (they do not apply to --detector). */
static const char *cascade_option;

/* One option into o; returns -1 to go on, else the exit status. */
static int take_option(struct run_opts *o, int ch, int *verbosity)
{
	struct arpg_face_options *fo = &o->face;
	double x;

	if (ch == O_CASCADE || ch == O_EQUALIZE || ch == O_SCALE || ch == O_NEIGHBORS ||
	    ch == O_MINSIZE)
		cascade_option = ch == O_CASCADE ? "--cascade" : ch == O_EQUALIZE ? "--equalize" :
			ch == O_SCALE ? "--scale-factor" : ch == O_NEIGHBORS ? "--min-neighbors" :
			"--min-size";
	switch (ch) {
	case 'l':
		if (layout_parse(&o->layout, optarg) < 0)
			return arpg_usage_error("-l '%s': expected afew, rml, dir, list or affwild2",
						optarg);
		break;
	case 'o': o->outdir = optarg; break;
	case O_ANNOTATIONS: o->annotations = optarg; break;
	case O_NOALIGN: o->align = 0; break;
	case O_CASCADE: fo->cascade = optarg; break;
	case O_LANDMARKS:
		/* dlib: Debian's model; none: no landmarks (--detector only) */
		fo->no_landmarks = !strcmp(optarg, "none");
		fo->landmarks = !strcmp(optarg, "dlib") || fo->no_landmarks ? NULL : optarg;
		break;
	case O_DETECTOR: fo->detector = optarg; break;
	case O_DETSIZE:
		if (arpg_parse_int(optarg, 32, 4096, &fo->det.det_size) < 0 ||
		    fo->det.det_size % 32)
			return arpg_usage_error("--det-size '%s': expected a multiple of 32 from 32 "
						"to 4096", optarg);
		break;
	case O_DETSCORE:
		if (arpg_parse_double(optarg, 0, 1, &x) < 0 || x == 0)
			return arpg_usage_error("--det-score '%s': expected a score above 0 and at "
						"most 1", optarg);
		fo->det.score = (float)x;
		break;
	case O_EQUALIZE: fo->equalize = 1; break;
	case O_SCALE:
		if (arpg_parse_double(optarg, 1, 4, &fo->detect.scale_factor) < 0 ||
		    fo->detect.scale_factor == 1)
			return arpg_usage_error("--scale-factor '%s': expected a number above 1 "
						"and at most 4", optarg);
		break;
	case O_NEIGHBORS:
		if (arpg_parse_int(optarg, 0, 1000, &fo->detect.min_neighbors) < 0)
			return arpg_usage_error("--min-neighbors '%s': expected 0 to 1000", optarg);
		break;
	case O_MINSIZE:
		if (arpg_parse_int(optarg, 1, 65535, &fo->detect.min_size) < 0)
			return arpg_usage_error("--min-size '%s': expected 1 to 65535 pixels", optarg);
		break;
	case O_SMOOTH:
		if (arpg_parse_int(optarg, 0, 1000, &fo->smooth) < 0)
			return arpg_usage_error("--smooth '%s': expected 0 to 1000 frames", optarg);
		break;
	case O_SIZE:
		if (arpg_parse_int(optarg, 16, 4096, &o->size) < 0)
			return arpg_usage_error("--size '%s': expected 16 to 4096", optarg);
		break;
	case O_FPS:
		if (arpg_parse_double(optarg, 0, 1000, &x) < 0 || x == 0)
			return arpg_usage_error("--fps '%s': expected a rate above 0 and up to 1000",
						optarg);
		o->decode.fps = x;
		break;
	case O_MAXFRAMES:
		if (arpg_parse_long(optarg, 1, LONG_MAX, &o->decode.max_frames) < 0)
			return arpg_usage_error("--max-frames '%s': expected a positive number",
						optarg);
		break;
	case O_SHEET: o->sheet = optarg; break;
	case 'j':
		if (arpg_cli_jobs(optarg, &o->jobs) < 0)
			return arpg_usage_error("-j '%s': expected 1 to %d", optarg, ARPG_JOBS_MAX);
		break;
	default: return arpg_cli_standard_option(ch, O_HELP, O_VERSION, usage, verbosity);
	}
	return -1;
}

/* MiB of decoded frames an aligned clip may hold (ARPG_FRAME_MEMORY):
 * 1 GiB holds 3 minutes of 320x240 at 25 fps (an AFEW clip lasts
 * seconds), 34 seconds of RML's 720x480 at 30 fps, 13 seconds of Aff-Wild2's
 * 1280x720; a longer clip is decoded up to three times instead of once
 * (clip.c).  Per worker: -j 2 may hold twice as much. */
#define FRAME_MEMORY_DEFAULT 1024L
#define FRAME_MEMORY_MAX (1L << 30)

int main(int argc, char **argv)
{
	struct run_opts o;
	struct sigaction sa;
	int verbosity = ARPG_NORMAL, ch, rc;
	const char *env;
	long mib = FRAME_MEMORY_DEFAULT;

	memset(&o, 0, sizeof o);
	o.layout = LAYOUT_DIR;
	o.align = 1;
	o.size = 112;
	o.stop = &stop;
	arpg_face_options_default(&o.face);
	arpg_log_init("arpg-preprocess", ARPG_NORMAL);	/* option errors name the program */
	while ((ch = getopt_long(argc, argv, "l:o:j:qv", long_opts, NULL)) != -1)
		if ((rc = take_option(&o, ch, &verbosity)) >= 0)
			return rc;
	arpg_log_init("arpg-preprocess", verbosity);
	if (!o.outdir)
		return arpg_usage_error("-o OUTDIR is required");
	if (o.face.detector && cascade_option)
		return arpg_usage_error("%s is a setting of the cascade, which --detector replaces",
					cascade_option);
	if (!o.face.detector && (o.face.no_landmarks || o.face.det.det_size || o.face.det.score))
		return arpg_usage_error("%s needs --detector (the cascade aligns from dlib's "
					"landmarks)", o.face.no_landmarks ? "--landmarks none" :
					o.face.det.det_size ? "--det-size" : "--det-score");
	if ((o.layout == LAYOUT_AFFWILD2) != (o.annotations != NULL))
		return arpg_usage_error(o.annotations ? "--annotations is for -l affwild2" :
					"-l affwild2 needs --annotations DIR, the folder of the "
					"expression annotation files");
	/* the annotations label each frame of the video, in its own rate */
	if (o.annotations && (o.decode.fps || o.decode.max_frames))
		return arpg_usage_error("%s: -l affwild2 keeps every frame of a video, as its "
					"annotation labels them", o.decode.fps ? "--fps" :
					"--max-frames");
	/* how long a clip is aligned from frames held in memory, for a run on
	 * a small machine and for the tests of the other way */
	if ((env = getenv("ARPG_FRAME_MEMORY")) &&
	    arpg_parse_long(env, 0, FRAME_MEMORY_MAX, &mib) < 0)
		return arpg_usage_error("ARPG_FRAME_MEMORY '%s': expected 0 to %ld (MiB)", env,
					(long)FRAME_MEMORY_MAX);
	o.frame_memory = (size_t)mib << 20;
	if (o.align)
		arpg_info("ARPG_FRAME_MEMORY %ld MiB a clip%s: a longer one is decoded again "
			  "per step", mib, env ? "" : " (the default)");
	if (optind == argc)
		return arpg_usage_error("no INPUT: name dataset folders, archives or (-l list) "
					"TSV files");
	o.inputs = argv + optind;
	o.ninputs = argc - optind;
	av_log_set_level(verbosity >= ARPG_DEBUG ? AV_LOG_WARNING : AV_LOG_QUIET);
	if (!o.jobs) {
		o.jobs = arpg_cli_default_jobs();
		arpg_info("-j %d (the processors online)", o.jobs);
	}
	/* the detector's engine in each worker: the processors left per worker,
	 * of those other processes leave free (its threads spin at barriers) */
	if (o.face.detector) {
		o.face.det.threads = arpg_cli_free_jobs(NULL) / o.jobs;
		if (o.face.det.threads < 1)
			o.face.det.threads = 1;
		arpg_info("the detector runs on %d thread%s per worker", o.face.det.threads,
			  o.face.det.threads > 1 ? "s" : "");
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return preprocess_run(&o);
}
