/* run.c - manifest in, cache out, with worker threads (see run.h). */
#include "run.h"
#include "cache.h"
#include "error.h"
#include "extract.h"
#include "lock.h"
#include "log.h"
#include "manifest.h"
#include "meta.h"
#include "origin_tsv.h"
#include "progress.h"
#include "sample.h"
#include "workq.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct job {
	struct arpg_manifest_row row;
};

/* The clip ids of this run's manifest and the line of each, so that a
 * second line with an id already seen is refused: two clips under one key
 * would leave one of them, and the count would lie.  Open addressing. */
struct id_set {
	char **ids;
	long *lines;
	size_t cap, n;
};

/* The line of id if seen before (>0), else records it and returns 0;
 * ARPG_ENOMEM. */
static long id_seen(struct id_set *s, const char *id, long line)
{
	size_t i;

	if (2 * (s->n + 1) > s->cap) {
		struct id_set t = { NULL, NULL, s->cap ? 2 * s->cap : 256, 0 };

		if (!(t.ids = calloc(t.cap, sizeof *t.ids)) ||
		    !(t.lines = calloc(t.cap, sizeof *t.lines))) {
			free(t.ids);
			return ARPG_ENOMEM;
		}
		for (i = 0; i < s->cap; i++) {
			size_t j;

			if (!s->ids[i])
				continue;
			for (j = fnv1a64(s->ids[i]) % t.cap; t.ids[j]; j = (j + 1) % t.cap)
				;
			t.ids[j] = s->ids[i];
			t.lines[j] = s->lines[i];
		}
		t.n = s->n;
		free(s->ids);
		free(s->lines);
		*s = t;
	}
	for (i = fnv1a64(id) % s->cap; s->ids[i]; i = (i + 1) % s->cap)
		if (!strcmp(s->ids[i], id))
			return s->lines[i];
	if (!(s->ids[i] = strdup(id)))
		return ARPG_ENOMEM;
	s->lines[i] = line;
	s->n++;
	return 0;
}

static void id_set_free(struct id_set *s)
{
	size_t i;

	for (i = 0; i < s->cap; i++)
		free(s->ids[i]);
	free(s->ids);
	free(s->lines);
}

struct ctx {
	const struct run_opts *o;
	struct run_stats *st;
	struct backbone *b;
	struct extract_opts xo;

	struct arpg_workq *q;
	pthread_mutex_t lock;		/* stats, fatal */

	pthread_mutex_t cache_lock;	/* every call on c: one writer */
	struct arpg_cache *c;
	struct arpg_lock *writer;	/* the cache's lock, held from open to close */

	int fatal;			/* a failure of the whole run */
	char fatal_err[512];
	int warned_tsv;
	/* meta preprocess: 0 not set yet, 1 set to first, 2 set to "mixed" */
	int preprocess;
	char first[2200];		/* the first clip's settings (escaped) */
	struct arpg_progress prog;
	char *frame_classes;		/* meta frame_labels (cache_lock), or NULL */
};

static void free_job(struct job *j)
{
	arpg_manifest_row_free(&j->row);
	free(j);
}

static int stopping(struct ctx *x)
{
	return x->fatal || (x->o->stop && *x->o->stop);
}

/* Stops the run: rc with why as its detail. */
static void set_fatal(struct ctx *x, int rc, const char *why)
{
	pthread_mutex_lock(&x->lock);
	if (!x->fatal) {
		x->fatal = rc;
		snprintf(x->fatal_err, sizeof x->fatal_err, "%s", why);
	}
	pthread_mutex_unlock(&x->lock);
	arpg_workq_cancel(x->q);
}

/* A clip labelled frame by frame: its classes must be the cache's (meta
 * frame_labels, set by the first such clip).  Called under cache_lock.
 * 0, ARPG_EMISMATCH with err (the clip's failure), or an LMDB failure. */
static int check_frame_classes(struct ctx *x, const struct extract *ex, char *err, size_t errn)
{
	int rc;

	if (!ex->info.frame_labels)
		return 0;
	if (!x->frame_classes &&
	    (rc = arpg_cache_meta_get(x->c, "frame_labels", &x->frame_classes)) < 0 &&
	    rc != ARPG_ENOENT)
		return arpg_errf(err, errn, rc, "%s", arpg_cache_lmdb_error(x->c));
	if (!x->frame_classes) {
		if (!(x->frame_classes = strdup(ex->label_classes)))
			return ARPG_ENOMEM;
		if ((rc = arpg_cache_meta_set(x->c, "frame_labels", x->frame_classes)) < 0)
			return arpg_errf(err, errn, rc, "%s", arpg_cache_lmdb_error(x->c));
	}
	if (strcmp(x->frame_classes, ex->label_classes))
		return arpg_errf(err, errn, ARPG_EMISMATCH, "its frames are labelled with the "
				 "classes %s, the cache's with %s: put clips of other label sets "
				 "into another cache", ex->label_classes, x->frame_classes);
	return 0;
}

/* A clip that failed: reported and counted; the run goes on. */
static void clip_failed(struct ctx *x, const struct job *j, int rc, const char *err)
{
	char obj[300];

	snprintf(obj, sizeof obj, "clip %.280s", j->row.clip_id);
	arpg_report(obj, rc, err);
	pthread_mutex_lock(&x->lock);
	x->st->failed++;
	pthread_mutex_unlock(&x->lock);
	arpg_progress_add(&x->prog, 1);
}

/* Extracts and writes one clip; a clip's failure is reported here. */
static void do_clip(struct ctx *x, struct job *j)
{
	struct extract ex;
	char err[512];
	int rc, warn = 0;

	memset(&ex, 0, sizeof ex);
	rc = extract_clip(&ex, &j->row, x->b, &x->xo, err, sizeof err);
	if (rc == 0 && ex.no_frames_tsv) {
		pthread_mutex_lock(&x->lock);
		warn = !x->warned_tsv;
		x->warned_tsv = 1;
		pthread_mutex_unlock(&x->lock);
		if (warn)
			arpg_warn("%s: no frames.tsv; face flags taken from the manifest's faces "
				  "count (said once)", j->row.path);
	}
	pthread_mutex_lock(&x->lock);
	x->st->t_decode += ex.t_decode;
	x->st->t_backbone += ex.t_backbone;
	x->st->t_pool += ex.t_pool;
	x->st->t_encode += ex.t_encode;
	pthread_mutex_unlock(&x->lock);
	if (rc == 0 && !stopping(x)) {
		double t0 = arpg_now();

		pthread_mutex_lock(&x->cache_lock);
		if ((rc = check_frame_classes(x, &ex, err, sizeof err)) == ARPG_EMISMATCH) {
			pthread_mutex_unlock(&x->cache_lock);
			clip_failed(x, j, rc, err);
			extract_free(&ex);
			return;
		}
		if (rc == 0 && (rc = arpg_cache_put_clip_maps(x->c, j->row.clip_id, &ex.info,
							      ex.app, ex.app_len, ex.patch,
							      ex.patch_len, ex.maps,
							      ex.maps_len)) < 0)
			snprintf(err, sizeof err, "%s", arpg_cache_lmdb_error(x->c));
		pthread_mutex_unlock(&x->cache_lock);
		if (rc < 0) {
			/* the cache itself failed: no later clip can go in */
			set_fatal(x, rc, err);
			extract_free(&ex);
			return;
		}
		pthread_mutex_lock(&x->lock);
		x->st->t_write += arpg_now() - t0;
		x->st->done++;
		pthread_mutex_unlock(&x->lock);
		arpg_progress_add(&x->prog, 1);
	} else if (rc < 0) {
		clip_failed(x, j, rc, err);
	}
	extract_free(&ex);
}

/* A worker's job: one clip, unless the run is stopping. */
static void work(void *ctx, void *item)
{
	struct ctx *x = ctx;
	struct job *j = item;

	if (!stopping(x))
		do_clip(x, j);
	free_job(j);
}

static void drop_job(void *ctx, void *item)
{
	(void)ctx;
	free_job(item);
}

/* Empties the cache (--force): removes its LMDB files and opens it anew. */
static int empty_cache(struct ctx *x, char *err, size_t errn)
{
	const struct run_opts *o = x->o;
	char why[512], path[4096];
	int rc;

	arpg_cache_close(x->c);
	x->c = NULL;
	snprintf(path, sizeof path, "%s/data.mdb", o->cache);
	if (unlink(path) && errno != ENOENT)
		return arpg_errf(err, errn, ARPG_EIO, "%s: %s", path, strerror(errno));
	snprintf(path, sizeof path, "%s/lock.mdb", o->cache);
	if (unlink(path) && errno != ENOENT)
		return arpg_errf(err, errn, ARPG_EIO, "%s: %s", path, strerror(errno));
	if ((rc = arpg_cache_open(&x->c, o->cache, ARPG_CACHE_WRITE, why, sizeof why)) < 0)
		return arpg_errf(err, errn, rc, "%s", why);
	if (o->map_limit)
		arpg_cache_set_map_limit(x->c, o->map_limit);
	return 0;
}

/* Opens the cache and settles its meta: a new cache gets ours; one of other
 * meta, or a damaged one, is refused, or emptied with force. */
static int open_cache(struct ctx *x, const struct arpg_kv *m, char **labels,
		      char *err, size_t errn)
{
	const struct run_opts *o = x->o;
	char why[512];
	int rc;

	/* before anything is read or emptied, and held until the cache is
	 * closed: a second writer (with --force or not) is refused */
	if ((rc = arpg_lock_take(&x->writer, o->cache, 1, "arpg-features", ARPG_LOCK_REFUSE,
				 why, sizeof why)) < 0)
		return arpg_errf(err, errn, rc, "%s", why);
	rc = arpg_cache_open(&x->c, o->cache, ARPG_CACHE_WRITE, why, sizeof why);
	if (rc == ARPG_EDAMAGED && o->force) {
		arpg_warn("%s: %s: %s; --force: emptying it", o->cache, arpg_strerror(rc), why);
		if ((rc = empty_cache(x, err, errn)) < 0)
			return rc;
	} else if (rc < 0) {
		return arpg_errf(err, errn, rc, "%s", why);
	}
	if (o->map_limit)
		arpg_cache_set_map_limit(x->c, o->map_limit);
	rc = meta_check(x->c, m, why, sizeof why);
	if (rc == ARPG_EMISMATCH && o->force) {
		arpg_warn("%s: made with other settings (%s); --force: emptying it", o->cache, why);
		if ((rc = empty_cache(x, err, errn)) < 0)
			return rc;
		rc = ARPG_ENOENT;
	}
	if (rc == ARPG_EMISMATCH)
		return arpg_errf(err, errn, rc, "made with other settings: %s; use another "
				 "cache directory, or --force to empty it", why);
	if (rc < 0 && rc != ARPG_ENOENT)
		return arpg_errf(err, errn, rc, "%s", arpg_cache_lmdb_error(x->c));
	if (rc == 0 && arpg_cache_meta_get(x->c, "labels", labels) < 0)
		*labels = NULL;
	if ((rc = arpg_cache_meta_put(x->c, m)) < 0)
		return arpg_errf(err, errn, rc, "%s", arpg_cache_lmdb_error(x->c));
	return 0;
}

/* Adds a row's label to the cache's label set (of every row, sharded or
 * not, so that shards agree). */
static int add_label(struct ctx *x, char **labels, const char *label, char *err, size_t errn)
{
	int rc = 0;

	if (label[0] && labels_add(labels, label) == 1) {
		pthread_mutex_lock(&x->cache_lock);
		rc = arpg_cache_meta_set(x->c, "labels", *labels);
		pthread_mutex_unlock(&x->cache_lock);
		if (rc < 0)
			arpg_errf(err, errn, rc, "%s", arpg_cache_lmdb_error(x->c));
	}
	return rc;
}

/* The settings of the row's clip (its origin.tsv, written by
 * arpg-preprocess) into the cache's meta key preprocess: the first clip's,
 * or "mixed" once a clip made with other settings comes, in this run or in
 * the cache's earlier ones.  A clip without origin.tsv (made by an older
 * arpg-preprocess) leaves the key as it is. */
static int note_preprocess(struct ctx *x, const struct arpg_manifest_row *row, char *err,
			   size_t errn)
{
	char set[sizeof x->first], *have = NULL;
	int want, rc = 0;

	if (x->preprocess == 2 || arpg_origin_settings(row->path, set, sizeof set) < 0)
		return 0;
	if (x->preprocess == 1 && !strcmp(set, x->first))
		return 0;
	want = x->preprocess ? 2 : 1;
	pthread_mutex_lock(&x->cache_lock);
	rc = arpg_cache_meta_get(x->c, "preprocess", &have);
	if (rc == 0 && strcmp(have, set))
		want = 2;
	if (rc == ARPG_ENOENT || (rc == 0 && want == 2))
		rc = arpg_cache_meta_set(x->c, "preprocess", want == 2 ? "mixed" : set);
	pthread_mutex_unlock(&x->cache_lock);
	if (rc < 0) {
		free(have);
		return arpg_errf(err, errn, rc, "%s", arpg_cache_lmdb_error(x->c));
	}
	if (want == 2)
		arpg_warn("%s: made with other preprocess settings (%s) than %s (%s): the cache's "
			  "meta preprocess is \"mixed\"", row->clip_id, set,
			  x->preprocess ? "the clips before it" : "the cache's",
			  x->preprocess ? x->first : have);
	free(have);
	snprintf(x->first, sizeof x->first, "%s", set);
	x->preprocess = want;
	return 0;
}

/* 1 if the row's clip is for the workers, 0 if another shard's or already
 * in the cache, or a negative code. */
static int wanted(struct ctx *x, const struct arpg_manifest_row *row, char *err, size_t errn)
{
	const struct run_opts *o = x->o;
	int has;

	if (o->shard_n && fnv1a64(row->clip_id) % (unsigned)o->shard_n != (unsigned)o->shard_k) {
		x->st->other_shard++;
		return 0;
	}
	if (o->force)
		return 1;
	pthread_mutex_lock(&x->cache_lock);
	has = arpg_cache_has_clip(x->c, row->clip_id);
	pthread_mutex_unlock(&x->cache_lock);
	if (has < 0)
		return arpg_errf(err, errn, has, "%s", arpg_cache_lmdb_error(x->c));
	x->st->skipped += has;
	return !has;
}

/* Reads the manifest and hands each wanted clip to the workers. */
static int feed(struct ctx *x, struct arpg_manifest_reader *rd, char **labels, char *err,
		size_t errn)
{
	struct run_stats *st = x->st;
	struct arpg_manifest_row row;
	struct id_set ids = { NULL, NULL, 0, 0 };
	char obj[300], why[600];
	struct job *j;
	long first;
	int rc = 0;

	memset(&row, 0, sizeof row);
	while (!rc && !stopping(x)) {
		rc = arpg_manifest_next(rd, &row);
		if (rc == 0)
			break;
		if (rc == ARPG_EFORMAT) {
			arpg_report(rd->name, rc, rd->err);
			st->bad_lines++;
			rc = 0;
			continue;
		}
		if (rc < 0) {
			if (x->o->stop && *x->o->stop)
				rc = 0;
			else
				arpg_errf(err, errn, rc, "%s: %s", rd->name, strerror(errno));
			break;
		}
		if ((first = id_seen(&ids, row.clip_id, rd->line)) < 0) {
			rc = (int)first;
			break;
		}
		if (first) {
			snprintf(obj, sizeof obj, "%.280s", rd->name);
			snprintf(why, sizeof why, "line %ld: clip id '%.300s' is already on line "
				 "%ld; one id is one clip: the first is kept, this one is not "
				 "written (rename one of the two, or run arpg-preprocess again: it "
				 "makes distinct ids)", rd->line, row.clip_id, first);
			arpg_report(obj, ARPG_EFORMAT, why);
			st->bad_lines++;
			continue;
		}
		st->rows++;
		if ((rc = note_preprocess(x, &row, err, errn)) < 0 ||
		    (rc = add_label(x, labels, row.label, err, errn)) < 0 ||
		    (rc = wanted(x, &row, err, errn)) <= 0)
			continue;
		rc = 0;
		if (!(j = calloc(1, sizeof *j))) {
			rc = ARPG_ENOMEM;
			break;
		}
		j->row = row;	/* the job owns the row's strings now */
		memset(&row, 0, sizeof row);
		arpg_progress_set_total(&x->prog, st->rows - st->skipped - st->other_shard);
		if ((rc = arpg_workq_push(x->q, j)) < 0) {
			free_job(j);	/* cancelled: a fatal error says why */
			rc = 0;
			break;
		}
	}
	arpg_manifest_row_free(&row);
	id_set_free(&ids);
	return rc < 0 ? rc : 0;
}

int features_run(const struct run_opts *o, struct backbone *b,
		      struct run_stats *st, char *err, size_t errn)
{
	struct ctx x;
	struct arpg_kv m = ARPG_KV_INIT;
	struct arpg_manifest_reader rd;
	FILE *f = NULL;
	char *labels = NULL;
	int rc = 0;

	memset(&x, 0, sizeof x);
	memset(st, 0, sizeof *st);
	memset(&rd, 0, sizeof rd);
	x.o = o;
	x.st = st;
	x.b = b;
	x.xo.frames = o->frames;
	x.xo.grids = &o->grids;
	x.xo.dtype = o->dtype;
	x.xo.want_c = o->want_c;
	x.xo.flip = o->flip;
	x.xo.maps = o->maps;
	pthread_mutex_init(&x.lock, NULL);
	pthread_mutex_init(&x.cache_lock, NULL);

	if (!strcmp(o->manifest, "-")) {
		f = stdin;
	} else if (!(f = fopen(o->manifest, "r"))) {
		rc = arpg_errf(err, errn, errno == ENOENT ? ARPG_ENOENT : ARPG_EIO, "%s: %s",
			       o->manifest, strerror(errno));
		goto out;
	}
	if ((rc = meta_build(&m, b, &o->grids, o->frames, o->dtype, o->flip, o->maps, o->input)) < 0 ||
	    (rc = open_cache(&x, &m, &labels, err, errn)) < 0)
		goto out;
	if ((rc = arpg_workq_start(&x.q, o->jobs, 2 * o->jobs + 2, work, &x)) < 0) {
		arpg_errf(err, errn, rc, "cannot start the workers");
		goto out;
	}
	arpg_progress_start(&x.prog, "clips", 0);
	arpg_manifest_reader_init(&rd, f, !strcmp(o->manifest, "-") ? "stdin" : o->manifest);
	rc = feed(&x, &rd, &labels, err, errn);
	arpg_workq_finish(x.q, drop_job);
	arpg_progress_finish(&x.prog);
	if (!rc && x.fatal)
		rc = arpg_errf(err, errn, x.fatal, "%s", x.fatal_err);
	if (!rc && o->stop && *o->stop)
		rc = arpg_errf(err, errn, ARPG_EINTR, "%ld clips written; run again to resume",
			       st->done);
	if (!rc && (st->failed || st->bad_lines))
		rc = 1;
out:
	if (rd.f)
		arpg_manifest_reader_free(&rd);
	if (f && f != stdin)
		fclose(f);
	arpg_cache_close(x.c);
	arpg_lock_release(x.writer);
	arpg_kv_free(&m);
	free(labels);
	free(x.frame_classes);
	pthread_mutex_destroy(&x.lock);
	pthread_mutex_destroy(&x.cache_lock);
	return rc;
}
