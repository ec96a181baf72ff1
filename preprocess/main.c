/* arpg-preprocess: videos and archives -> frame crops (PNG) and a manifest.
 * Options and the run: the main thread finds clips (dataset.c) and hands
 * them to -j worker threads (clip.c), which print each manifest row as the
 * clip completes; OUTDIR/manifest.tsv is written last, in the order the
 * clips were found. */
#include "config.h"

#include "clip.h"
#include "dataset.h"
#include "error.h"
#include "fileio.h"
#include "face/tracker.h"
#include "log.h"
#include "manifest.h"
#include "progress.h"
#include "sheet.h"

#include <errno.h>
#include <getopt.h>
#include <libavutil/log.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct row {
	long seq;
	struct arpg_manifest_row r;
};

struct run {
	const char *outdir;
	char *outabs;
	struct clip_options co;
	struct dataset *ds;
	struct arpg_progress prog;

	pthread_mutex_t lock;		/* guards all below */
	pthread_cond_t more, room;
	struct clip **queue;
	int qcap, qhead, qlen, closing;

	struct row *rows;
	long nrows, caprows;
	long found, done, skipped, failed, frames, noface;
	double t_decode, t_scale, t_face, t_png;	/* summed over workers */
	int stdout_closed;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: arpg-preprocess [-l afew|rml|dir|list] -o OUTDIR [--no-align]\n"
		"\t[--cascade FILE] [--landmarks FILE] [--equalize] [--scale-factor X]\n"
		"\t[--min-neighbors N] [--min-size PX] [--smooth N] [--size N] [--fps R] [--max-frames N]\n"
		"\t[--sheet FILE.png] [-j N] [-q|-v] INPUT...\n"
		"Writes OUTDIR/<clip_id>/NNNNNN.png and frames.tsv per clip, and the manifest\n"
		"to OUTDIR/manifest.tsv and standard output.  See arpg-preprocess(1).\n");
}

static int bad_value(const char *opt, const char *val, const char *want)
{
	arpg_error("%s: '%s' is not %s", opt, val, want);
	fprintf(stderr, "Try 'arpg-preprocess --help'.\n");
	return 2;
}

static int parse_long(const char *s, long lo, long hi, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	return !*s || *end || errno || *v < lo || *v > hi ? -1 : 0;
}

static char *dup_or_die(const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d) {
		arpg_report("arpg-preprocess", ARPG_ENOMEM, NULL);
		exit(1);
	}
	return d;
}

/* Records a finished clip (done or skipped) and prints its manifest row.
 * Called with r->lock held. */
static void add_row(struct run *r, const struct clip *c, const struct clip_result *res)
{
	struct row *w;
	char path[4300];

	if (r->nrows == r->caprows) {
		long cap = r->caprows ? 2 * r->caprows : 256;
		struct row *n = realloc(r->rows, sizeof *n * (size_t)cap);

		if (!n) {
			arpg_report("arpg-preprocess", ARPG_ENOMEM, NULL);
			exit(1);
		}
		r->rows = n;
		r->caprows = cap;
	}
	w = &r->rows[r->nrows++];
	memset(w, 0, sizeof *w);
	snprintf(path, sizeof path, "%s/%s", r->outabs, c->id);
	w->seq = c->seq;
	w->r.clip_id = dup_or_die(c->id);
	w->r.split = dup_or_die(c->split);
	w->r.label = dup_or_die(c->label);
	w->r.subject = dup_or_die(c->subject);
	w->r.path = dup_or_die(path);
	w->r.frames = res->frames;
	w->r.faces = res->faces;
	r->frames += res->frames;
	r->noface += res->faces == 0;
	if (!r->stdout_closed && arpg_manifest_write_row(stdout, &w->r) < 0) {
		/* a closed reader ends the run quietly */
		r->stdout_closed = 1;
		stop = 1;
	}
}

static void free_row(struct row *w)
{
	free(w->r.clip_id);
	free(w->r.split);
	free(w->r.label);
	free(w->r.subject);
	free(w->r.path);
}

/* dataset sink: is the clip already complete? */
static int want(void *ctx, const struct clip *c)
{
	struct run *r = ctx;
	struct clip_result res;
	int rc;

	pthread_mutex_lock(&r->lock);
	r->found++;
	arpg_progress_set_total(&r->prog, r->found);
	rc = clip_done(r->outdir, c->id, &res);
	if (rc == 1) {
		char tmp[4300];

		/* a former run's leftover beside a complete clip */
		snprintf(tmp, sizeof tmp, "%s/%s.tmp", r->outdir, c->id);
		remove_tree(tmp);
		r->skipped++;
		add_row(r, c, &res);
		arpg_progress_add(&r->prog, 1);
	} else if (rc < 0) {
		char p[4300];

		snprintf(p, sizeof p, "%s/%s", r->outdir, c->id);
		arpg_report(p, rc, "no readable frames.tsv: remove the folder to redo the clip");
		r->failed++;
		arpg_progress_add(&r->prog, 1);
	}
	pthread_mutex_unlock(&r->lock);
	return rc == 0;
}

static int take(void *ctx, struct clip *c)
{
	struct run *r = ctx;
	struct clip *copy = malloc(sizeof *copy);

	if (!copy) {
		clip_free(c);
		return ARPG_ENOMEM;
	}
	*copy = *c;
	pthread_mutex_lock(&r->lock);
	while (r->qlen == r->qcap && !stop)
		pthread_cond_wait(&r->room, &r->lock);
	if (stop) {
		pthread_mutex_unlock(&r->lock);
		clip_free(copy);
		free(copy);
		return ARPG_EINTR;
	}
	r->queue[(r->qhead + r->qlen++) % r->qcap] = copy;
	pthread_cond_signal(&r->more);
	pthread_mutex_unlock(&r->lock);
	return 0;
}

static void problem(void *ctx, const char *object, int code, const char *detail)
{
	(void)ctx;
	arpg_report(object, code, detail);
}

static void *worker(void *arg)
{
	struct run *r = arg;
	struct clip *c;
	struct clip_result res;
	char err[1024];
	int rc;

	for (;;) {
		pthread_mutex_lock(&r->lock);
		while (!r->qlen && !r->closing)
			pthread_cond_wait(&r->more, &r->lock);
		if (!r->qlen) {
			pthread_mutex_unlock(&r->lock);
			return NULL;
		}
		c = r->queue[r->qhead];
		r->qhead = (r->qhead + 1) % r->qcap;
		r->qlen--;
		pthread_cond_signal(&r->room);
		pthread_mutex_unlock(&r->lock);

		rc = stop ? ARPG_EINTR : clip_process(c, r->outdir, &r->co, &res, err, sizeof err);
		pthread_mutex_lock(&r->lock);
		if (rc < 0) {
			r->failed++;
			if (rc != ARPG_EINTR)
				arpg_report(c->source, rc, err);
		} else {
			r->done++;
			r->t_decode += res.t_decode;
			r->t_scale += res.t_scale;
			r->t_face += res.t_face;
			r->t_png += res.t_png;
			add_row(r, c, &res);
		}
		arpg_progress_add(&r->prog, 1);
		pthread_mutex_unlock(&r->lock);
		clip_free(c);
		free(c);
	}
}

static int by_seq(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int write_manifest(struct run *r)
{
	char path[4300], tmp[4300];
	FILE *f;
	long i;
	int rc = 0;

	if (r->nrows)	/* rows is NULL when no clip was found */
		qsort(r->rows, (size_t)r->nrows, sizeof *r->rows, by_seq);
	snprintf(path, sizeof path, "%s/manifest.tsv", r->outdir);
	snprintf(tmp, sizeof tmp, "%s/manifest.tsv.tmp", r->outdir);
	if (!(f = fopen(tmp, "w")))
		return arpg_report(tmp, ARPG_EIO, strerror(errno));
	rc = arpg_manifest_write_header(f);
	for (i = 0; i < r->nrows && rc == 0; i++)
		rc = arpg_manifest_write_row(f, &r->rows[i].r);
	if (fclose(f) && rc == 0)
		rc = ARPG_EIO;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = ARPG_EIO;
	if (rc < 0) {
		arpg_report(path, rc, strerror(errno));
		unlink(tmp);
	}
	return rc;
}

int main(int argc, char **argv)
{
	enum { O_NOALIGN = 256, O_CASCADE, O_LANDMARKS, O_SIZE, O_FPS, O_MAXFRAMES, O_HELP,
	       O_VERSION, O_SHEET, O_EQUALIZE, O_SCALE, O_NEIGHBORS, O_MINSIZE, O_SMOOTH };
	static const struct option opts[] = {
		{ "layout", required_argument, NULL, 'l' },
		{ "output", required_argument, NULL, 'o' },
		{ "no-align", no_argument, NULL, O_NOALIGN },
		{ "cascade", required_argument, NULL, O_CASCADE },
		{ "landmarks", required_argument, NULL, O_LANDMARKS },
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
	struct run r;
	struct arpg_face_options fo;
	struct arpg_face_models *fm = NULL;
	enum layout layout = LAYOUT_DIR;
	struct sigaction sa;
	pthread_t *threads = NULL;
	long jobs = 0, v, problems = 0, input_errors = 0, i;
	int verbosity = ARPG_NORMAL, no_align = 0, ch, rc, status = 0;
	char err[1024], *end;
	double t0 = arpg_now(), fps;
	const char *sheet = NULL;

	memset(&r, 0, sizeof r);
	r.co.size = 112;
	r.co.stop = &stop;
	arpg_log_init("arpg-preprocess", ARPG_NORMAL);	/* option errors name the program */
	arpg_face_options_default(&fo);
	while ((ch = getopt_long(argc, argv, "l:o:j:qv", opts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			if (layout_parse(&layout, optarg) < 0)
				return bad_value("-l", optarg, "a layout: afew, rml, dir or list");
			break;
		case 'o':
			r.outdir = optarg;
			break;
		case O_NOALIGN:
			no_align = 1;
			break;
		case O_CASCADE:
			fo.cascade = optarg;
			break;
		case O_LANDMARKS:
			fo.landmarks = optarg;
			break;
		case O_EQUALIZE:
			fo.equalize = 1;
			break;
		case O_SCALE: {
			char *rest;

			fo.detect.scale_factor = strtod(optarg, &rest);
			if (*rest || !(fo.detect.scale_factor > 1.0 &&
				       fo.detect.scale_factor <= 4.0))
				return bad_value("--scale-factor", optarg, "a number above 1 and at most 4");
			break;
		}
		case O_NEIGHBORS:
			if (parse_long(optarg, 0, 1000, &v) < 0)
				return bad_value("--min-neighbors", optarg, "a number from 0 to 1000");
			fo.detect.min_neighbors = (int)v;
			break;
		case O_MINSIZE:
			if (parse_long(optarg, 1, 65535, &v) < 0)
				return bad_value("--min-size", optarg, "a number of pixels from 1 to 65535");
			fo.detect.min_size = (int)v;
			break;
		case O_SMOOTH:
			if (parse_long(optarg, 0, 1000, &v) < 0)
				return bad_value("--smooth", optarg, "a number of frames from 0 to 1000");
			fo.smooth = (int)v;
			break;
		case O_SIZE:
			if (parse_long(optarg, 16, 4096, &v) < 0)
				return bad_value("--size", optarg, "a number from 16 to 4096");
			r.co.size = (int)v;
			break;
		case O_FPS:
			errno = 0;
			fps = strtod(optarg, &end);
			if (!*optarg || *end || errno || !(fps > 0 && fps <= 1000))
				return bad_value("--fps", optarg, "a rate above 0 and up to 1000");
			r.co.decode.fps = fps;
			break;
		case O_MAXFRAMES:
			if (parse_long(optarg, 1, LONG_MAX, &v) < 0)
				return bad_value("--max-frames", optarg, "a positive number");
			r.co.decode.max_frames = v;
			break;
		case O_SHEET:
			sheet = optarg;
			break;
		case 'j':
			if (parse_long(optarg, 1, 1024, &jobs) < 0)
				return bad_value("-j", optarg, "a number of jobs from 1 to 1024");
			break;
		case 'q':
			verbosity = ARPG_QUIET;
			break;
		case 'v':
			verbosity = verbosity < ARPG_NORMAL ? ARPG_VERBOSE : verbosity + 1;
			break;
		case O_HELP:
			usage(stdout);
			return fclose(stdout) ? 1 : 0;
		case O_VERSION:
			printf("arpg-preprocess %s\n", PACKAGE_VERSION);
			return fclose(stdout) ? 1 : 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	arpg_log_init("arpg-preprocess", verbosity);
	if (!r.outdir) {
		arpg_error("-o OUTDIR is required");
		usage(stderr);
		return 2;
	}
	if (optind == argc) {
		arpg_error("no INPUT: name dataset folders, archives or (-l list) TSV files");
		usage(stderr);
		return 2;
	}
	av_log_set_level(verbosity >= ARPG_DEBUG ? AV_LOG_WARNING : AV_LOG_QUIET);
	if (!jobs) {
		jobs = sysconf(_SC_NPROCESSORS_ONLN);
		if (jobs < 1)
			jobs = 1;
		arpg_info("-j %ld (the processors online)", jobs);
	}
	if (!no_align) {
		if ((rc = arpg_face_models_load(&fm, &fo, err, sizeof err)) < 0) {
			arpg_report("face models", rc, err);
			return 1;
		}
		if (!fm)
			arpg_info("face alignment is not built yet: writing centre crops");
	}
	r.co.fm = fm;
	if (arpg_mkdir_p(r.outdir) < 0) {
		arpg_report(r.outdir, ARPG_EIO, strerror(errno));
		return 1;
	}
	if (!(r.outabs = realpath(r.outdir, NULL))) {
		arpg_report(r.outdir, ARPG_EIO, strerror(errno));
		return 1;
	}

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	pthread_mutex_init(&r.lock, NULL);
	pthread_cond_init(&r.more, NULL);
	pthread_cond_init(&r.room, NULL);
	r.qcap = (int)jobs * 2;
	if (!(r.queue = calloc((size_t)r.qcap, sizeof *r.queue)) ||
	    !(threads = calloc((size_t)jobs, sizeof *threads)) ||
	    dataset_new(&r.ds, layout) < 0) {
		arpg_report("arpg-preprocess", ARPG_ENOMEM, NULL);
		return 1;
	}
	if (arpg_manifest_write_header(stdout) < 0)
		r.stdout_closed = 1;
	arpg_progress_start(&r.prog, "clips", 0);
	for (i = 0; i < jobs; i++)
		if (pthread_create(&threads[i], NULL, worker, &r)) {
			arpg_report("arpg-preprocess", ARPG_ENOMEM, "cannot start a thread");
			return 1;
		}

	{
		struct dataset_sink sink = { &r, want, take, problem };

		for (i = optind; i < argc && !stop; i++) {
			rc = dataset_scan(r.ds, argv[i], &sink, &problems, err, sizeof err);
			if (rc < 0 && rc != ARPG_EINTR) {
				arpg_report(argv[i], rc, err);
				input_errors++;
			}
		}
	}
	pthread_mutex_lock(&r.lock);
	r.closing = 1;
	pthread_cond_broadcast(&r.more);
	pthread_mutex_unlock(&r.lock);
	for (i = 0; i < jobs; i++)
		pthread_join(threads[i], NULL);
	arpg_progress_finish(&r.prog);

	if (write_manifest(&r) < 0)
		status = 1;
	else if (sheet && !stop) {
		struct sheet_options so;
		long unreadable = 0;

		sheet_options_default(&so);
		if ((rc = sheet_write(sheet, r.outdir, &so, &unreadable, err, sizeof err)) < 0) {
			arpg_report(sheet, rc, err);
			status = 1;
		} else if (unreadable) {
			arpg_warn("%s: %ld frames could not be read (grey boxes)", sheet, unreadable);
		}
	}
	if (stop && !r.stdout_closed)
		arpg_error("interrupted: a rerun redoes the clips not finished");
	arpg_note("%ld clips done, %ld skipped (already complete), %ld failed, %ld frames, "
		  "%ld without a face, %.1f s", r.done, r.skipped, r.failed, r.frames, r.noface,
		  arpg_now() - t0);
	{
		double tt = r.t_decode + r.t_scale + r.t_face + r.t_png;

		if (tt > 0)
			arpg_info("time over all workers: decoding %.1f%%, crop and scale %.1f%%, "
				  "faces %.1f%%, PNG %.1f%% of %.2f s", 100 * r.t_decode / tt,
				  100 * r.t_scale / tt, 100 * r.t_face / tt, 100 * r.t_png / tt, tt);
	}
	if (problems || input_errors)
		arpg_note("%ld files and %ld inputs could not be used (see above)", problems,
			  input_errors);
	if (r.failed || problems || input_errors || stop)
		status = 1;
	if (!r.stdout_closed && fclose(stdout) && errno != EPIPE) {
		arpg_report("standard output", ARPG_EIO, strerror(errno));
		status = 1;
	}
	for (i = 0; i < r.nrows; i++)
		free_row(&r.rows[i]);
	free(r.rows);
	free(r.queue);
	free(threads);
	free(r.outabs);
	dataset_free(r.ds);
	arpg_face_models_free(fm);
	return status;
}
