/* main.c - arpg-features: options and subcommands; the work is in run.c
 * (manifest -> cache) and cmds.c (info, verify, merge, dump). */
#include "config.h"
#include "backbone.h"
#include "backbone_hog.h"
#include "blis_setup.h"
#include "onnx_run.h"
#include "cmds.h"
#include "error.h"
#include "log.h"
#include "run.h"
#include "sample.h"
#include "tensor.h"

#ifdef _OPENMP
#include <omp.h>
#endif
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: arpg-features [-b hog|FILE.onnx] -o CACHE [--grid G] [--frames T|all]\n"
		"                     [--patch-node NAME] [--dtype f16|f32] [--shard K/N] [--force]\n"
		"                     [--mean M[,M,M]] [--std S[,S,S]] [--bgr] [--map-limit BYTES]\n"
		"                     [-j N] [-q|-v] [MANIFEST|-]\n"
		"       arpg-features info CACHE\n"
		"       arpg-features verify CACHE\n"
		"       arpg-features merge OUT IN...\n"
		"       arpg-features dump CACHE CLIP_ID [--npy DIR]\n"
		"       arpg-features onnx-run MODEL.onnx -o DIR INPUT.pb...\n"
		"See arpg-features(1) and arpg-cache(5).\n");
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	arpg_error("%s (arpg-features --help)", msg);
	return 2;
}

static int parse_int(const char *s, long lo, long hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

/* "M" or "M1,M2,M3" */
static int parse_three(const char *s, float v[3])
{
	char *end;
	int i;

	for (i = 0; i < 3; i++) {
		errno = 0;
		v[i] = strtof(s, &end);
		if (errno || end == s)
			return -1;
		if (!*end && i == 0) {
			v[1] = v[2] = v[0];
			return 0;
		}
		if (*end != (i < 2 ? ',' : '\0'))
			return -1;
		s = end + 1;
	}
	return 0;
}

enum { OPT_GRID = 256, OPT_FRAMES, OPT_PATCH_NODE, OPT_DTYPE, OPT_SHARD, OPT_FORCE,
       OPT_MEAN, OPT_STD, OPT_BGR, OPT_MAP_LIMIT, OPT_HELP, OPT_VERSION, OPT_NPY };

static const struct option long_opts[] = {
	{ "backbone", required_argument, NULL, 'b' },
	{ "output", required_argument, NULL, 'o' },
	{ "grid", required_argument, NULL, OPT_GRID },
	{ "frames", required_argument, NULL, OPT_FRAMES },
	{ "patch-node", required_argument, NULL, OPT_PATCH_NODE },
	{ "dtype", required_argument, NULL, OPT_DTYPE },
	{ "shard", required_argument, NULL, OPT_SHARD },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "mean", required_argument, NULL, OPT_MEAN },
	{ "std", required_argument, NULL, OPT_STD },
	{ "bgr", no_argument, NULL, OPT_BGR },
	{ "map-limit", required_argument, NULL, OPT_MAP_LIMIT },
	{ "jobs", required_argument, NULL, 'j' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "npy", required_argument, NULL, OPT_NPY },
	{ NULL, 0, NULL, 0 }
};

/* The exit status for a subcommand's or the run's result. */
static int finish(int rc, const char *object, const char *err)
{
	if (rc < 0) {
		arpg_report(object, rc, err);
		rc = 1;
	}
	if (fflush(stdout) || ferror(stdout)) {
		if (errno != EPIPE)
			arpg_error("stdout: %s", strerror(errno));
		return 1;
	}
	return rc;
}

int main(int argc, char **argv)
{
	struct run_opts o;
	struct run_stats st;
	struct backbone *b = NULL;
	struct norm norm = { { 127.5f, 127.5f, 127.5f }, { 127.5f, 127.5f, 127.5f }, 0 };
	struct sigaction sa;
	const char *backbone = "hog", *patch_node = NULL, *cmd = NULL, *npy = NULL;
	char err[1024] = "", input[256];
	int verbosity = ARPG_NORMAL, c, rc, jobs = 0, onnx;
	long ncpu;
	unsigned long long map_limit = 0;
	char *end;

	memset(&o, 0, sizeof o);
	o.frames = 16;
	o.grid = 6;
	o.dtype = ARPG_F32;
	o.stop = &stop_flag;
	signal(SIGPIPE, SIG_IGN);
	/* a subcommand comes first, or after -q/-v */
	for (c = 1; c < argc && (!strcmp(argv[c], "-q") || !strcmp(argv[c], "-v") ||
				 !strcmp(argv[c], "-vv")); c++)
		;
	/* onnx-run has its own options (onnx_run.c) */
	if (c < argc && !strcmp(argv[c], "onnx-run")) {
		struct arpg_blis_info bi;

		arpg_log_init("arpg-features", c > 1 && !strcmp(argv[1], "-q") ? ARPG_QUIET : ARPG_NORMAL);
		if (arpg_blis_setup(0, 0, &bi) < 0)
			return finish(arpg_report("ARPG_BLIS_ARCH", ARPG_EINVAL, bi.arch), "", NULL);
#ifdef _OPENMP
		omp_set_num_threads(bi.threads);
#endif
		return onnx_run_main(argc - c, argv + c);
	}
	if (c < argc && (!strcmp(argv[c], "info") || !strcmp(argv[c], "verify") ||
			 !strcmp(argv[c], "merge") || !strcmp(argv[c], "dump"))) {
		cmd = argv[c];
		memmove(&argv[c], &argv[c + 1], sizeof *argv * (size_t)(argc - c));
		argc--;
	}
	arpg_log_init("arpg-features", ARPG_NORMAL);
	while ((c = getopt_long(argc, argv, "b:o:j:qv", long_opts, NULL)) != -1) {
		if (cmd && c != 'q' && c != 'v' && c != OPT_HELP &&
		    !(c == OPT_NPY && !strcmp(cmd, "dump")))
			return usage_error("%s: this option does not apply", cmd);
		if (!cmd && c == OPT_NPY)
			return usage_error("--npy belongs to the dump subcommand");
		switch (c) {
		case 'b': backbone = optarg; break;
		case 'o': o.cache = optarg; break;
		case OPT_GRID:
			if (parse_int(optarg, 1, 64, &o.grid))
				return usage_error("--grid '%s': expected 1 to 64", optarg);
			break;
		case OPT_FRAMES:
			if (!strcmp(optarg, "all"))
				o.frames = 0;
			else if (parse_int(optarg, 1, 100000, &o.frames))
				return usage_error("--frames '%s': expected 1 to 100000 or all", optarg);
			break;
		case OPT_PATCH_NODE: patch_node = optarg; break;
		case OPT_DTYPE:
			if (!strcmp(optarg, "f32"))
				o.dtype = ARPG_F32;
			else if (!strcmp(optarg, "f16"))
				o.dtype = ARPG_F16;
			else
				return usage_error("--dtype '%s': expected f32 or f16", optarg);
			break;
		case OPT_SHARD:
			if (shard_parse(optarg, &o.shard_k, &o.shard_n))
				return usage_error("--shard '%s': expected K/N with 0 <= K < N", optarg);
			break;
		case OPT_FORCE: o.force = 1; break;
		case OPT_MEAN:
			if (parse_three(optarg, norm.mean))
				return usage_error("--mean '%s': expected M or M1,M2,M3", optarg);
			break;
		case OPT_STD:
			if (parse_three(optarg, norm.std) || !norm.std[0] || !norm.std[1] || !norm.std[2])
				return usage_error("--std '%s': expected S or S1,S2,S3, not zero", optarg);
			break;
		case OPT_BGR: norm.bgr = 1; break;
		case OPT_MAP_LIMIT:
			errno = 0;
			map_limit = strtoull(optarg, &end, 10);
			if (errno || end == optarg || *end || map_limit < (1u << 20))
				return usage_error("--map-limit '%s': expected bytes, at least 1048576",
						   optarg);
			break;
		case 'j':
			if (parse_int(optarg, 1, 1024, &jobs))
				return usage_error("-j '%s': expected 1 to 1024", optarg);
			break;
		case 'q': verbosity = ARPG_QUIET; break;
		case 'v': verbosity = verbosity < ARPG_VERBOSE ? ARPG_VERBOSE : ARPG_DEBUG; break;
		case OPT_HELP: usage(stdout); return finish(0, "stdout", NULL);
		case OPT_VERSION:
			printf("arpg-features %s\n", PACKAGE_VERSION);
			return finish(0, "stdout", NULL);
		case OPT_NPY: npy = optarg; break;
		default: usage(stderr); return 2;
		}
	}
	arpg_log_init("arpg-features", verbosity);
	argc -= optind;
	argv += optind;

	if (cmd && !strcmp(cmd, "info")) {
		if (argc != 1)
			return usage_error("info takes one CACHE");
		return finish(cmd_info(argv[0], err, sizeof err), "info", err);
	}
	if (cmd && !strcmp(cmd, "verify")) {
		if (argc != 1)
			return usage_error("verify takes one CACHE");
		return finish(cmd_verify(argv[0], err, sizeof err), "verify", err);
	}
	if (cmd && !strcmp(cmd, "merge")) {
		if (argc < 2)
			return usage_error("merge takes OUT and at least one IN");
		return finish(cmd_merge(argv[0], argv + 1, argc - 1, err, sizeof err),
			      "merge", err);
	}
	if (cmd && !strcmp(cmd, "dump")) {
		if (argc != 2)
			return usage_error("dump takes CACHE and CLIP_ID");
		return finish(cmd_dump(argv[0], argv[1], npy, err, sizeof err), "dump", err);
	}

	if (!o.cache)
		return usage_error("no cache: give -o CACHE");
	if (argc > 1)
		return usage_error("one manifest at most (got '%s' too)", argv[1]);
	o.manifest = argc ? argv[0] : "-";
	if (!strcmp(o.manifest, "-") && isatty(0))
		return usage_error("no manifest: give MANIFEST, or '-' with a pipe");
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (!jobs)
		jobs = ncpu > 0 ? (int)ncpu : 1;
	onnx = strcmp(backbone, "hog") != 0;
	if (!onnx) {
		if (patch_node)
			return usage_error("--patch-node: hog has no nodes");
		rc = backbone_open_hog(&b, 112, 16, err, sizeof err);
		o.want_c = 1;
		o.jobs = jobs;
		snprintf(input, sizeof input, "grey 112x112");
	} else {
		struct arpg_blis_info bi;

		/* the CNN runs its GEMMs on `jobs` BLIS threads; one worker feeds it */
		if (arpg_blis_setup(jobs, 0, &bi) < 0)
			return finish(arpg_report("ARPG_BLIS_ARCH", ARPG_EINVAL, bi.arch), "", NULL);
		arpg_info("BLIS: %s kernels (chosen by %s), %d threads", bi.arch, bi.chosen_by,
			  bi.threads);
#ifdef _OPENMP
		omp_set_num_threads(bi.threads);	/* the engine splits convolutions with OpenMP */
#endif
		rc = backbone_open_onnx(&b, backbone, &norm, patch_node, 16, err, sizeof err);
		o.want_c = 3;
		o.jobs = 1;
		snprintf(input, sizeof input, "%s %dx%d mean=%g,%g,%g std=%g,%g,%g",
			 norm.bgr ? "bgr" : "rgb", b ? b->in_size : 112, b ? b->in_size : 112,
			 norm.mean[0], norm.mean[1], norm.mean[2], norm.std[0], norm.std[1],
			 norm.std[2]);
	}
	if (rc < 0)
		return finish(rc, backbone, err);
	arpg_info("backbone %s: app_dim %d, patch map %dx%dx%d%s%s -> grid %d, %d worker%s",
		  b->name, b->app_dim, b->patch_c, b->patch_h, b->patch_w,
		  onnx ? " from node " : "", onnx ? b->patch_node : "", o.grid, o.jobs,
		  o.jobs == 1 ? "" : "s");
	o.input = input;
	o.map_limit = (size_t)map_limit;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;	/* no SA_RESTART: a blocked read returns */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	rc = features_run(&o, b, &st, err, sizeof err);
	arpg_note("%ld clips: %ld written, %ld already there, %ld failed, %ld in other shards; "
		  "%ld bad manifest lines", st.rows, st.done, st.skipped, st.failed,
		  st.other_shard, st.bad_lines);
	{
		double tt = st.t_decode + st.t_backbone + st.t_pool + st.t_encode + st.t_write;

		if (tt > 0)
			arpg_info("time over all threads: PNG decoding %.1f%%, backbone %.1f%%, "
				  "pooling %.1f%%, encoding %.1f%%, LMDB writes %.1f%% of %.2f s",
				  100 * st.t_decode / tt, 100 * st.t_backbone / tt,
				  100 * st.t_pool / tt, 100 * st.t_encode / tt,
				  100 * st.t_write / tt, tt);
	}
	b->free(b);
	return finish(rc, o.cache, err);
}
