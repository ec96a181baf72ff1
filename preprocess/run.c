/* run.c - one run of arpg-preprocess (see run.h). */
#include "run.h"
#include "abaw.h"
#include "cli.h"
#include "error.h"
#include "fileio.h"
#include "grow.h"
#include "lock.h"
#include "log.h"
#include "manifest.h"
#include "origin.h"
#include "origin_tsv.h"
#include "progress.h"
#include "sheet.h"
#include "workq.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A manifest row and the order its clip was found in. */
struct row {
	long seq;
	struct arpg_manifest_row r;
};

struct run {
	const struct run_opts *o;
	const char *outdir;
	char *outabs;			/* outdir's absolute path, for the manifest */
	struct arpg_lock *out_lock;	/* one writer at a time on outdir */
	struct clip_options co;
	struct arpg_workq *q;
	struct arpg_progress prog;
	char settings[2200];		/* what shapes the crops (origin.tsv) */
	struct arpg_manifest_row *old;	/* OUT/manifest.tsv of former runs */
	size_t nold, capold;

	pthread_mutex_t lock;		/* guards all below */
	struct row *rows;
	size_t nrows, caprows;
	long found, done, skipped, failed, frames, noface, lost;
	long redone, refused, unchecked;	/* complete folders by origin.tsv */
	double t_decode, t_scale, t_face, t_png;	/* summed over workers */
	int stdout_closed;
};

/* The strings of a row made here (add_row), each its own copy. */
static void free_row(struct row *w)
{
	free(w->r.clip_id);
	free(w->r.split);
	free(w->r.label);
	free(w->r.subject);
	free(w->r.path);
}

static char *dup_text(const char *s, int *rc)
{
	char *d = strdup(s ? s : "");

	if (!d)
		*rc = ARPG_ENOMEM;
	return d;
}

/* Records a finished clip (done or skipped) and prints its manifest row.
 * Called with r->lock held.  0 or ARPG_ENOMEM. */
static int add_row(struct run *r, const struct clip *c, const struct clip_result *res)
{
	struct row *w;
	char path[4300];
	int rc = 0;

	if (ARPG_GROW(r->rows, &r->caprows, r->nrows + 1) < 0)
		return ARPG_ENOMEM;
	w = &r->rows[r->nrows];
	memset(w, 0, sizeof *w);
	snprintf(path, sizeof path, "%s/%s", r->outabs, c->id);
	w->seq = c->seq;
	w->r.clip_id = dup_text(c->id, &rc);
	w->r.split = dup_text(c->split, &rc);
	w->r.label = dup_text(c->label, &rc);
	w->r.subject = dup_text(c->subject, &rc);
	w->r.path = dup_text(path, &rc);
	w->r.frames = res->frames;
	w->r.faces = res->faces;
	if (rc < 0) {
		free_row(w);
		return rc;
	}
	r->nrows++;
	r->frames += res->frames;
	r->noface += res->faces == 0;
	r->lost += res->faces ? res->frames - res->faces : 0;
	if (!r->stdout_closed && arpg_manifest_write_row(stdout, &w->r) < 0) {
		/* a closed reader ends the run quietly */
		r->stdout_closed = 1;
		*r->o->stop = 1;
	}
	return 0;
}

/* A row that cannot be kept would make the manifest lie: the run stops. */
static void row_lost(struct run *r, const struct clip *c)
{
	arpg_report(c->source, ARPG_ENOMEM, "cannot record the clip: the run stops");
	r->failed++;
	*r->o->stop = 1;
	arpg_workq_cancel(r->q);
}

/* A complete folder for c's id: is it c, made as this run would make it?
 * 1 (yes, or made by an older arpg: kept), 0 (redo it), -1 (refused). */
static int same_clip(struct run *r, const struct clip *c)
{
	char dir[4300], old[4200], why[13200];

	snprintf(dir, sizeof dir, "%s/%s", r->outdir, c->id);
	switch (origin_check(dir, c, r->settings, old, sizeof old)) {
	case ORIGIN_SAME:
		return 1;
	case ORIGIN_NONE:
		r->unchecked++;
		return 1;
	case ORIGIN_CHANGED:
		r->redone++;
		if (!strcmp(old, c->entry))
			arpg_warn("%s: changed (or the options did) since %s was made from it: "
				  "redone", c->source, dir);
		else
			arpg_warn("%s: gives clip id %s, made before from %s: redone from this file",
				  c->source, c->id, old);
		return 0;
	case ORIGIN_FOREIGN:
		break;
	}
	r->refused++;
	snprintf(why, sizeof why, "gives clip id %s, which %s holds, made from %s of another "
		 "input: not made; use another -o, or remove %s to replace it", c->id, dir, old,
		 dir);
	arpg_report(c->source, ARPG_EEXIST, why);
	return -1;
}

/* dataset sink: is the clip already complete? */
static int want(void *ctx, const struct clip *c)
{
	struct run *r = ctx;
	struct clip_result res;
	char path[4300];
	int rc, same = 1;

	pthread_mutex_lock(&r->lock);
	r->found++;
	arpg_progress_set_total(&r->prog, r->found);
	rc = clip_done(r->outdir, c->id, &res);
	if (rc == 1 && (same = same_clip(r, c)) < 0) {
		r->failed++;
		arpg_progress_add(&r->prog, 1);
		rc = 2;	/* refused: not wanted */
	} else if (rc == 1 && !same) {
		rc = 0;	/* redone: wanted */
	} else if (rc == 1) {
		/* a former run's leftover beside a complete clip */
		snprintf(path, sizeof path, "%s/%s.tmp", r->outdir, c->id);
		remove_tree(path);
		r->skipped++;
		if (add_row(r, c, &res) < 0)
			row_lost(r, c);
		arpg_progress_add(&r->prog, 1);
	} else if (rc < 0) {
		snprintf(path, sizeof path, "%s/%s", r->outdir, c->id);
		arpg_report(path, rc, "no readable frames.tsv: remove the folder to redo the clip");
		r->failed++;
		arpg_progress_add(&r->prog, 1);
	}
	pthread_mutex_unlock(&r->lock);
	return rc == 0;
}

static void free_clip(void *ctx, void *item)
{
	(void)ctx;
	clip_free(item);
	free(item);
}

/* A clip a stop left in the queue counts as failed: a rerun does it. */
static void drop_clip(void *ctx, void *item)
{
	struct run *r = ctx;

	r->failed++;	/* the workers have ended: no lock needed */
	free_clip(ctx, item);
}

/* dataset sink: a wanted clip goes to the workers. */
static int take(void *ctx, struct clip *c)
{
	struct run *r = ctx;
	struct clip *copy = malloc(sizeof *copy);
	int rc;

	if (!copy) {
		clip_free(c);
		return ARPG_ENOMEM;
	}
	*copy = *c;
	if (*r->o->stop)
		arpg_workq_cancel(r->q);
	if ((rc = arpg_workq_push(r->q, copy)) < 0)
		free_clip(r, copy);
	return rc;
}

static void problem(void *ctx, const char *object, int code, const char *detail)
{
	(void)ctx;
	arpg_report(object, code, detail);
}

static void note(void *ctx, const char *object, const char *detail)
{
	(void)ctx;
	arpg_warn("%s: %s", object, detail);
}

/* A worker's job: one clip to its folder, its row to the manifest. */
static void work(void *ctx, void *item)
{
	struct run *r = ctx;
	struct clip *c = item;
	struct clip_result res;
	char err[1024];
	int rc;

	rc = *r->o->stop ? ARPG_EINTR : clip_process(c, r->outdir, &r->co, &res, err, sizeof err);
	pthread_mutex_lock(&r->lock);
	if (rc < 0) {
		r->failed++;
		if (rc != ARPG_EINTR)
			arpg_report(c->source, rc, err);
		/* a full disk fails every clip after this one: stop once */
		if (rc == ARPG_EFULL && !*r->o->stop) {
			arpg_error("%s: no space left: the run stops; free some space and "
				   "rerun: the finished clips are kept", r->outdir);
			*r->o->stop = 1;
		}
	} else {
		if (c->frame_labels && c->nlabels != res.frames)
			/* a known property of the release: said, and the rule applied */
			arpg_warn("%s: %s has %ld labels for %ld frames: %s", c->source,
				  c->annotation, c->nlabels, res.frames, c->nlabels > res.frames ?
				  "the labels past the last frame are left out" :
				  "the frames past the last label have none (-1)");
		r->done++;
		r->t_decode += res.t_decode;
		r->t_scale += res.t_scale;
		r->t_face += res.t_face;
		r->t_png += res.t_png;
		if (add_row(r, c, &res) < 0)
			row_lost(r, c);
	}
	arpg_progress_add(&r->prog, 1);
	pthread_mutex_unlock(&r->lock);
	free_clip(r, c);
}

static int by_seq(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int by_id(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	return strcmp(x->r.clip_id, y->r.clip_id);
}

/* Is a former run's row still a clip of OUT that this run did not list? */
static int old_row_kept(struct run *r, const struct row *byid, const struct arpg_manifest_row *o)
{
	struct row key;
	char dir[4300];
	struct stat st;

	key.r.clip_id = o->clip_id;
	if (r->nrows && bsearch(&key, byid, r->nrows, sizeof *byid, by_id))
		return 0;
	snprintf(dir, sizeof dir, "%s/%s", r->outdir, o->clip_id);
	return stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

/* OUT/manifest.tsv: the rows of former runs (Train, then Val) whose
 * folders are still there and that this run did not list, in their order,
 * then this run's rows in the order the clips were found. */
static int write_manifest(struct run *r)
{
	char path[4300], tmp[4300];
	struct row *byid = NULL;
	FILE *f;
	size_t i;
	int rc = 0, e;

	if (r->nrows)	/* rows is NULL when no clip was found */
		qsort(r->rows, r->nrows, sizeof *r->rows, by_seq);
	if (r->nold && r->nrows) {
		if (!(byid = malloc(r->nrows * sizeof *byid)))
			return arpg_report(r->outdir, ARPG_ENOMEM, "cannot merge the manifest");
		memcpy(byid, r->rows, r->nrows * sizeof *byid);
		qsort(byid, r->nrows, sizeof *byid, by_id);
	}
	snprintf(path, sizeof path, "%s/manifest.tsv", r->outdir);
	snprintf(tmp, sizeof tmp, "%s/manifest.tsv.tmp", r->outdir);
	if (!(f = fopen(tmp, "w"))) {
		free(byid);
		return arpg_report(tmp, errno == ENOSPC ? ARPG_EFULL : ARPG_EIO, strerror(errno));
	}
	rc = arpg_manifest_write_header(f);
	for (i = 0; i < r->nold && rc == 0; i++)
		if (old_row_kept(r, byid, &r->old[i]))
			rc = arpg_manifest_write_row(f, &r->old[i]);
	for (i = 0; i < r->nrows && rc == 0; i++)
		rc = arpg_manifest_write_row(f, &r->rows[i].r);
	e = errno;
	if (fclose(f) && rc == 0)
		rc = ARPG_EIO, e = errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = ARPG_EIO, e = errno;
	if (rc < 0) {
		/* a full disk says so, and what to do */
		if (e == ENOSPC || e == EDQUOT)
			arpg_report(path, ARPG_EFULL, "free some space, then rerun: the "
				    "finished clips are kept");
		else
			arpg_report(path, rc, strerror(e));
		unlink(tmp);
	}
	free(byid);
	return rc;
}

/* A model file as the settings record it: absolute, so that arpg-predict
 * (which reruns preprocess with a model's recorded settings) finds it from
 * any folder.  The file was opened already; where it cannot be resolved
 * now, the name as given. */
static const char *recorded_file(const char *path, char *buf)
{
	return path && realpath(path, buf) ? buf : path;
}

/* The options that shape the crops, as origin.tsv records them. */
static void settings_of(const struct run_opts *o, char *buf, size_t n)
{
	const struct arpg_face_options *f = &o->face;
	char model[PATH_MAX], marks[PATH_MAX];
	const char *landmarks = recorded_file(f->landmarks, marks);

	snprintf(buf, n, "size=%d fps=%g max-frames=%ld align=%d", o->size, o->decode.fps,
		 o->decode.max_frames, o->align);
	if (o->align && f->detector)	/* the cascade's settings do not apply */
		snprintf(buf + strlen(buf), n - strlen(buf), " detector=%s det-size=%d "
			 "det-score=%g landmarks=%s smooth=%d", recorded_file(f->detector, model),
			 f->det.det_size, f->det.score, f->no_landmarks ? "none" : landmarks ?
			 landmarks : "default", f->smooth);
	else if (o->align)
		snprintf(buf + strlen(buf), n - strlen(buf), " cascade=%s landmarks=%s "
			 "equalize=%d scale-factor=%g min-neighbors=%d min-size=%d smooth=%d",
			 f->cascade ? recorded_file(f->cascade, model) : "default",
			 landmarks ? landmarks : "default", f->equalize, f->detect.scale_factor,
			 f->detect.min_neighbors, f->detect.min_size, f->smooth);
}

/* A former run's OUT/manifest.tsv, read before anything is written: a file
 * that is not a manifest is not ours to replace, and clips made with other
 * settings are not mixed with this run's.  0, or 1 (reported: refused). */
static int read_old_manifest(struct run *r)
{
	struct arpg_manifest_reader rd;
	struct arpg_manifest_row row = { 0 };
	char path[4300], dir[4300], set[2200];
	FILE *f;
	int rc, checked = 0, bad = 0;

	snprintf(path, sizeof path, "%s/manifest.tsv", r->outdir);
	if (!(f = fopen(path, "r")))
		return errno == ENOENT ? 0 : arpg_report(path, ARPG_EIO, strerror(errno)) < 0;
	arpg_manifest_reader_init(&rd, f, path);
	while ((rc = arpg_manifest_next(&rd, &row)) == 1) {
		if (ARPG_GROW(r->old, &r->capold, r->nold + 1) < 0) {
			rc = ARPG_ENOMEM;
			break;
		}
		r->old[r->nold++] = row;
		memset(&row, 0, sizeof row);
		snprintf(dir, sizeof dir, "%s/%s", r->outdir, r->old[r->nold - 1].clip_id);
		if (!checked && arpg_origin_settings(dir, set, sizeof set) == 0) {
			checked = 1;
			if (strcmp(set, r->settings)) {
				arpg_error("%s: its clips were made with other settings (%s; this "
					   "run: %s): use another -o, or the same options",
					   r->outdir, set, r->settings);
				bad = 1;
				break;
			}
		}
	}
	if (rc < 0 && !bad) {
		if (rc == ARPG_EFORMAT)
			arpg_error("%s: %s: not a manifest arpg-preprocess wrote, or damaged: it is "
				   "not replaced; move it away or use another -o", path, rd.err);
		else
			arpg_report(path, rc, strerror(errno));
		bad = 1;
	}
	arpg_manifest_row_free(&row);
	arpg_manifest_reader_free(&rd);
	fclose(f);
	return bad;
}

/* An annotation file that cannot be used (affwild2): reported, counted. */
static void bad_annotation(void *ctx, const char *file, const char *detail)
{
	long *problems = ctx;

	(*problems)++;
	arpg_report(file, ARPG_EFORMAT, detail);
}

/* The annotated people no input had a video for: reported, counted. */
static void unmatched_annotations(const struct abaw_index *ix, long *problems)
{
	char detail[1400];

	for (size_t i = 0; i < ix->n; i++)
		if (!ix->p[i].matched) {
			(*problems)++;
			snprintf(detail, sizeof detail, "no video %s.* in the inputs: this "
				 "person's clip is not made; give the folder or archive that "
				 "holds it", ix->p[i].video);
			arpg_report(ix->p[i].path, ARPG_ENOENT, detail);
		}
}

/* Enumerates every input into the queue; returns the inputs that failed. */
static long scan_inputs(struct run *r, struct dataset *ds, long *problems)
{
	struct dataset_sink sink = { r, want, take, problem, note };
	char err[1024];
	long bad = 0;
	int i, rc;

	for (i = 0; i < r->o->ninputs && !*r->o->stop; i++) {
		rc = dataset_scan(ds, r->o->inputs[i], &sink, problems, err, sizeof err);
		if (rc < 0 && rc != ARPG_EINTR) {
			arpg_report(r->o->inputs[i], rc, err);
			bad++;
		}
	}
	return bad;
}

static int write_sheet(const struct run *r)
{
	struct sheet_options so;
	long unreadable = 0;
	char err[1024];
	int rc;

	sheet_options_default(&so);
	if ((rc = sheet_write(r->o->sheet, r->outdir, &so, &unreadable, err, sizeof err)) < 0) {
		arpg_report(r->o->sheet, rc, err);
		return rc;
	}
	if (unreadable)
		arpg_warn("%s: %ld frames could not be read (grey boxes)", r->o->sheet, unreadable);
	return 0;
}

static void summary(const struct run *r, long problems, long input_errors, double t0)
{
	double tt = r->t_decode + r->t_scale + r->t_face + r->t_png;

	if (*r->o->stop && !r->stdout_closed)
		arpg_error("interrupted: a rerun redoes the clips not finished");
	arpg_note("%ld clips done, %ld skipped (already complete), %ld failed, %ld frames, "
		  "%ld without a face, %.1f s", r->done, r->skipped, r->failed, r->frames,
		  r->noface, arpg_now() - t0);
	if (r->lost)
		arpg_note("%ld frames of clips with a face lost it (a neighbour's transform, "
			  "detected 0 in frames.tsv)", r->lost);
	if (tt > 0)
		arpg_info("time over all workers: decoding %.1f%%, crop and scale %.1f%%, "
			  "faces %.1f%%, PNG %.1f%% of %.2f s", 100 * r->t_decode / tt,
			  100 * r->t_scale / tt, 100 * r->t_face / tt, 100 * r->t_png / tt, tt);
	if (r->redone || r->refused)
		arpg_note("%ld complete clips redone (their files changed, or another file "
			  "now has their id), %ld refused (see above)", r->redone, r->refused);
	if (r->unchecked)
		arpg_warn("%ld complete clips made by an older arpg-preprocess were kept "
			  "unchecked (no origin.tsv): remove their folders to redo them",
			  r->unchecked);
	if (problems || input_errors)
		arpg_note("%ld files and %ld inputs could not be used (see above)", problems,
			  input_errors);
}

/* The face models (unless --no-align) and the output folder. */
static int prepare(struct run *r, struct arpg_face_models **fm)
{
	const struct run_opts *o = r->o;
	char err[1024];
	struct stat st;
	int rc;

	if (o->align) {
		if ((rc = arpg_face_models_load(fm, &o->face, err, sizeof err)) < 0)
			return arpg_report("face models", rc, err);
		if (arpg_face_models_detector(*fm))
			arpg_info("detector %s: %s, %d engine thread%s per worker", o->face.detector,
				  arpg_face_models_detector(*fm), o->face.det.threads,
				  o->face.det.threads == 1 ? "" : "s");
	}
	r->co.fm = *fm;
	/* once, before any clip: not one error per clip */
	if (stat(r->outdir, &st) == 0 && !S_ISDIR(st.st_mode))
		return arpg_report(r->outdir, ARPG_EEXIST, "not a folder: -o names the folder "
				   "to write the crops into; choose another name");
	if (lstat(r->outdir, &st) == 0 && S_ISLNK(st.st_mode) && stat(r->outdir, &st) < 0)
		return arpg_report(r->outdir, ARPG_ENOENT, "a symbolic link to a folder that does "
				   "not exist: create its target, or choose another -o");
	if (arpg_mkdir_p(r->outdir) < 0 || !(r->outabs = realpath(r->outdir, NULL))) {
		int e = errno;

		snprintf(err, sizeof err, "cannot create the folder: %s", strerror(e));
		return arpg_report(r->outdir, e == ENOSPC ? ARPG_EFULL : ARPG_EIO, err);
	}
	/* a second arpg-preprocess on this -o is refused, naming the holder */
	if ((rc = arpg_lock_take(&r->out_lock, r->outdir, 1, "arpg-preprocess",
				 ARPG_LOCK_REFUSE, err, sizeof err)) < 0)
		return arpg_report(r->outdir, rc, err);
	settings_of(o, r->settings, sizeof r->settings);
	r->co.settings = r->settings;
	if (read_old_manifest(r))
		return ARPG_EEXIST;
	return 0;
}

int preprocess_run(const struct run_opts *o)
{
	struct run r;
	struct arpg_face_models *fm = NULL;
	struct dataset *ds = NULL;
	struct abaw_index ix = { 0 };
	long problems = 0, input_errors = 0;
	double t0 = arpg_now();
	int status = 1, rc;
	size_t i;

	memset(&r, 0, sizeof r);
	r.o = o;
	r.outdir = o->outdir;
	r.co.size = o->size;
	r.co.decode = o->decode;
	r.co.frame_memory = o->frame_memory;
	r.co.stop = o->stop;
	pthread_mutex_init(&r.lock, NULL);
	if (prepare(&r, &fm) < 0)
		goto out;
	if (o->annotations) {
		char err[1024];

		if ((rc = abaw_index_read(&ix, o->annotations, bad_annotation, &problems, err,
					  sizeof err)) < 0) {
			arpg_report(o->annotations, rc, err);
			goto out;
		}
		arpg_info("%s: %d annotated people", o->annotations, rc);
	}
	if (dataset_new(&ds, o->layout) < 0 || dataset_set_output(ds, r.outdir) < 0 ||
	    (rc = arpg_workq_start(&r.q, o->jobs, 2 * o->jobs, work, &r)) < 0) {
		arpg_report("arpg-preprocess", ARPG_ENOMEM, "cannot start the workers");
		goto out;
	}
	dataset_set_annotations(ds, &ix);
	if (arpg_manifest_write_header(stdout) < 0)
		r.stdout_closed = 1;
	arpg_progress_start(&r.prog, "clips", 0);
	input_errors = scan_inputs(&r, ds, &problems);
	if (o->annotations && !*o->stop)
		unmatched_annotations(&ix, &problems);
	arpg_workq_finish(r.q, drop_clip);
	arpg_progress_finish(&r.prog);

	status = 0;
	if (write_manifest(&r) < 0 || (o->sheet && !*o->stop && write_sheet(&r) < 0))
		status = 1;
	summary(&r, problems, input_errors, t0);
	if (r.failed || problems || input_errors || *o->stop)
		status = 1;
	if (!r.stdout_closed)
		status = arpg_cli_close_stdout(status);
out:
	for (i = 0; i < r.nrows; i++)
		free_row(&r.rows[i]);
	free(r.rows);
	for (i = 0; i < r.nold; i++)
		arpg_manifest_row_free(&r.old[i]);
	free(r.old);
	free(r.outabs);
	arpg_lock_release(r.out_lock);
	dataset_free(ds);
	abaw_index_free(&ix);
	arpg_face_models_free(fm);
	pthread_mutex_destroy(&r.lock);
	return status;
}
