/* cache.c - the LMDB feature cache. */
#include "cache.h"
#include "fileio.h"
#include "error.h"
#include "mdbcheck.h"
#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

struct arpg_cache {
	MDB_env *env;
	MDB_dbi meta, clips, app, patch;
	int writable;
	size_t map_size, map_limit;
	char lmdb_err[400];
	/* The structure check (mdbcheck.h): a reader checks each snapshot it
	 * reads, a writer once at open (then it writes the file itself). */
	int checked;
	uint64_t checked_txn;
	MDB_dbi sums;		/* per-clip checksums */
	int has_sums;		/* 0: a cache made before them */
	MDB_dbi frame_labels;	/* per-frame labels (Aff-Wild2) */
	int has_frame_labels;	/* 0: no clip has them (yet) */
	MDB_dbi maps;		/* per-frame stride-8 maps (arpg-features --maps) */
	int has_maps;		/* 0: no clip has them (yet) */
	MDB_txn *held;		/* arpg_cache_hold's read transaction, or NULL */
};

enum { INITIAL_MAP = 64 << 20 };

static int lmdb_fail(struct arpg_cache *c, int mrc)
{
	snprintf(c->lmdb_err, sizeof c->lmdb_err, "%s", mdb_strerror(mrc));
	if (mrc == ENOSPC || mrc == MDB_MAP_FULL)
		return ARPG_EFULL;
	if (mrc == ENOMEM)
		return ARPG_ENOMEM;
	if (mrc == EIO)
		return ARPG_EIO;
	return ARPG_ELMDB;
}

const char *arpg_cache_lmdb_error(const struct arpg_cache *c) { return c->lmdb_err; }

void arpg_clip_info_free(struct arpg_clip_info *info)
{
	free(info->storage);
	free(info->src);
	free(info->frame_labels);
	memset(info, 0, sizeof *info);
}

int arpg_clip_info_parse(struct arpg_clip_info *info, const void *buf, size_t len,
			 char *err, size_t errn)
{
	char *s, *f[6], *p, *end, why[160];
	int nf = 0, t;
	long v;

	arpg_clip_info_free(info);
	if (len > (64u << 20))
		return arpg_errf(err, errn, ARPG_EFORMAT, "clips value too long");
	if (!(s = malloc(len + 1)))
		return ARPG_ENOMEM;
	memcpy(s, buf, len);
	s[len] = 0;
	if (strlen(s) != len) {
		free(s);
		return arpg_errf(err, errn, ARPG_EFORMAT, "NUL byte in clips value");
	}
	info->storage = s;
	for (p = s; nf < 6; nf++) {
		f[nf] = p;
		if (!(p = strchr(p, '\t')))
			break;
		*p++ = 0;
	}
	if (nf != 5 || p)
		return arpg_errf(err, errn, ARPG_EFORMAT,
				 "clips value needs 6 tab-separated fields");
	info->label = f[0];
	info->split = f[1];
	info->subject = f[2];
	info->faces = f[5];
	if (arpg_name_check(info->label, ARPG_NAME_LABEL, why, sizeof why) < 0 ||
	    arpg_name_check(info->subject, ARPG_NAME_SUBJECT, why, sizeof why) < 0)
		return arpg_errf(err, errn, ARPG_EFORMAT, "clips value: %s", why);
	errno = 0;
	v = strtol(f[3], &end, 10);
	if (errno || *end || end == f[3] || v < 1 || v > 1000000)
		return arpg_errf(err, errn, ARPG_EFORMAT, "frame count '%s' is not 1 to 1000000", f[3]);
	info->frames = (int)v;
	if ((long)strlen(info->faces) != v || strspn(info->faces, "01") != (size_t)v)
		return arpg_errf(err, errn, ARPG_EFORMAT,
				 "face flags must be %ld characters 0 or 1", v);
	if (!(info->src = malloc(sizeof *info->src * (size_t)v)))
		return ARPG_ENOMEM;
	for (p = f[4], t = 0; t < info->frames; t++) {
		if (*p < '0' || *p > '9')
			return arpg_errf(err, errn, ARPG_EFORMAT, "frame index %d is not a number", t);
		errno = 0;
		v = strtol(p, &end, 10);
		if (errno || v > INT_MAX || *end != (t + 1 < info->frames ? ',' : '\0'))
			return arpg_errf(err, errn, ARPG_EFORMAT,
					 "frame indices must be %d numbers joined by ','", info->frames);
		info->src[t] = (int)v;
		p = end + 1;
	}
	return 0;
}

int arpg_clip_info_format(char **out, size_t *outlen, const struct arpg_clip_info *info)
{
	size_t cap = strlen(info->label) + strlen(info->split) + strlen(info->subject) +
		     (size_t)info->frames * 13 + 32;
	char *s, *p;
	int t;

	/* the name rule (text.h): what a reader would refuse is never written */
	if (arpg_name_check(info->label, ARPG_NAME_LABEL, NULL, 0) < 0 ||
	    arpg_name_check(info->subject, ARPG_NAME_SUBJECT, NULL, 0) < 0)
		return ARPG_EFORMAT;
	if (!(s = malloc(cap)))
		return ARPG_ENOMEM;
	p = s + sprintf(s, "%s\t%s\t%s\t%d\t", info->label, info->split, info->subject,
			info->frames);
	for (t = 0; t < info->frames; t++)
		p += sprintf(p, t ? ",%d" : "%d", info->src[t]);
	p += sprintf(p, "\t%.*s", info->frames, info->faces);
	*out = s;
	*outlen = (size_t)(p - s);
	return 0;
}

int arpg_cache_grids_parse(struct arpg_cache_layout *l, const char *s)
{
	struct arpg_cache_layout g = *l;
	const char *p = s;

	g.ngrids = g.nodes = 0;
	for (;;) {
		char *end;
		long v;

		if (*p < '0' || *p > '9' || g.ngrids == ARPG_CACHE_MAX_GRIDS)
			return ARPG_EINVAL;
		errno = 0;
		v = strtol(p, &end, 10);
		if (errno || v < 1 || v > ARPG_CACHE_MAX_GRID || (*end && *end != ','))
			return ARPG_EINVAL;
		for (int i = 0; i < g.ngrids; i++)
			if (g.grids[i] == v)
				return ARPG_EINVAL;
		g.grids[g.ngrids++] = (int)v;
		g.nodes += (int)(v * v);
		if (!*end)
			break;
		p = end + 1;
	}
	*l = g;
	return 0;
}

int arpg_cache_layout_read(struct arpg_cache_layout *l, const struct arpg_kv *meta,
			   char *err, size_t errn)
{
	const char *grid = arpg_kv_get(meta, "grid"), *flip = arpg_kv_get(meta, "flip");

	memset(l, 0, sizeof *l);
	if (!grid)
		return arpg_errf(err, errn, ARPG_EFORMAT, "meta has no grid key");
	if (arpg_cache_grids_parse(l, grid) < 0)
		return arpg_errf(err, errn, ARPG_EFORMAT,
				 "meta grid is \"%.60s\", not a list of up to %d distinct numbers "
				 "from 1 to %d", grid, ARPG_CACHE_MAX_GRIDS, ARPG_CACHE_MAX_GRID);
	if (flip && strcmp(flip, "yes") && strcmp(flip, "no"))
		return arpg_errf(err, errn, ARPG_EFORMAT, "meta flip is \"%.60s\", not yes or no",
				 flip);
	l->views = flip && !strcmp(flip, "yes") ? 2 : 1;
	return 0;
}

int arpg_cache_grid_offset(const struct arpg_cache_layout *l, int G)
{
	int off = 0;

	for (int i = 0; i < l->ngrids; i++) {
		if (l->grids[i] == G)
			return off;
		off += l->grids[i] * l->grids[i];
	}
	return -1;
}

/* Checks the snapshot of the read transaction txn before LMDB follows any
 * of its pages (mdbcheck.h says why).  ARPG_EMISMATCH: a writer moved on
 * meanwhile, begin again. */
static int check_snapshot(struct arpg_cache *c, MDB_txn *txn)
{
	uint64_t id = (uint64_t)mdb_txn_id(txn);
	char why[300];
	int fd, rc;

	if (c->checked && (c->writable || id == c->checked_txn))
		return 0;
	if (mdb_env_get_fd(c->env, &fd))
		return 0;
	rc = arpg_mdb_check_snapshot(fd, id, c->writable, why, sizeof why);
	if (rc == ARPG_EDAMAGED)
		snprintf(c->lmdb_err, sizeof c->lmdb_err, "%s; the cache cannot be read safely: "
			 "make it again (arpg-features --force -o CACHE MANIFEST)", why);
	else if (rc < 0)
		snprintf(c->lmdb_err, sizeof c->lmdb_err, "%s", why);
	if (rc == 0) {
		c->checked = 1;
		c->checked_txn = id;
	}
	return rc;
}

static int begin(struct arpg_cache *c, int rdonly, MDB_txn **txn)
{
	int mrc, rc, tries = 0, resizes = 0;

	for (;;) {
		mrc = mdb_txn_begin(c->env, NULL, rdonly ? MDB_RDONLY : 0, txn);
		/* adopting the new size moves the map, and with it the memory
		 * a held transaction's views point into */
		if (mrc == MDB_MAP_RESIZED && c->held) {
			snprintf(c->lmdb_err, sizeof c->lmdb_err, "the cache grew while it was "
				 "read (a writer added clips): run again");
			return ARPG_ELMDB;
		}
		if (mrc == MDB_MAP_RESIZED) {
			/* another process grew the map: adopt its size and retry.
			 * One adoption settles a sound file; meta pages that
			 * disagree (the one a reader takes by transaction id is
			 * not the newest) would make this loop for ever. */
			if (++resizes > 3) {
				snprintf(c->lmdb_err, sizeof c->lmdb_err, "its map size does not "
					 "settle (the LMDB meta pages disagree); the cache cannot "
					 "be read safely: make it again (arpg-features --force -o "
					 "CACHE MANIFEST)");
				return ARPG_EDAMAGED;
			}
			if ((mrc = mdb_env_set_mapsize(c->env, 0)))
				break;
			continue;
		}
		if (mrc || !rdonly)
			break;
		rc = check_snapshot(c, *txn);
		if (rc == 0)
			return 0;
		mdb_txn_abort(*txn);
		*txn = NULL;
		if (rc != ARPG_EMISMATCH || ++tries == 5)
			return rc == ARPG_EMISMATCH ? ARPG_EDAMAGED : rc;
	}
	return mrc ? lmdb_fail(c, mrc) : 0;
}

/* Checks the meta pages of dir/data.mdb, if there is one, before LMDB
 * reads them at open. */
static int check_header(const char *dir, char *err, size_t errn)
{
	char path[4096], why[300];
	int fd, rc;

	snprintf(path, sizeof path, "%s/data.mdb", dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;	/* LMDB says what is wrong, or makes it */
	rc = lseek(fd, 0, SEEK_END) == 0 ? 0 : arpg_mdb_check_header(fd, why, sizeof why);
	close(fd);
	if (rc < 0)
		arpg_errf(err, errn, rc, "%s; the cache cannot be read safely: make it again "
			  "(arpg-features --force -o CACHE MANIFEST)", why);
	return rc;
}

int arpg_cache_open(struct arpg_cache **cp, const char *dir, int mode, char *err, size_t errn)
{
	static const char *const names[4] = { "meta", "clips", "app", "patch" };
	struct arpg_cache *c;
	MDB_dbi *dbis[4];
	MDB_envinfo ei;
	MDB_txn *txn = NULL;
	char *fmt = NULL;
	int mrc, rc = 0, i;

	*cp = NULL;
	if (!(c = calloc(1, sizeof *c)))
		return ARPG_ENOMEM;
	dbis[0] = &c->meta, dbis[1] = &c->clips, dbis[2] = &c->app, dbis[3] = &c->patch;
	c->writable = mode == ARPG_CACHE_WRITE;
	if (c->writable && arpg_mkdir_p(dir) < 0) {
		rc = arpg_errf(err, errn, ARPG_EIO, "cannot create the directory: %s", strerror(errno));
		goto fail;
	}
	if ((rc = check_header(dir, err, errn)) < 0)
		goto fail;
	if ((mrc = mdb_env_create(&c->env)) || (mrc = mdb_env_set_maxdbs(c->env, 8)) ||
	    (mrc = mdb_env_set_maxreaders(c->env, 256)) ||
	    (c->writable && (mrc = mdb_env_set_mapsize(c->env, INITIAL_MAP)))) {
		rc = arpg_errf(err, errn, lmdb_fail(c, mrc), "%s", mdb_strerror(mrc));
		goto fail;
	}
	/* NOSYNC: a killed process loses nothing the kernel has; the cache is
	 * flushed at close, and a system crash can only drop whole clips. */
	mrc = mdb_env_open(c->env, dir,
			   MDB_NOTLS | (c->writable ? MDB_NOSYNC : MDB_RDONLY), 0666);
	if (mrc) {
		rc = arpg_errf(err, errn, mrc == ENOENT ? ARPG_ENOENT : lmdb_fail(c, mrc),
			       "%s", mrc == ENOENT ? "no LMDB cache there (run arpg-features first)"
						   : mdb_strerror(mrc));
		goto fail;
	}
	mdb_env_info(c->env, &ei);
	c->map_size = ei.me_mapsize;
	/* a writer checks the file once, in a read transaction, before it
	 * writes */
	if (c->writable && (rc = begin(c, 1, &txn)) == 0) {
		mdb_txn_abort(txn);
		txn = NULL;
	}
	if (rc < 0 || (rc = begin(c, !c->writable, &txn)) < 0) {
		arpg_errf(err, errn, rc, "%s", c->lmdb_err);
		goto fail;
	}
	for (i = 0; i < 4; i++) {
		if ((mrc = mdb_dbi_open(txn, names[i], c->writable ? MDB_CREATE : 0, dbis[i]))) {
			rc = arpg_errf(err, errn, mrc == MDB_NOTFOUND ? ARPG_EFORMAT : lmdb_fail(c, mrc),
				       "%s", mrc == MDB_NOTFOUND
				       ? "not an arpg cache (no database named meta, clips, app, patch)"
				       : mdb_strerror(mrc));
			goto fail;
		}
	}
	/* sums: made by writers; absent from caches written before it */
	mrc = mdb_dbi_open(txn, "sums", c->writable ? MDB_CREATE : 0, &c->sums);
	if (mrc && mrc != MDB_NOTFOUND) {
		rc = arpg_errf(err, errn, lmdb_fail(c, mrc), "%s", mdb_strerror(mrc));
		goto fail;
	}
	c->has_sums = mrc == 0;
	/* frame_labels: made by the first writer of a clip that has them */
	mrc = mdb_dbi_open(txn, "frame_labels", 0, &c->frame_labels);
	if (mrc && mrc != MDB_NOTFOUND) {
		rc = arpg_errf(err, errn, lmdb_fail(c, mrc), "%s", mdb_strerror(mrc));
		goto fail;
	}
	c->has_frame_labels = mrc == 0;
	/* maps: made by the first writer of a clip that has them */
	mrc = mdb_dbi_open(txn, "maps", 0, &c->maps);
	if (mrc && mrc != MDB_NOTFOUND) {
		rc = arpg_errf(err, errn, lmdb_fail(c, mrc), "%s", mdb_strerror(mrc));
		goto fail;
	}
	c->has_maps = mrc == 0;
	if ((mrc = mdb_txn_commit(txn))) {
		txn = NULL;
		rc = arpg_errf(err, errn, lmdb_fail(c, mrc), "%s", mdb_strerror(mrc));
		goto fail;
	}
	txn = NULL;
	rc = arpg_cache_meta_get(c, "format", &fmt);
	if (rc == 0 && strcmp(fmt, ARPG_CACHE_FORMAT)) {
		rc = arpg_errf(err, errn, ARPG_EMISMATCH,
			       "cache format '%s'; this arpg reads '%s': rebuild it with this "
			       "arpg-features", fmt, ARPG_CACHE_FORMAT);
		goto fail;
	}
	if (rc == ARPG_ENOENT && !c->writable) {
		rc = arpg_errf(err, errn, ARPG_EFORMAT,
			       "not an arpg cache (meta has no format key)");
		goto fail;
	}
	if (rc < 0 && rc != ARPG_ENOENT) {
		arpg_errf(err, errn, rc, "%s", c->lmdb_err);
		goto fail;
	}
	free(fmt);
	*cp = c;
	return 0;
fail:
	free(fmt);
	if (txn)
		mdb_txn_abort(txn);
	if (c->env)
		mdb_env_close(c->env);
	free(c);
	return rc;
}

void arpg_cache_close(struct arpg_cache *c)
{
	if (!c)
		return;
	arpg_cache_release(c);
	if (c->writable)
		mdb_env_sync(c->env, 1);
	mdb_env_close(c->env);
	free(c);
}

void arpg_cache_set_map_limit(struct arpg_cache *c, size_t bytes)
{
	c->map_limit = bytes;
	if (bytes && c->map_size > bytes && c->writable && !mdb_env_set_mapsize(c->env, bytes))
		c->map_size = bytes;
}

static int get_string(struct arpg_cache *c, MDB_dbi dbi, const char *key, char **val)
{
	MDB_txn *txn;
	MDB_val k = { strlen(key), (void *)key }, v;
	int rc, mrc;

	*val = NULL;
	if ((rc = begin(c, 1, &txn)) < 0)
		return rc;
	mrc = mdb_get(txn, dbi, &k, &v);
	if (mrc == 0) {
		if ((*val = malloc(v.mv_size + 1))) {
			memcpy(*val, v.mv_data, v.mv_size);
			(*val)[v.mv_size] = 0;
		}
		rc = *val ? 0 : ARPG_ENOMEM;
	} else {
		rc = mrc == MDB_NOTFOUND ? ARPG_ENOENT : lmdb_fail(c, mrc);
	}
	mdb_txn_abort(txn);
	return rc;
}

int arpg_cache_meta_get(struct arpg_cache *c, const char *key, char **val)
{
	return get_string(c, c->meta, key, val);
}

/* Doubles the map after MDB_MAP_FULL, up to the limit.  Only valid with no
 * transaction open in this process, which holds for the callers. */
static int grow(struct arpg_cache *c)
{
	size_t want = c->map_size * 2;
	int mrc;

	if (c->map_limit && want > c->map_limit)
		want = c->map_limit;
	if (want <= c->map_size)
		return ARPG_EFULL;
	if ((mrc = mdb_env_set_mapsize(c->env, want)))
		return lmdb_fail(c, mrc);
	c->map_size = want;
	return 0;
}

typedef int (*write_fn)(struct arpg_cache *c, MDB_txn *txn, const void *arg);

/* Runs fn in a write transaction, growing the map and retrying when full. */
static int write_txn(struct arpg_cache *c, write_fn fn, const void *arg)
{
	MDB_txn *txn;
	int rc, mrc;

	if (!c->writable)
		return ARPG_EINVAL;
	for (;;) {
		if ((rc = begin(c, 0, &txn)) < 0)
			return rc;
		mrc = fn(c, txn, arg);
		if (mrc == 0) {
			mrc = mdb_txn_commit(txn);
		} else {
			mdb_txn_abort(txn);
		}
		if (mrc != MDB_MAP_FULL)
			return mrc ? lmdb_fail(c, mrc) : 0;
		if ((rc = grow(c)) < 0) {
			snprintf(c->lmdb_err, sizeof c->lmdb_err,
				 "map size limit of %zu bytes reached", c->map_size);
			return rc;
		}
	}
}

static int meta_write(struct arpg_cache *c, MDB_txn *txn, const void *arg)
{
	const struct arpg_kv *kv = arg;
	int i, mrc;

	for (i = 0; i < kv->n; i++) {
		MDB_val k = { strlen(kv->keys[i]), kv->keys[i] };
		MDB_val v = { strlen(kv->vals[i]), kv->vals[i] };

		if ((mrc = mdb_put(txn, c->meta, &k, &v, 0)))
			return mrc;
	}
	return 0;
}

int arpg_cache_meta_put(struct arpg_cache *c, const struct arpg_kv *kv)
{
	return write_txn(c, meta_write, kv);
}

int arpg_cache_meta_set(struct arpg_cache *c, const char *key, const char *val)
{
	struct arpg_kv kv = ARPG_KV_INIT;
	int rc = arpg_kv_set(&kv, key, val);

	if (rc == 0)
		rc = arpg_cache_meta_put(c, &kv);
	arpg_kv_free(&kv);
	return rc;
}

static int meta_collect(void *ctx, const char *key, const char *val)
{
	return arpg_kv_set(ctx, key, val);
}

int arpg_cache_meta_read(struct arpg_cache *c, struct arpg_kv *kv)
{
	return arpg_cache_meta_foreach(c, meta_collect, kv);
}

int arpg_cache_meta_foreach(struct arpg_cache *c,
			    int (*fn)(void *ctx, const char *key, const char *val), void *ctx)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	char *ks = NULL, *vs = NULL;
	int rc, mrc;

	if ((rc = begin(c, 1, &txn)) < 0)
		return rc;
	if ((mrc = mdb_cursor_open(txn, c->meta, &cur))) {
		mdb_txn_abort(txn);
		return lmdb_fail(c, mrc);
	}
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !mrc && !rc;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (!(ks = strndup(k.mv_data, k.mv_size)) || !(vs = strndup(v.mv_data, v.mv_size)))
			rc = ARPG_ENOMEM;
		else
			rc = fn(ctx, ks, vs);
		free(ks);
		free(vs);
		ks = vs = NULL;
	}
	if (!rc && mrc != MDB_NOTFOUND)
		rc = lmdb_fail(c, mrc);
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return rc;
}

/* The frame_labels record: the T labels in decimal joined by ','. */
static int frame_labels_format(char **out, size_t *len, const signed char *l, int T)
{
	char *p;

	if (T < 1 || !(p = *out = malloc((size_t)T * 5 + 1)))
		return T < 1 ? ARPG_EINVAL : ARPG_ENOMEM;
	for (int t = 0; t < T; t++)
		p += sprintf(p, "%s%d", t ? "," : "", l[t]);
	*len = (size_t)(p - *out);
	return 0;
}

/* Reads a frame_labels record of T labels (-1 to 127) into a malloc'd
 * array.  0, ARPG_ENOMEM, or ARPG_EFORMAT with why. */
static int frame_labels_parse(signed char **out, const char *s, size_t len, int T,
			      char *why, size_t whyn)
{
	const char *end = s + len;
	signed char *l;
	int t;

	if (!(l = malloc((size_t)T)))
		return ARPG_ENOMEM;
	for (t = 0; t < T; t++) {
		int neg = s < end && *s == '-', v = 0, digits = 0;

		for (s += neg; s < end && *s >= '0' && *s <= '9' && digits < 4; s++, digits++)
			v = v * 10 + (*s - '0');
		v = neg ? -v : v;
		if (!digits || v < -1 || v > 127 || (t < T - 1 && (s == end || *s++ != ',')))
			break;
		l[t] = (signed char)v;
	}
	if (t != T || s != end) {
		free(l);
		return arpg_errf(why, whyn, ARPG_EFORMAT, "not %d labels (-1 to 127) joined by "
				 "','", T);
	}
	*out = l;
	return 0;
}

struct clip_args {
	const char *id;
	const char *info;
	size_t info_len;
	const void *app, *patch;
	size_t app_len, patch_len;
	const char *labels;	/* the frame_labels record, or NULL */
	size_t labels_len;
	const void *maps;	/* the maps record, or NULL */
	size_t maps_len;
};

/* The CRC-32 of a record (zlib's, as Python's zlib.crc32). */
static unsigned long crc_of(const void *buf, size_t len)
{
	unsigned long crc = crc32(0L, Z_NULL, 0);
	const unsigned char *p = buf;

	while (len) {	/* crc32 takes a uInt length */
		uInt n = len > (1u << 30) ? 1u << 30 : (uInt)len;

		crc = crc32(crc, p, n);
		p += n;
		len -= n;
	}
	return crc;
}

static int clip_write(struct arpg_cache *c, MDB_txn *txn, const void *arg)
{
	const struct clip_args *a = arg;
	MDB_val k = { strlen(a->id), (void *)a->id };
	MDB_val vi = { a->info_len, (void *)a->info };
	MDB_val va = { a->app_len, (void *)a->app };
	MDB_val vp = { a->patch_len, (void *)a->patch };
	MDB_val vl = { a->labels_len, (void *)a->labels };
	MDB_val vm = { a->maps_len, (void *)a->maps };
	char sums[112];
	MDB_val vs = { 0, sums };
	int mrc;

	vs.mv_size = (size_t)snprintf(sums, sizeof sums, "clips:%08lx app:%08lx patch:%08lx",
				      crc_of(a->info, a->info_len), crc_of(a->app, a->app_len),
				      crc_of(a->patch, a->patch_len));
	if (a->labels) {
		/* opened in this transaction: LMDB closes it again if it aborts */
		if ((mrc = mdb_dbi_open(txn, "frame_labels", MDB_CREATE, &c->frame_labels)) ||
		    (mrc = mdb_put(txn, c->frame_labels, &k, &vl, 0)))
			return mrc;
		c->has_frame_labels = 1;
		vs.mv_size += (size_t)snprintf(sums + vs.mv_size, sizeof sums - vs.mv_size,
					       " frame_labels:%08lx", crc_of(a->labels,
									     a->labels_len));
	} else if (c->has_frame_labels && (mrc = mdb_del(txn, c->frame_labels, &k, NULL)) &&
		   mrc != MDB_NOTFOUND) {
		return mrc;	/* a clip made again without labels loses its old ones */
	}
	if (a->maps) {
		if ((mrc = mdb_dbi_open(txn, "maps", MDB_CREATE, &c->maps)) ||
		    (mrc = mdb_put(txn, c->maps, &k, &vm, 0)))
			return mrc;
		c->has_maps = 1;
		vs.mv_size += (size_t)snprintf(sums + vs.mv_size, sizeof sums - vs.mv_size,
					       " maps:%08lx", crc_of(a->maps, a->maps_len));
	} else if (c->has_maps && (mrc = mdb_del(txn, c->maps, &k, NULL)) && mrc != MDB_NOTFOUND) {
		return mrc;	/* and without maps its old maps */
	}
	if ((mrc = mdb_put(txn, c->app, &k, &va, 0)) || (mrc = mdb_put(txn, c->patch, &k, &vp, 0)) ||
	    (mrc = mdb_put(txn, c->sums, &k, &vs, 0)))
		return mrc;
	/* clips last: a clip listed there has its records */
	return mdb_put(txn, c->clips, &k, &vi, 0);
}

int arpg_cache_put_clip(struct arpg_cache *c, const char *clip_id,
			const struct arpg_clip_info *info,
			const void *app, size_t app_len, const void *patch, size_t patch_len)
{
	return arpg_cache_put_clip_maps(c, clip_id, info, app, app_len, patch, patch_len, NULL, 0);
}

int arpg_cache_put_clip_maps(struct arpg_cache *c, const char *clip_id,
			     const struct arpg_clip_info *info, const void *app, size_t app_len,
			     const void *patch, size_t patch_len, const void *maps,
			     size_t maps_len)
{
	struct clip_args a = { clip_id, NULL, 0, app, patch, app_len, patch_len, NULL, 0,
			       maps, maps_len };
	char *line, *labels = NULL;
	int rc;

	if (!*clip_id || strlen(clip_id) > 511)	/* LMDB's default key limit */
		return ARPG_EINVAL;
	if ((rc = arpg_clip_info_format(&line, &a.info_len, info)) < 0)
		return rc;
	if (info->frame_labels &&
	    (rc = frame_labels_format(&labels, &a.labels_len, info->frame_labels,
				      info->frames)) < 0) {
		free(line);
		return rc;
	}
	a.info = line;
	a.labels = labels;
	rc = write_txn(c, clip_write, &a);
	free(line);
	free(labels);
	return rc;
}

int arpg_cache_has_clip(struct arpg_cache *c, const char *clip_id)
{
	MDB_txn *txn;
	MDB_val k = { strlen(clip_id), (void *)clip_id }, v;
	int rc, mrc;

	if ((rc = begin(c, 1, &txn)) < 0)
		return rc;
	mrc = mdb_get(txn, c->clips, &k, &v);
	if (!mrc)
		mrc = mdb_get(txn, c->app, &k, &v);
	if (!mrc)
		mrc = mdb_get(txn, c->patch, &k, &v);
	mdb_txn_abort(txn);
	if (mrc == MDB_NOTFOUND)
		return 0;
	return mrc ? lmdb_fail(c, mrc) : 1;
}

int arpg_cache_count(struct arpg_cache *c, long *n)
{
	MDB_txn *txn;
	MDB_stat st;
	int rc, mrc;

	if ((rc = begin(c, 1, &txn)) < 0)
		return rc;
	mrc = mdb_stat(txn, c->clips, &st);
	mdb_txn_abort(txn);
	if (mrc)
		return lmdb_fail(c, mrc);
	*n = (long)st.ms_entries;
	return 0;
}

/* Checks the record of database name (value v) against the clip's sums
 * (s, NUL-terminated).  0, or -1 with why set.  A name sums does not list
 * is not checked. */
static int check_sum(const char *s, const char *name, const MDB_val *v, char *why, size_t n)
{
	size_t len = strlen(name);
	const char *p;
	unsigned long want;
	char *end;

	for (p = s; (p = strstr(p, name)); p += len)
		if ((p == s || p[-1] == ' ') && p[len] == ':')
			break;
	if (!p)
		return 0;
	want = strtoul(p + len + 1, &end, 16);
	if (end != p + len + 9 || (*end && *end != ' ')) {
		snprintf(why, n, "sums: the %s checksum is not 8 hex digits", name);
		return -1;
	}
	if (crc_of(v->mv_data, v->mv_size) != want) {
		snprintf(why, n, "%s: the record does not match its checksum (damaged); make "
			 "the clip again (arpg-features --force on its manifest line)", name);
		return -1;
	}
	return 0;
}

/* Checks the clip's records against its sums, if it has any; vl is its
 * frame_labels record and vm its maps record, or NULL when it has none
 * (then sums must not list one). */
static void check_sums(struct arpg_cache *c, MDB_txn *txn, struct arpg_cache_clip *clip,
		       MDB_val *k, MDB_val *vi, MDB_val *va, MDB_val *vp, MDB_val *vl,
		       MDB_val *vm)
{
	MDB_val v;
	char s[160];
	int mrc;

	clip->unchecked = 1;
	if (!c->has_sums)
		return;
	if ((mrc = mdb_get(txn, c->sums, k, &v))) {
		if (mrc != MDB_NOTFOUND)
			clip->bad = arpg_errf(clip->why, sizeof clip->why, ARPG_EFORMAT, "sums: %s",
					      mdb_strerror(mrc));
		return;
	}
	if (v.mv_size >= sizeof s || memchr(v.mv_data, 0, v.mv_size)) {
		clip->bad = arpg_errf(clip->why, sizeof clip->why, ARPG_EFORMAT,
				      "sums: not a checksum line");
		return;
	}
	memcpy(s, v.mv_data, v.mv_size);
	s[v.mv_size] = 0;
	clip->unchecked = 0;
	if (check_sum(s, "clips", vi, clip->why, sizeof clip->why) < 0 ||
	    check_sum(s, "app", va, clip->why, sizeof clip->why) < 0 ||
	    check_sum(s, "patch", vp, clip->why, sizeof clip->why) < 0 ||
	    (vl && check_sum(s, "frame_labels", vl, clip->why, sizeof clip->why) < 0) ||
	    (vm && check_sum(s, "maps", vm, clip->why, sizeof clip->why) < 0))
		clip->bad = ARPG_EFORMAT;
	else if (!vl && strstr(s, " frame_labels:"))
		clip->bad = arpg_errf(clip->why, sizeof clip->why, ARPG_EFORMAT,
				      "frame_labels: no record, but sums lists one");
	else if (!vm && strstr(s, " maps:"))
		clip->bad = arpg_errf(clip->why, sizeof clip->why, ARPG_EFORMAT,
				      "maps: no record, but sums lists one");
}

/* Fills clip from the raw values of one key; marks it bad rather than fail. */
static void decode_clip(struct arpg_cache *c, MDB_txn *txn, struct arpg_cache_clip *clip,
			MDB_val *k, MDB_val *vi)
{
	MDB_val v, va, vp, vl, vm;
	char why[160];
	int mrc, labelled, mapped;

	clip->bad = 0;
	clip->why[0] = 0;
	clip->unchecked = 0;
	clip->has_maps = 0;
	memset(&clip->maps, 0, sizeof clip->maps);
	labelled = c->has_frame_labels && mdb_get(txn, c->frame_labels, k, &vl) == 0;
	mapped = c->has_maps && mdb_get(txn, c->maps, k, &vm) == 0;
	/* the checksums first: a damaged record is named as such, not as the
	 * format error its damage may cause */
	if (mdb_get(txn, c->app, k, &va) == 0 && mdb_get(txn, c->patch, k, &vp) == 0) {
		check_sums(c, txn, clip, k, vi, &va, &vp, labelled ? &vl : NULL,
			   mapped ? &vm : NULL);
		if (clip->bad)
			return;
	}
	if (arpg_clip_info_parse(&clip->info, vi->mv_data, vi->mv_size, why, sizeof why) < 0) {
		clip->bad = arpg_errf(clip->why, sizeof clip->why, ARPG_EFORMAT, "clips: %s", why);
		return;
	}
	if (labelled && (mrc = frame_labels_parse(&clip->info.frame_labels, vl.mv_data,
						  vl.mv_size, clip->info.frames, why,
						  sizeof why)) < 0) {
		clip->bad = arpg_errf(clip->why, sizeof clip->why, mrc, "frame_labels: %s",
				      mrc == ARPG_ENOMEM ? "out of memory" : why);
		return;
	}
	if ((mrc = mdb_get(txn, c->app, k, &v))) {
		clip->bad = arpg_errf(clip->why, sizeof clip->why, ARPG_EFORMAT, "app: %s",
				      mrc == MDB_NOTFOUND ? "no record" : mdb_strerror(mrc));
		return;
	}
	if (arpg_tensor_decode(&clip->app, v.mv_data, v.mv_size, why, sizeof why) < 0) {
		clip->bad = arpg_errf(clip->why, sizeof clip->why, ARPG_EFORMAT, "app: %s", why);
		return;
	}
	if ((mrc = mdb_get(txn, c->patch, k, &v))) {
		clip->bad = arpg_errf(clip->why, sizeof clip->why, ARPG_EFORMAT, "patch: %s",
				      mrc == MDB_NOTFOUND ? "no record" : mdb_strerror(mrc));
		return;
	}
	if (arpg_tensor_decode(&clip->patch, v.mv_data, v.mv_size, why, sizeof why) < 0) {
		clip->bad = arpg_errf(clip->why, sizeof clip->why, ARPG_EFORMAT, "patch: %s", why);
		return;
	}
	if (mapped) {
		if (arpg_tensor_decode(&clip->maps, vm.mv_data, vm.mv_size, why, sizeof why) < 0)
			clip->bad = arpg_errf(clip->why, sizeof clip->why, ARPG_EFORMAT, "maps: %s",
					      why);
		else
			clip->has_maps = 1;
	}
}

static int visit(struct arpg_cache *c, const char *only,
		 int (*fn)(void *ctx, const struct arpg_cache_clip *clip), void *ctx)
{
	struct arpg_cache_clip clip;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	char *id = NULL;
	int rc = 0, mrc;

	memset(&clip, 0, sizeof clip);
	if (c->held)
		txn = c->held;
	else if ((rc = begin(c, 1, &txn)) < 0)
		return rc;
	if (only) {
		k.mv_size = strlen(only);
		k.mv_data = (void *)only;
		mrc = mdb_get(txn, c->clips, &k, &v);
		if (mrc == 0) {
			decode_clip(c, txn, &clip, &k, &v);
			clip.id = only;
			rc = fn(ctx, &clip);
		} else {
			rc = mrc == MDB_NOTFOUND ? ARPG_ENOENT : lmdb_fail(c, mrc);
		}
		goto out;
	}
	if ((mrc = mdb_cursor_open(txn, c->clips, &cur))) {
		rc = lmdb_fail(c, mrc);
		goto out;
	}
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !mrc && !rc;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (!(id = strndup(k.mv_data, k.mv_size))) {
			rc = ARPG_ENOMEM;
			break;
		}
		decode_clip(c, txn, &clip, &k, &v);
		clip.id = id;
		rc = fn(ctx, &clip);
		free(id);
	}
	if (!rc && mrc && mrc != MDB_NOTFOUND)
		rc = lmdb_fail(c, mrc);
	mdb_cursor_close(cur);
out:
	arpg_clip_info_free(&clip.info);
	if (txn != c->held)
		mdb_txn_abort(txn);
	return rc;
}

int arpg_cache_foreach(struct arpg_cache *c,
		       int (*fn)(void *ctx, const struct arpg_cache_clip *clip), void *ctx)
{
	return visit(c, NULL, fn, ctx);
}

int arpg_cache_get_clip(struct arpg_cache *c, const char *clip_id,
			int (*fn)(void *ctx, const struct arpg_cache_clip *clip), void *ctx)
{
	return visit(c, clip_id, fn, ctx);
}

int arpg_cache_hold(struct arpg_cache *c)
{
	MDB_txn *txn;
	int rc;

	if (c->writable)
		return ARPG_EINVAL;
	if (c->held)
		return 0;
	if ((rc = begin(c, 1, &txn)) < 0)
		return rc;
	c->held = txn;
	return 0;
}

void arpg_cache_release(struct arpg_cache *c)
{
	if (c->held)
		mdb_txn_abort(c->held);
	c->held = NULL;
}
