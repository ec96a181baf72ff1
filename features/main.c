/* main.c - arpg-features: options and subcommands; the work is in run.c
 * (manifest -> cache) and cmds.c (info, verify, merge, dump). */
#include "config.h"
#include "backbone.h"
#include "backbone_hog.h"
#include "blis_setup.h"
#include "cli.h"
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
#include <limits.h>
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
		"usage: arpg-features [-b hog|FILE.onnx] -o CACHE [--grid G[,G...]] [--frames T|all]\n"
		"                     [--patch-node NAME] [--dtype f16|f32] [--flip] [--shard K/N] [--force]\n"
		"                     [--maps[=f16|f32]] [--mean M[,M,M]] [--std S[,S,S]] [--bgr] [--map-limit BYTES]\n"
		"                     [-j N] [-q|-v] [MANIFEST|-]\n"
		"       arpg-features info CACHE\n"
		"       arpg-features verify CACHE\n"
		"       arpg-features merge OUT IN...\n"
		"       arpg-features dump CACHE CLIP_ID [--npy DIR]\n"
		"       arpg-features onnx-run MODEL.onnx -o DIR INPUT.pb...\n"
		"See arpg-features(1) and arpg-cache(5).\n");
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
       OPT_MEAN, OPT_STD, OPT_BGR, OPT_MAP_LIMIT, OPT_HELP, OPT_VERSION, OPT_NPY, OPT_FLIP, OPT_MAPS };

static const struct option long_opts[] = {
	{ "backbone", required_argument, NULL, 'b' },
	{ "output", required_argument, NULL, 'o' },
	{ "grid", required_argument, NULL, OPT_GRID },
	{ "frames", required_argument, NULL, OPT_FRAMES },
	{ "patch-node", required_argument, NULL, OPT_PATCH_NODE },
	{ "dtype", required_argument, NULL, OPT_DTYPE },
	{ "flip", no_argument, NULL, OPT_FLIP },
	{ "maps", optional_argument, NULL, OPT_MAPS },
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
		rc = ARPG_EXIT_FAILURE;
	}
	return arpg_cli_close_stdout(rc);
}

/* What the options say, beyond run_opts. */
struct cli {
	struct run_opts o;
	struct norm norm;
	const char *backbone, *patch_node, *cmd, *npy;
	const char *grid;	/* --grid as given */
	int verbosity, jobs;
};

/* One option into c; returns -1 to go on, else the exit status. */
static int take_option(struct cli *c, int ch)
{
	long limit;

	if (c->cmd && ch != 'q' && ch != 'v' && ch != OPT_HELP &&
	    !(ch == OPT_NPY && !strcmp(c->cmd, "dump")))
		return arpg_usage_error("%s: this option does not apply", c->cmd);
	switch (ch) {
	case 'b': c->backbone = optarg; break;
	case 'o': c->o.cache = optarg; break;
	case OPT_GRID:
		c->grid = optarg;
		if (arpg_cache_grids_parse(&c->o.grids, optarg) < 0)
			return arpg_usage_error("--grid '%s': expected G or a list G1,G2,... of up to "
						"%d distinct numbers from 1 to %d", optarg,
						ARPG_CACHE_MAX_GRIDS, ARPG_CACHE_MAX_GRID);
		break;
	case OPT_FRAMES:
		if (!strcmp(optarg, "all"))
			c->o.frames = 0;
		else if (arpg_parse_int(optarg, 1, 100000, &c->o.frames) < 0)
			return arpg_usage_error("--frames '%s': expected 1 to 100000 or all", optarg);
		break;
	case OPT_PATCH_NODE: c->patch_node = optarg; break;
	case OPT_DTYPE:
		if (!strcmp(optarg, "f32"))
			c->o.dtype = ARPG_F32;
		else if (!strcmp(optarg, "f16"))
			c->o.dtype = ARPG_F16;
		else
			return arpg_usage_error("--dtype '%s': expected f32 or f16", optarg);
		break;
	case OPT_SHARD:
		if (shard_parse(optarg, &c->o.shard_k, &c->o.shard_n))
			return arpg_usage_error("--shard '%s': expected K/N with 0 <= K < N", optarg);
		break;
	case OPT_FORCE: c->o.force = 1; break;
	case OPT_FLIP: c->o.flip = 1; break;
	case OPT_MAPS:
		if (!optarg || !strcmp(optarg, "f16"))
			c->o.maps = ARPG_F16;
		else if (!strcmp(optarg, "f32"))
			c->o.maps = ARPG_F32;
		else
			return arpg_usage_error("--maps=%s: expected f16 or f32", optarg);
		break;
	case OPT_MEAN:
		if (parse_three(optarg, c->norm.mean))
			return arpg_usage_error("--mean '%s': expected M or M1,M2,M3", optarg);
		break;
	case OPT_STD:
		if (parse_three(optarg, c->norm.std) || !c->norm.std[0] || !c->norm.std[1] ||
		    !c->norm.std[2])
			return arpg_usage_error("--std '%s': expected S or S1,S2,S3, not zero",
						optarg);
		break;
	case OPT_BGR: c->norm.bgr = 1; break;
	case OPT_MAP_LIMIT:
		if (arpg_parse_long(optarg, 1 << 20, LONG_MAX, &limit) < 0)
			return arpg_usage_error("--map-limit '%s': expected bytes, at least 1048576",
						optarg);
		c->o.map_limit = (size_t)limit;
		break;
	case 'j':
		if (arpg_cli_jobs(optarg, &c->jobs) < 0)
			return arpg_usage_error("-j '%s': expected 1 to %d", optarg, ARPG_JOBS_MAX);
		break;
	case OPT_NPY:
		if (!c->cmd)
			return arpg_usage_error("--npy belongs to the dump subcommand");
		c->npy = optarg;
		break;
	default:
		return arpg_cli_standard_option(ch, OPT_HELP, OPT_VERSION, usage, &c->verbosity);
	}
	return -1;
}

/* info, verify, merge and dump. */
static int subcommand(const struct cli *c, int argc, char **argv)
{
	char err[1024] = "";
	const char *cmd = c->cmd;

	if (!strcmp(cmd, "info")) {
		if (argc != 1)
			return arpg_usage_error("info takes one CACHE");
		return finish(cmd_info(argv[0], err, sizeof err), "info", err);
	}
	if (!strcmp(cmd, "verify")) {
		if (argc != 1)
			return arpg_usage_error("verify takes one CACHE");
		return finish(cmd_verify(argv[0], err, sizeof err), "verify", err);
	}
	if (!strcmp(cmd, "merge")) {
		if (argc < 2)
			return arpg_usage_error("merge takes OUT and at least one IN");
		return finish(cmd_merge(argv[0], argv + 1, argc - 1, err, sizeof err),
			      "merge", err);
	}
	if (argc != 2)
		return arpg_usage_error("dump takes CACHE and CLIP_ID");
	return finish(cmd_dump(argv[0], argv[1], c->npy, err, sizeof err), "dump", err);
}

/* onnx-run MODEL -o DIR INPUT...: its own options (onnx_run.c). */
static int onnx_run(int argc, char **argv, int quiet)
{
	struct arpg_blis_info bi;

	arpg_log_init("arpg-features", quiet ? ARPG_QUIET : ARPG_NORMAL);
	if (arpg_blis_setup(0, 0, &bi) < 0) {
		arpg_report("ARPG_BLIS_ARCH", ARPG_EINVAL, bi.arch);
		return ARPG_EXIT_FAILURE;
	}
#ifdef _OPENMP
	omp_set_num_threads(bi.threads);
#endif
	return onnx_run_main(argc, argv);
}

/* Opens the backbone: hog, or a CNN whose GEMMs run on `jobs` BLIS
 * threads fed by one worker; fills o's backbone-dependent settings. */
static int open_backbone(struct cli *c, struct backbone **b, char *input, size_t inputn,
			 char *err, size_t errn)
{
	const struct norm *n = &c->norm;
	struct arpg_blis_info bi;
	int rc;

	if (!strcmp(c->backbone, "hog")) {
		c->o.want_c = 1;
		c->o.jobs = c->jobs;
		snprintf(input, inputn, "grey 112x112");
		return backbone_open_hog(b, 112, 16, err, errn);
	}
	if (arpg_blis_setup(c->jobs, 0, &bi) < 0)
		return arpg_errf(err, errn, ARPG_EINVAL, "ARPG_BLIS_ARCH: %s", bi.arch);
	arpg_info("BLIS: %s kernels (chosen by %s), %d threads%s", bi.arch, bi.chosen_by,
		  bi.threads, bi.busy > 0 ? " (other processes keep processors busy: -j N to "
		  "choose)" : "");
	c->jobs = bi.threads;
#ifdef _OPENMP
	omp_set_num_threads(bi.threads);	/* the engine splits convolutions with OpenMP */
#endif
	rc = backbone_open_onnx(b, c->backbone, n, c->patch_node, 16, err, errn);
	c->o.want_c = 3;
	c->o.jobs = 1;
	snprintf(input, inputn, "%s %dx%d mean=%g,%g,%g std=%g,%g,%g", n->bgr ? "bgr" : "rgb",
		 *b ? (*b)->in_size : 112, *b ? (*b)->in_size : 112, n->mean[0], n->mean[1],
		 n->mean[2], n->std[0], n->std[1], n->std[2]);
	return rc;
}

/* The manifest into the cache. */
static int extract(struct cli *c)
{
	struct run_stats st;
	struct backbone *b = NULL;
	struct sigaction sa;
	char err[1024] = "", input[256];
	double tt;
	int rc, onnx = strcmp(c->backbone, "hog") != 0;

	if (!onnx && c->patch_node)
		return arpg_usage_error("--patch-node: hog has no nodes");
	if (c->o.maps && c->o.flip)
		return arpg_usage_error("--maps with --flip: the maps of mirrored views are not "
					"kept; leave one out");
	/* hog's workers do not wait for each other: all processors; a CNN's
	 * BLIS threads do (arpg_blis_setup: the processors free now) */
	if (!c->jobs && !onnx)
		c->jobs = arpg_cli_default_jobs();
	/* before the model loads, and named as the manifest, not the cache */
	if (strcmp(c->o.manifest, "-") && access(c->o.manifest, R_OK) < 0) {
		int e = errno;

		snprintf(err, sizeof err, "cannot read the manifest: %s (arpg-preprocess "
			 "writes OUT/manifest.tsv)", strerror(e));
		return finish(e == ENOENT ? ARPG_ENOENT : ARPG_EIO, c->o.manifest, err);
	}
	if ((rc = open_backbone(c, &b, input, sizeof input, err, sizeof err)) < 0)
		return finish(rc, c->backbone, err);
	arpg_info("backbone %s: app_dim %d, patch map %dx%dx%d%s%s -> grid %s%s, %d worker%s",
		  b->name, b->app_dim, b->patch_c, b->patch_h, b->patch_w,
		  onnx ? " from node " : "", onnx ? b->patch_node : "", c->grid,
		  c->o.flip ? ", and mirrored" : "", c->o.jobs, c->o.jobs == 1 ? "" : "s");
	c->o.input = input;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;	/* no SA_RESTART: a blocked read returns */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	rc = features_run(&c->o, b, &st, err, sizeof err);
	if (rc >= 0 || st.rows)	/* not "0 clips" above an error that stopped the run */
		arpg_note("%ld clips: %ld written, %ld already there, %ld failed, "
			  "%ld in other shards; %ld bad manifest lines", st.rows, st.done,
			  st.skipped, st.failed, st.other_shard, st.bad_lines);
	tt = st.t_decode + st.t_backbone + st.t_pool + st.t_encode + st.t_write;
	if (tt > 0)
		arpg_info("time over all threads: PNG decoding %.1f%%, backbone %.1f%%, "
			  "pooling %.1f%%, encoding %.1f%%, LMDB writes %.1f%% of %.2f s",
			  100 * st.t_decode / tt, 100 * st.t_backbone / tt, 100 * st.t_pool / tt,
			  100 * st.t_encode / tt, 100 * st.t_write / tt, tt);
	b->free(b);
	return finish(rc, c->o.cache, err);
}

/* Where a subcommand is: first, or after -q/-v; 0 if none. */
static int find_subcommand(int argc, char **argv, const char *name)
{
	int i;

	for (i = 1; i < argc && (!strcmp(argv[i], "-q") || !strcmp(argv[i], "-v") ||
				 !strcmp(argv[i], "-vv")); i++)
		;
	return i < argc && !strcmp(argv[i], name) ? i : 0;
}

int main(int argc, char **argv)
{
	static const char *const cmds[] = { "info", "verify", "merge", "dump" };
	struct cli c;
	int ch, rc, at;
	size_t i;

	memset(&c, 0, sizeof c);
	c.o.frames = FEATURES_DEFAULT_FRAMES;
	c.grid = "6";
	arpg_cache_grids_parse(&c.o.grids, c.grid);
	c.o.dtype = ARPG_F32;
	c.o.stop = &stop_flag;
	c.norm = (struct norm){ { 127.5f, 127.5f, 127.5f }, { 127.5f, 127.5f, 127.5f }, 0 };
	c.backbone = "hog";
	c.verbosity = ARPG_NORMAL;
	signal(SIGPIPE, SIG_IGN);
	if ((at = find_subcommand(argc, argv, "onnx-run")))
		return onnx_run(argc - at, argv + at, at > 1 && !strcmp(argv[1], "-q"));
	for (i = 0; i < sizeof cmds / sizeof *cmds && !c.cmd; i++)
		if ((at = find_subcommand(argc, argv, cmds[i]))) {
			c.cmd = argv[at];
			memmove(&argv[at], &argv[at + 1], sizeof *argv * (size_t)(argc - at));
			argc--;
		}
	arpg_log_init("arpg-features", ARPG_NORMAL);
	while ((ch = getopt_long(argc, argv, "b:o:j:qv", long_opts, NULL)) != -1)
		if ((rc = take_option(&c, ch)) >= 0)
			return rc;
	arpg_log_init("arpg-features", c.verbosity);
	argc -= optind;
	argv += optind;
	if (c.cmd)
		return subcommand(&c, argc, argv);
	if (!c.o.cache)
		return arpg_usage_error("no cache: give -o CACHE");
	if (argc > 1)
		return arpg_usage_error("one manifest at most (got '%s' too)", argv[1]);
	c.o.manifest = argc ? argv[0] : "-";
	if (!strcmp(c.o.manifest, "-") && isatty(0))
		return arpg_usage_error("no manifest: give MANIFEST, or '-' with a pipe");
	return extract(&c);
}
