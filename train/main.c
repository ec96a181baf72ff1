/* arpg-train - trains and evaluates the ARPGNet head over a feature cache.
 * Options only; the work is in experiment.c (and sweep.c, run.c, data.c,
 * model.c, checkpoint.c beneath it). */
#include "config.h"

#include "blis_setup.h"
#include "cli.h"
#include "error.h"
#include "experiment.h"
#include "log.h"
#include "sweep.h"

#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* What the command line sets: the experiment, the sweep lists, and how
 * the program runs. */
struct options {
	struct experiment e;
	struct sweep sw;
	int jobs, verbosity;
	int class_weights_given;	/* else --per-frame makes them balanced */
};

/* The signal that asked the program to stop (SIGINT, SIGTERM, SIGHUP), or
 * 0: training stops at the next batch and saves the last finished epoch. */
static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* getopt's values of the sweep options: SWEEP_OPT + their index. */
enum { SWEEP_OPT = 1000, RUN = -1 };

static void usage(FILE *f)
{
	fprintf(f,
"usage: arpg-train CACHE [options]\n"
"Trains the ARPGNet relation graph and fusion networks on an arpg-features cache;\n"
"one JSON object per epoch and split on stdout, then a summary object.\n"
"\n"
"  --epochs N            training epochs (30)\n"
"  --batch B             clips per mini-batch (32)\n"
"  --frames T            frames per clip (16, or the cache's when fewer)\n"
"  --folds K             K-fold cross-validation grouped by subject (by clip without subjects)\n"
"  --optimizer adam|adamw  the optimizer (adam)\n"
"  --lr X                learning rate (0.001)\n"
"  --schedule constant|step|cosine  learning-rate schedule (constant)\n"
"  --warmup N            epochs of linear learning-rate warm-up (0)\n"
"  --step-every N  --step-gamma X   step schedule: times X every N epochs (10, 0.1)\n"
"  --weight-decay X      weight decay: L2 with adam, decoupled with adamw (0)\n"
"  --clip X              gradient-norm clipping, 0 for none (5)\n"
"  --dropout P           dropout before and inside the classifier (0.1)\n"
"  --label-smoothing X   label smoothing of the cross-entropy (0)\n"
"  --class-weights none|balanced  class weights of the cross-entropy (none)\n"
"  --augment LIST        training augmentations: none, or any of\n"
"                        jitter,flip,drop,mixup (jitter)\n"
"  --drop-frames P       augment drop: the share of a clip's frames masked (0.25)\n"
"  --mixup-alpha A       augment mixup: the mix drawn from Beta(A, A) (0.2)\n"
"  --grid G              which grid of the cache's (its first)\n"
"  --trs N|all           temporal response scope of the fusion graph (4)\n"
"  --edges LIST          relation graph edges: any of self,adj,sym,adj8 (self,adj,sym)\n"
"  --fusion gat|concat   fusion graph or plain concatenation (gat)\n"
"  --modality both|app|rel  branches in use (both)\n"
"  --dim D  --heads H    model width (256) and attention heads (4)\n"
"  --rel-layers L  --fusion-layers L   GAT layers per graph (2, 1)\n"
"  --seed S              initialisation, shuffling and dropout (1)\n"
"  --save MODEL          save the trained model (and, when stopped by a signal,\n"
"                        the last finished epoch)\n"
"  --save-every N        with --save: also save after every N epochs\n"
"  --resume MODEL        continue training a saved model up to --epochs\n"
"  --load MODEL          evaluate a saved model on the cache's val split\n"
"  --predict             with --load: print clip, label, prediction, probabilities\n"
"  --per-frame           a class per frame of long clips (Aff-Wild2): windows of\n"
"                        --frames frames, macro-F1 over the frames; class weights\n"
"                        balanced unless --class-weights says otherwise\n"
"  --abaw-dir DIR        with --predict, a per-frame model: DIR/CLIP.txt, ABAW's format\n"
"  --export-onnx FILE    with --load, no CACHE: write the model as an ONNX graph\n"
"  --tune-backbone MODEL.onnx  train the backbone's layers after its stride-8 map\n"
"                        over the cache's maps (arpg-features --maps); with --load,\n"
"                        the backbone a tuned model was tuned from (else the file\n"
"                        it names)\n"
"  --lr-backbone X       their learning rate (0.0001)\n"
"  --export-backbone FILE.onnx  write the backbone with the tuned layers (at the\n"
"                        end of training, or with --load of a tuned model, no CACHE)\n"
"  -j, --jobs N          threads (the processors not busy with others)\n"
"  -q, --quiet  -v, --verbose   less or more on stderr\n"
"  -h, --help  -V, --version\n"
"Options marked as lists take comma lists to sweep (--trs 1,2,4,all; --edges and\n"
"--augment take alternatives separated by ':'): every combination runs, then a table\n"
"of mean and standard deviation over seeds.  See arpg-train(1).\n");
}

/* The options that take a number, and their ranges. */
static const struct number_option {
	int c;			/* getopt's value */
	const char *name;
	int is_int;		/* an int, else a double */
	double lo, hi;
	size_t offset;		/* into struct experiment */
	const char *what;	/* for the error: "'X' is not WHAT" */
} NUMBER_OPTIONS[] = {
	{ 'F', "--folds", 1, 2, 1000, offsetof(struct experiment, folds), "a number from 2 to 1000" },
	{ 'E', "--epochs", 1, 1, 1000000, offsetof(struct experiment, epochs), "a positive number" },
	{ 'B', "--batch", 1, 1, 65536, offsetof(struct experiment, batch), "a positive number" },
	{ 'T', "--frames", 1, 1, 4096, offsetof(struct experiment, frames),
	  "a number from 1 to 4096" },
	{ 'W', "--weight-decay", 0, 0, 10, offsetof(struct experiment, weight_decay),
	  "a number from 0 to 10" },
	{ 'C', "--clip", 0, 0, 1e9, offsetof(struct experiment, clip), "a number >= 0" },
	{ 'N', "--save-every", 1, 1, 1000000, offsetof(struct experiment, save_every),
	  "a positive number" },
	{ 'U', "--warmup", 1, 0, 1000000, offsetof(struct experiment, warmup), "a number >= 0" },
	{ 'Y', "--step-every", 1, 1, 1000000, offsetof(struct experiment, step_every),
	  "a positive number" },
	{ 'G', "--step-gamma", 0, 0, 1, offsetof(struct experiment, step_gamma),
	  "a number from 0 to 1" },
	{ 'D', "--drop-frames", 0, 0, 0.99, offsetof(struct experiment, drop_frames),
	  "a number from 0 to 0.99" },
	{ 'M', "--mixup-alpha", 0, 0.001, 1000, offsetof(struct experiment, mixup_alpha),
	  "a number from 0.001 to 1000" },
	{ 'z', "--lr-backbone", 0, 0, 10, offsetof(struct experiment, lr_backbone),
	  "a number from 0 to 10" },
};

/* Reads arg into the field of e that number option k names.  RUN, or the
 * exit status. */
static int parse_number(struct experiment *e, const struct number_option *k, const char *arg)
{
	char *field = (char *)e + k->offset;
	int rc = k->is_int ? arpg_parse_int(arg, (int)k->lo, (int)k->hi, (int *)field) :
			     arpg_parse_double(arg, k->lo, k->hi, (double *)field);

	if (rc < 0)
		return arpg_usage_error("%s: '%s' is not %s", k->name, arg, k->what);
	return RUN;
}

/* One option c with its argument.  Returns RUN, or the exit status. */
static int parse_option(struct options *o, int c, const char *arg)
{
	struct experiment *e = &o->e;

	for (size_t i = 0; i < sizeof NUMBER_OPTIONS / sizeof *NUMBER_OPTIONS; i++)
		if (NUMBER_OPTIONS[i].c == c)
			return parse_number(e, &NUMBER_OPTIONS[i], arg);
	if (c == SWEEP_OPT + SW_CLASS_WEIGHTS)
		o->class_weights_given = 1;
	if (c >= SWEEP_OPT && c < SWEEP_OPT + SW_COUNT) {
		if (sweep_set(&o->sw, c - SWEEP_OPT, arg) < 0)
			return arpg_usage_error("--%s: bad list '%s' (an empty value, or more than 32)",
						sweep_name(c - SWEEP_OPT), arg);
		return RUN;
	}
	switch (c) {
	case 'S': e->save = arg; return RUN;
	case 'L': e->load = arg; return RUN;
	case 'R': e->resume = arg; return RUN;
	case 'P': e->predict = 1; return RUN;
	case 'f': e->per_frame = 1; return RUN;
	case 'A': e->abaw_dir = arg; return RUN;
	case 'X': e->export_onnx = arg; return RUN;
	case 'k': e->tune_backbone = arg; return RUN;
	case 'x': e->export_backbone = arg; return RUN;
	case 'j':
		if (arpg_cli_jobs(arg, &o->jobs) < 0)
			return arpg_usage_error("-j: '%s' is not a positive number", arg);
		return RUN;
	default: return arpg_cli_standard_option(c, 'h', 'V', usage, &o->verbosity);
	}
}

/* The whole command line into o.  Returns RUN, or the exit status. */
static int parse_args(struct options *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "folds", required_argument, NULL, 'F' }, { "epochs", required_argument, NULL, 'E' },
		{ "batch", required_argument, NULL, 'B' }, { "frames", required_argument, NULL, 'T' },
		{ "optimizer", required_argument, NULL, SWEEP_OPT + SW_OPTIMIZER },
		{ "lr", required_argument, NULL, SWEEP_OPT + SW_LR },
		{ "schedule", required_argument, NULL, SWEEP_OPT + SW_SCHEDULE },
		{ "label-smoothing", required_argument, NULL, SWEEP_OPT + SW_SMOOTHING },
		{ "class-weights", required_argument, NULL, SWEEP_OPT + SW_CLASS_WEIGHTS },
		{ "augment", required_argument, NULL, SWEEP_OPT + SW_AUGMENT },
		{ "warmup", required_argument, NULL, 'U' },
		{ "step-every", required_argument, NULL, 'Y' },
		{ "step-gamma", required_argument, NULL, 'G' },
		{ "drop-frames", required_argument, NULL, 'D' },
		{ "mixup-alpha", required_argument, NULL, 'M' },
		{ "grid", required_argument, NULL, SWEEP_OPT + SW_GRID },
		{ "trs", required_argument, NULL, SWEEP_OPT + SW_TRS },
		{ "edges", required_argument, NULL, SWEEP_OPT + SW_EDGES },
		{ "fusion", required_argument, NULL, SWEEP_OPT + SW_FUSION },
		{ "modality", required_argument, NULL, SWEEP_OPT + SW_MODALITY },
		{ "dim", required_argument, NULL, SWEEP_OPT + SW_DIM },
		{ "heads", required_argument, NULL, SWEEP_OPT + SW_HEADS },
		{ "rel-layers", required_argument, NULL, SWEEP_OPT + SW_REL },
		{ "fusion-layers", required_argument, NULL, SWEEP_OPT + SW_FUS },
		{ "dropout", required_argument, NULL, SWEEP_OPT + SW_DROPOUT },
		{ "seed", required_argument, NULL, SWEEP_OPT + SW_SEED },
		{ "weight-decay", required_argument, NULL, 'W' }, { "clip", required_argument, NULL, 'C' },
		{ "save", required_argument, NULL, 'S' }, { "load", required_argument, NULL, 'L' },
		{ "save-every", required_argument, NULL, 'N' },
		{ "resume", required_argument, NULL, 'R' }, { "predict", no_argument, NULL, 'P' },
		{ "per-frame", no_argument, NULL, 'f' }, { "abaw-dir", required_argument, NULL, 'A' },
		{ "export-onnx", required_argument, NULL, 'X' },
		{ "tune-backbone", required_argument, NULL, 'k' },
		{ "lr-backbone", required_argument, NULL, 'z' },
		{ "export-backbone", required_argument, NULL, 'x' },
		{ "jobs", required_argument, NULL, 'j' }, { "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' }, { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' }, { NULL, 0, NULL, 0 }
	};
	int c, status;

	while ((c = getopt_long(argc, argv, "j:qvhV", longopts, NULL)) != -1)
		if ((status = parse_option(o, c, optarg)) != RUN)
			return status;
	arpg_log_init("arpg-train", o->verbosity);
	if (o->e.export_onnx || (o->e.export_backbone && o->e.load)) {	/* no CACHE */
		if (optind < argc)
			return arpg_usage_error("--load with --export-%s reads no CACHE; '%s' is "
						"extra", o->e.export_onnx ? "onnx" : "backbone",
						argv[optind]);
		return RUN;
	}
	if (optind != argc - 1) {
		if (optind >= argc)
			return arpg_usage_error("%s", "a CACHE directory is needed");
		return arpg_usage_error("one CACHE only; '%s' is extra", argv[optind + 1]);
	}
	o->e.cache = argv[optind];
	return RUN;
}

/* The rules between options, once all are read.  RUN or the exit status. */
static int check_args(const struct options *o)
{
	const struct experiment *e = &o->e;
	long ncombos = sweep_count(&o->sw);
	int opt, val;

	if (sweep_check(&o->sw, &opt, &val) < 0)
		return arpg_usage_error("--%s: '%s' is not %s", sweep_name(opt),
					o->sw.opt[opt].v[val], sweep_expect(opt));
	if (ncombos > INT_MAX)
		return arpg_usage_error("%ld combinations of the lists: too many", ncombos);
	if (e->export_onnx && (!e->load || e->predict))
		return arpg_usage_error("%s", "--export-onnx needs --load MODEL (and no --predict)");
	if (e->predict && !e->load)
		return arpg_usage_error("%s", "--predict needs --load MODEL");
	if (e->abaw_dir && !e->predict)
		return arpg_usage_error("%s", "--abaw-dir needs --load MODEL --predict");
	if (e->per_frame && e->folds)
		return arpg_usage_error("%s", "--per-frame takes the cache's train/val split, not --folds");
	if (e->save_every && !e->save)
		return arpg_usage_error("%s", "--save-every needs --save MODEL");
	if ((e->save || e->resume) && (ncombos > 1 || e->folds))
		return arpg_usage_error("%s", "--save and --resume take a single run (no lists, no --folds)");
	if (e->load && (e->save || e->resume || e->folds))
		return arpg_usage_error("%s", "--load evaluates a saved model; it does not train");
	if (e->export_backbone && !e->tune_backbone && !e->load)
		return arpg_usage_error("%s", "--export-backbone needs --tune-backbone MODEL.onnx "
					"(the backbone to tune), or --load of a tuned model");
	if (e->export_backbone && (e->export_onnx || e->predict))
		return arpg_usage_error("%s", "--export-backbone goes with neither --export-onnx "
					"nor --predict");
	if (e->export_backbone && (ncombos > 1 || e->folds))
		return arpg_usage_error("%s", "--export-backbone takes a single run (no lists, no "
					"--folds)");
	if (e->tune_backbone && (e->per_frame || e->export_onnx))
		return arpg_usage_error("%s", "--tune-backbone does not go with --per-frame or "
					"--export-onnx yet");
	return RUN;
}

/* libgomp's threads spin for about 3 ms (GOMP_SPINCOUNT 300000) before
 * they sleep, at every region's end and between regions, and it reads its
 * environment when it loads, before main can set it.  On a core that
 * another process keeps busy, a thread spinning there takes the time that
 * the thread it waits for needs: training with -j 2 beside one busy
 * process spent 1.9 times the CPU seconds of -j 1, 1.1 times with 10000
 * spins (about 0.1 ms).  So, unless the user chose (OMP_WAIT_POLICY or
 * GOMP_SPINCOUNT set), the program runs itself again, once, with 10000;
 * the regions are few and long (a GAT layer's pass each), and a thread
 * that sleeps wakes in microseconds.  When that exec fails it carries on
 * as it is.  Only libgomp (GCC's) reads GOMP_SPINCOUNT. */
static void short_spin(char **argv)
{
#if defined(_OPENMP) && defined(__GNUC__) && !defined(__clang__)
	if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT"))
		return;
	if (setenv("GOMP_SPINCOUNT", "10000", 1) == 0)
		execv("/proc/self/exe", argv);
	unsetenv("GOMP_SPINCOUNT");
#else
	(void)argv;
#endif
}

int main(int argc, char **argv)
{
	struct options o = { .e = { .epochs = 30, .batch = 32, .weight_decay = 0, .clip = 5.0,
				    .step_every = 10, .step_gamma = 0.1, .drop_frames = 0.25,
				    .mixup_alpha = 0.2, .lr_backbone = 1e-4 },
			     .verbosity = ARPG_NORMAL };
	struct arpg_blis_info blis;
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESETHAND };
	int status;

	short_spin(argv);
	arpg_log_init("arpg-train", ARPG_NORMAL);
	if (sweep_init(&o.sw) < 0) {
		arpg_error("%s", arpg_strerror(ARPG_ENOMEM));
		status = ARPG_EXIT_FAILURE;
		goto out;
	}
	/* --help and --version flush stdout themselves */
	if ((status = parse_args(&o, argc, argv)) == RUN && o.e.per_frame &&
	    !o.class_weights_given && sweep_set(&o.sw, SW_CLASS_WEIGHTS, "balanced") < 0) {
		arpg_error("%s", arpg_strerror(ARPG_ENOMEM));
		status = ARPG_EXIT_FAILURE;
	}
	if (status != RUN || (status = check_args(&o)) != RUN) {
		sweep_free(&o.sw);
		return status;
	}
	if (arpg_blis_setup(o.jobs, 0, &blis) < 0) {
		arpg_error("ARPG_BLIS_ARCH: this BLIS has no kernel set named '%s'", blis.arch);
		status = ARPG_EXIT_USAGE;
		goto out;
	}
#ifdef _OPENMP
	omp_set_num_threads(blis.threads);
#endif
	arpg_info("BLIS kernels %s (chosen by %s), %d thread%s%s", blis.arch, blis.chosen_by,
		  blis.threads, blis.threads > 1 ? "s" : "", blis.busy > 0 ?
		  " (other processes keep processors busy: -j N to choose)" : "");
	/* the first signal stops at a clean point; SA_RESETHAND lets a second
	 * one end the program at once */
	o.e.stop = &stop_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	status = o.e.export_onnx ? experiment_export(&o.e) :
		 o.e.export_backbone && o.e.load ? experiment_export_backbone(&o.e) :
		 experiment_run(&o.e, &o.sw);
out:
	sweep_free(&o.sw);
	return arpg_cli_close_stdout(status);
}
