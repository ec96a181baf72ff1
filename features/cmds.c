/* cmds.c - info, verify, merge and dump (see cmds.h). */
#include "cmds.h"
#include "cache.h"
#include "error.h"
#include "grow.h"
#include "lock.h"
#include "log.h"
#include "meta.h"
#include "npy.h"
#include "tensor.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int open_read(struct arpg_cache **c, const char *dir, char *err, size_t errn)
{
	char why[512];
	int rc = arpg_cache_open(c, dir, ARPG_CACHE_READ, why, sizeof why);

	return rc < 0 ? arpg_errf(err, errn, rc, "%s: %s", dir, why) : 0;
}

/* A counter keyed by name, in order of first appearance. */
struct tally_entry {
	char *name;
	long count;
};

struct tally {
	int n;
	size_t cap;
	struct tally_entry *e;
};

static int tally_add(struct tally *t, const char *name)
{
	int i;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->e[i].name, name)) {
			t->e[i].count++;
			return 0;
		}
	if (ARPG_GROW(t->e, &t->cap, (size_t)t->n + 1) < 0 || !(t->e[t->n].name = strdup(name)))
		return ARPG_ENOMEM;
	t->e[t->n++].count = 1;
	return 0;
}

static void tally_print(const struct tally *t, const char *what)
{
	int i;

	for (i = 0; i < t->n; i++)
		printf("%s\t%s\t%ld\n", what, t->e[i].name[0] ? t->e[i].name : "(none)",
		       t->e[i].count);
}

static void tally_free(struct tally *t)
{
	int i;

	for (i = 0; i < t->n; i++)
		free(t->e[i].name);
	free(t->e);
}

static int print_meta(void *ctx, const char *key, const char *val)
{
	printf("meta\t%s\t%s\n", key, val);
	return 0;
}

struct info_ctx {
	struct tally split, label;
	long clips, bad, frames, noface, tmin, tmax;
	long frame_labelled_clips, labelled_frames;	/* per-frame labels */
	long mapped_clips, map_bytes;			/* --maps */
};

static int info_clip(void *ctx, const struct arpg_cache_clip *clip)
{
	struct info_ctx *ic = ctx;
	int t;

	ic->clips++;
	if (clip->bad) {
		ic->bad++;
		return 0;
	}
	if (tally_add(&ic->split, clip->info.split) < 0 ||
	    tally_add(&ic->label, clip->info.label) < 0)
		return ARPG_ENOMEM;
	ic->frames += clip->info.frames;
	for (t = 0; t < clip->info.frames; t++)
		ic->noface += clip->info.faces[t] == '0';
	ic->frame_labelled_clips += clip->info.frame_labels != NULL;
	if (clip->has_maps) {
		ic->mapped_clips++;
		ic->map_bytes += (long)(clip->maps.count * (clip->maps.dtype == ARPG_F16 ? 2 : 4));
	}
	for (t = 0; clip->info.frame_labels && t < clip->info.frames; t++)
		ic->labelled_frames += clip->info.frame_labels[t] >= 0;
	if (!ic->tmin || clip->info.frames < ic->tmin)
		ic->tmin = clip->info.frames;
	if (clip->info.frames > ic->tmax)
		ic->tmax = clip->info.frames;
	return 0;
}

int cmd_info(const char *dir, char *err, size_t errn)
{
	struct arpg_cache *c = NULL;
	struct info_ctx ic;
	struct stat sb;
	char path[4096];
	int rc;

	memset(&ic, 0, sizeof ic);
	if ((rc = open_read(&c, dir, err, errn)) < 0)
		return rc;
	if ((rc = arpg_cache_meta_foreach(c, print_meta, NULL)) < 0 ||
	    (rc = arpg_cache_foreach(c, info_clip, &ic)) < 0) {
		arpg_errf(err, errn, rc, "%s: %s", dir, arpg_cache_lmdb_error(c));
		goto out;
	}
	printf("clips\t%ld\n", ic.clips);
	tally_print(&ic.split, "split");
	tally_print(&ic.label, "label");
	printf("frames\t%ld\n", ic.frames);
	printf("frames_per_clip\t%ld\t%ld\n", ic.tmin, ic.tmax);
	printf("frames_without_face\t%ld\n", ic.noface);
	if (ic.frame_labelled_clips)
		printf("frame_labels\t%ld\t%ld\n", ic.frame_labelled_clips, ic.labelled_frames);
	if (ic.mapped_clips)
		printf("maps\t%ld\t%.1f MiB\n", ic.mapped_clips, (double)ic.map_bytes / (1 << 20));
	if (ic.bad)
		printf("bad_clips\t%ld\t(run arpg-features verify)\n", ic.bad);
	snprintf(path, sizeof path, "%s/data.mdb", dir);
	if (!stat(path, &sb))
		printf("size_on_disk\t%lld\t%.1f MiB\n", (long long)sb.st_blocks * 512,
		       (double)sb.st_blocks * 512 / (1 << 20));
out:
	tally_free(&ic.split);
	tally_free(&ic.label);
	arpg_cache_close(c);
	return rc;
}

/* Meta values verify needs, parsed. */
struct verify_ctx {
	struct arpg_cache_layout layout;	/* grids and views */
	long frames, app_dim, patch_dim;	/* frames 0: all */
	int dtype;
	char *labels;
	int frame_classes;		/* classes in meta frame_labels (0: none) */
	int maps_dtype;			/* meta maps: 0 (none), ARPG_F16 or ARPG_F32 */
	uint32_t maps_shape[3];		/* meta maps_shape: C, H, W */
	long clips, bad, unchecked;
};

static int label_known(const char *labels, const char *label)
{
	size_t n = strlen(label);
	const char *p = labels;

	if (!*label)
		return 1;	/* an unlabelled clip */
	while (p && *p) {
		if (!strncmp(p, label, n) && (p[n] == ',' || !p[n]))
			return 1;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return 0;
}

/* Does the record have shape ([views,] d0, d1[, d2]) (d2 0: absent)? */
static int has_dims(const struct arpg_tensor_view *t, int views, uint32_t d0, uint32_t d1,
		    uint32_t d2)
{
	uint32_t want[4];
	int r = 0;

	if (views > 1)
		want[r++] = (uint32_t)views;
	want[r++] = d0;
	want[r++] = d1;
	if (d2)
		want[r++] = d2;
	if (t->rank != r)
		return 0;
	for (int i = 0; i < r; i++)
		if (t->dims[i] != want[i])
			return 0;
	return 1;
}

static int verify_clip(void *ctx, const struct arpg_cache_clip *clip)
{
	struct verify_ctx *v = ctx;
	int views = v->layout.views;
	const struct arpg_clip_info *in = &clip->info;
	const struct arpg_tensor_view *a = &clip->app, *p = &clip->patch;
	char why[300] = "";

	v->clips++;
	v->unchecked += clip->unchecked;
	if (clip->bad)
		snprintf(why, sizeof why, "%s", clip->why);
	else if (v->frames && in->frames != v->frames)
		snprintf(why, sizeof why, "%d frames, meta frames %ld", in->frames, v->frames);
	else if (!has_dims(a, views, (uint32_t)in->frames, (uint32_t)v->app_dim, 0))
		snprintf(why, sizeof why, "app shape is not (%s%d, %ld)", views > 1 ? "2, " : "",
			 in->frames, v->app_dim);
	else if (!has_dims(p, views, (uint32_t)in->frames, (uint32_t)v->layout.nodes,
			   (uint32_t)v->patch_dim))
		snprintf(why, sizeof why, "patch shape is not (%s%d, %d, %ld)",
			 views > 1 ? "2, " : "", in->frames, v->layout.nodes, v->patch_dim);
	else if (a->dtype != v->dtype || p->dtype != v->dtype)
		snprintf(why, sizeof why, "dtype differs from meta");
	else if (strcmp(in->split, "train") && strcmp(in->split, "val") && strcmp(in->split, "test"))
		snprintf(why, sizeof why, "split '%s' is not train, val or test", in->split);
	else if (!label_known(v->labels, in->label))
		snprintf(why, sizeof why, "label '%s' is not in meta labels", in->label);
	else if (v->maps_dtype && !clip->has_maps)
		snprintf(why, sizeof why, "no maps record, but meta maps is set");
	else if (!v->maps_dtype && clip->has_maps)
		snprintf(why, sizeof why, "a maps record, but meta has no maps");
	else if (clip->has_maps && (clip->maps.rank != 4 ||
				    clip->maps.dims[0] != (uint32_t)in->frames ||
				    memcmp(clip->maps.dims + 1, v->maps_shape, sizeof v->maps_shape)))
		snprintf(why, sizeof why, "maps shape is not (%d, %u, %u, %u)", in->frames,
			 v->maps_shape[0], v->maps_shape[1], v->maps_shape[2]);
	else if (clip->has_maps && clip->maps.dtype != v->maps_dtype)
		snprintf(why, sizeof why, "maps dtype differs from meta maps");
	for (int t = 0; !why[0] && in->frame_labels && t < in->frames; t++)
		if (in->frame_labels[t] >= v->frame_classes)
			snprintf(why, sizeof why, "frame %d's label %d is not a class of meta "
				 "frame_labels (%d)", t, in->frame_labels[t], v->frame_classes);
	if (why[0]) {
		v->bad++;
		printf("bad\t%s\t%s\n", clip->id, why);
	}
	return 0;
}

static int meta_long(struct arpg_cache *c, const char *key, long *out, long lo, long hi,
		     char *err, size_t errn)
{
	char *s = NULL, *end;
	int rc = arpg_cache_meta_get(c, key, &s);

	if (rc == ARPG_ENOENT)
		return arpg_errf(err, errn, ARPG_EFORMAT, "meta has no %s", key);
	if (rc < 0)
		return rc;
	errno = 0;
	*out = strtol(s, &end, 10);
	if (!strcmp(key, "frames") && !strcmp(s, "all"))
		*out = 0;
	else if (errno || end == s || *end || *out < lo || *out > hi)
		rc = arpg_errf(err, errn, ARPG_EFORMAT, "meta %s '%s' is not a number %ld to %ld",
			       key, s, lo, hi);
	free(s);
	return rc;
}

/* Meta maps and maps_shape: dtype 0 when the cache has no maps. */
static int maps_meta(const struct arpg_kv *meta, int *dtype, uint32_t shape[3], char *why,
		     size_t whyn)
{
	const char *m = arpg_kv_get(meta, "maps"), *sh = arpg_kv_get(meta, "maps_shape");
	unsigned a, b, c;
	char end;

	*dtype = 0;
	if (!m || !strcmp(m, "no"))
		return 0;
	if (strcmp(m, "f16") && strcmp(m, "f32"))
		return arpg_errf(why, whyn, ARPG_EFORMAT, "meta maps is '%s', not f16 or f32", m);
	if (!sh || sscanf(sh, "%u,%u,%u%c", &a, &b, &c, &end) != 3 || !a || !b || !c)
		return arpg_errf(why, whyn, ARPG_EFORMAT, "meta maps_shape is '%s', not C,H,W",
				 sh ? sh : "(none)");
	*dtype = !strcmp(m, "f16") ? ARPG_F16 : ARPG_F32;
	shape[0] = a, shape[1] = b, shape[2] = c;
	return 0;
}

int cmd_verify(const char *dir, char *err, size_t errn)
{
	struct arpg_cache *c = NULL;
	struct arpg_kv meta = ARPG_KV_INIT;
	struct verify_ctx v;
	char *dt = NULL, *fl = NULL, why[300];
	int rc;

	memset(&v, 0, sizeof v);
	if ((rc = open_read(&c, dir, err, errn)) < 0)
		return rc;
	if ((rc = arpg_cache_meta_read(c, &meta)) < 0) {
		arpg_errf(err, errn, rc, "%s: %s", dir, arpg_cache_lmdb_error(c));
		goto out;
	}
	if ((rc = arpg_cache_layout_read(&v.layout, &meta, why, sizeof why)) < 0 ||
	    (rc = meta_long(c, "frames", &v.frames, 1, 1000000, why, sizeof why)) < 0 ||
	    (rc = meta_long(c, "app_dim", &v.app_dim, 1, 1L << 30, why, sizeof why)) < 0 ||
	    (rc = meta_long(c, "patch_dim", &v.patch_dim, 1, 1L << 30, why, sizeof why)) < 0) {
		arpg_errf(err, errn, rc, "%s: %s", dir, why);
		goto out;
	}
	if ((rc = arpg_cache_meta_get(c, "dtype", &dt)) < 0 ||
	    (strcmp(dt, "f32") && strcmp(dt, "f16"))) {
		rc = arpg_errf(err, errn, ARPG_EFORMAT, "%s: meta dtype is '%s', not f32 or f16",
			       dir, dt ? dt : "(none)");
		goto out;
	}
	v.dtype = !strcmp(dt, "f16") ? ARPG_F16 : ARPG_F32;
	if (arpg_cache_meta_get(c, "labels", &v.labels) < 0)
		v.labels = NULL;
	if (arpg_cache_meta_get(c, "frame_labels", &fl) == 0)
		for (const char *q = fl; q; q = strchr(q + 1, ','))
			v.frame_classes++;
	if ((rc = maps_meta(&meta, &v.maps_dtype, v.maps_shape, why, sizeof why)) < 0) {
		arpg_errf(err, errn, rc, "%s: %s", dir, why);
		goto out;
	}
	if ((rc = arpg_cache_foreach(c, verify_clip, &v)) < 0) {
		arpg_errf(err, errn, rc, "%s: %s", dir, arpg_cache_lmdb_error(c));
		goto out;
	}
	if (v.bad) {
		arpg_error("%s: %ld of %ld clips are bad (listed on stdout); run arpg-features "
			   "again with --force on their manifest lines", dir, v.bad, v.clips);
		rc = 1;
	} else if (v.unchecked) {
		/* an older cache: readable, but its values cannot be checked */
		printf("ok\t%ld clips\t%ld without checksums\n", v.clips, v.unchecked);
		arpg_warn("%s: %ld of %ld clips have no checksums (written by an older "
			  "arpg-features): damage inside their values cannot be seen; make the "
			  "cache again (--force) to add them", dir, v.unchecked, v.clips);
	} else {
		printf("ok\t%ld clips\n", v.clips);
	}
out:
	free(dt);
	free(fl);
	free(v.labels);
	arpg_kv_free(&meta);
	arpg_cache_close(c);
	return rc;
}

struct merge_ctx {
	struct arpg_cache *out;
	const char *in_name;
	long copied, kept, bad;
	int rc;
	char err[512];
};

/* The whole record behind a view: a record's header is 8 + 4 * rank bytes
 * right before the data (tensor.h), so the bytes are copied as they are. */
static const void *record_of(const struct arpg_tensor_view *v, size_t *len)
{
	size_t es = v->dtype == ARPG_F16 ? 2 : 4, hdr = 8 + 4 * (size_t)v->rank;

	*len = hdr + v->count * es;
	return v->data - hdr;
}

static int merge_clip(void *ctx, const struct arpg_cache_clip *clip)
{
	struct merge_ctx *m = ctx;
	const void *a, *p, *mp = NULL;
	size_t alen, plen, mlen = 0;
	int has, rc;

	if (clip->bad) {
		printf("bad\t%s\t%s\t%s\n", m->in_name, clip->id, clip->why);
		m->bad++;
		return 0;
	}
	if ((has = arpg_cache_has_clip(m->out, clip->id)) < 0)
		return has;
	if (has) {
		m->kept++;
		return 0;
	}
	a = record_of(&clip->app, &alen);
	p = record_of(&clip->patch, &plen);
	if (clip->has_maps)
		mp = record_of(&clip->maps, &mlen);
	if ((rc = arpg_cache_put_clip_maps(m->out, clip->id, &clip->info, a, alen, p, plen, mp,
					   mlen)) < 0)
		return rc;
	m->copied++;
	return 0;
}

/* Writes the meta of out: the first input's keys when out is new, the
 * union of all labels, the per-frame label classes, which must be the
 * same wherever they are (ARPG_EMISMATCH with why), and preprocess:
 * "mixed" unless every cache that joins has the same (as arpg-features
 * sets it for clips of different settings in one run). */
static int merge_meta(struct arpg_cache *o, int fresh, struct arpg_cache **ic, int nin,
		      char *why, size_t whyn)
{
	struct arpg_kv kv = ARPG_KV_INIT;
	char *labels = NULL, *l = NULL, *classes = NULL, *pre = NULL;
	int rc = 0, i, pre_mixed = 0, pre_missing = 0;

	if (fresh && (rc = arpg_cache_meta_read(ic[0], &kv)) < 0)
		goto out;
	for (i = -1; i < nin && !rc; i++) {
		if (arpg_cache_meta_get(i < 0 ? o : ic[i], "labels", &l) == 0 &&
		    labels_add(&labels, l) < 0)
			rc = ARPG_ENOMEM;
		free(l);
		l = NULL;
		if (arpg_cache_meta_get(i < 0 ? o : ic[i], "frame_labels", &l) == 0) {
			if (classes && strcmp(classes, l))
				rc = arpg_errf(why, whyn, ARPG_EMISMATCH, "frame_labels %s and %s: "
					       "clips labelled with other classes do not mix",
					       classes, l);
			else if (!classes)
				classes = l, l = NULL;
		}
		free(l);
		l = NULL;
		/* one value where they agree; "mixed" where they differ, or
		 * where a cache made before the key was recorded joins */
		if (i < 0 && fresh)
			continue;
		if ((rc = arpg_cache_meta_get(i < 0 ? o : ic[i], "preprocess", &l)) == ARPG_ENOENT)
			pre_missing = 1, rc = 0;
		else if (rc < 0)
			break;
		else if (!pre)
			pre = l, l = NULL;
		else if (strcmp(pre, l))
			pre_mixed = 1;
		free(l);
		l = NULL;
	}
	if (!rc && kv.n)
		rc = arpg_cache_meta_put(o, &kv);
	if (!rc && pre && (pre_mixed || pre_missing))
		rc = arpg_cache_meta_set(o, "preprocess", "mixed");
	if (!rc && labels)
		rc = arpg_cache_meta_set(o, "labels", labels);
	if (!rc && classes)
		rc = arpg_cache_meta_set(o, "frame_labels", classes);
	if (rc < 0 && rc != ARPG_EMISMATCH)
		arpg_errf(why, whyn, rc, "%s", arpg_cache_lmdb_error(o));
out:
	arpg_kv_free(&kv);
	free(labels);
	free(classes);
	free(pre);
	return rc;
}

int cmd_merge(const char *out, char *const *in, int nin, char *err, size_t errn)
{
	struct arpg_cache *o = NULL, **ic = NULL;
	struct arpg_lock *writer = NULL;
	struct merge_ctx m;
	char why[512], *fmt = NULL;
	int rc = 0, i, fresh;

	memset(&m, 0, sizeof m);
	if (!(ic = calloc((size_t)nin, sizeof *ic)))
		return ARPG_ENOMEM;
	for (i = 0; i < nin; i++) {
		if ((rc = open_read(&ic[i], in[i], err, errn)) < 0)
			goto out;
		if (i && (rc = meta_check_caches(ic[0], ic[i], why, sizeof why)) < 0) {
			arpg_errf(err, errn, rc, "%s and %s differ in meta: %s", in[0], in[i], why);
			goto out;
		}
	}
	if ((rc = arpg_lock_take(&writer, out, 1, "arpg-features merge", ARPG_LOCK_REFUSE, why,
				 sizeof why)) < 0 ||
	    (rc = arpg_cache_open(&o, out, ARPG_CACHE_WRITE, why, sizeof why)) < 0) {
		arpg_errf(err, errn, rc, "%s: %s", out, why);
		goto out;
	}
	fresh = arpg_cache_meta_get(o, "format", &fmt) == ARPG_ENOENT;
	if (!fresh && (rc = meta_check_caches(ic[0], o, why, sizeof why)) < 0) {
		arpg_errf(err, errn, rc, "%s and %s differ in meta: %s", in[0], out, why);
		goto out;
	}
	if ((rc = merge_meta(o, fresh, ic, nin, why, sizeof why)) < 0) {
		arpg_errf(err, errn, rc, "%s: %s", out, why);
		goto out;
	}
	m.out = o;
	for (i = 0; !rc && i < nin; i++) {
		m.in_name = in[i];
		if ((rc = arpg_cache_foreach(ic[i], merge_clip, &m)) < 0)
			arpg_errf(err, errn, rc, "%s: %s", out, arpg_cache_lmdb_error(o));
	}
	if (!rc) {
		arpg_note("%s: %ld clips copied, %ld already there, %ld bad", out, m.copied,
			  m.kept, m.bad);
		rc = m.bad ? 1 : 0;
	}
out:
	free(fmt);
	arpg_cache_close(o);
	arpg_lock_release(writer);
	for (i = 0; ic && i < nin; i++)
		arpg_cache_close(ic[i]);
	free(ic);
	return rc;
}

struct dump_ctx {
	const char *npy_dir;
	int rc;
	char err[512];
};

static int write_npy(struct dump_ctx *d, const char *name, const struct arpg_tensor_view *v)
{
	char path[4096];
	float *f = malloc(sizeof *f * (v->count ? v->count : 1));
	int rc;

	if (!f)
		return ARPG_ENOMEM;
	arpg_tensor_to_f32(f, v);
	snprintf(path, sizeof path, "%s/%s", d->npy_dir, name);
	if ((rc = npy_write_f32(path, f, v->rank, v->dims)) < 0)
		arpg_errf(d->err, sizeof d->err, rc, "%s: %s", path, strerror(errno));
	free(f);
	return rc;
}

static void print_shape(const char *name, const struct arpg_tensor_view *v)
{
	int k;

	printf("%s\t%s\t(", name, v->dtype == ARPG_F16 ? "f16" : "f32");
	for (k = 0; k < v->rank; k++)
		printf(k ? ", %u" : "%u", v->dims[k]);
	printf(")\n");
}

static int dump_clip(void *ctx, const struct arpg_cache_clip *clip)
{
	struct dump_ctx *d = ctx;
	const struct arpg_clip_info *in = &clip->info;
	int t, rc;

	printf("clip\t%s\n", clip->id);
	if (clip->bad) {
		arpg_errf(d->err, sizeof d->err, ARPG_EFORMAT, "clip %s: %s", clip->id, clip->why);
		return ARPG_EFORMAT;
	}
	printf("label\t%s\nsplit\t%s\nsubject\t%s\nframes\t%d\nsource\t", in->label, in->split,
	       in->subject, in->frames);
	for (t = 0; t < in->frames; t++)
		printf(t ? ",%d" : "%d", in->src[t]);
	printf("\nfaces\t%s\n", in->faces);
	if (in->frame_labels) {
		printf("frame_labels\t");
		for (t = 0; t < in->frames; t++)
			printf(t ? ",%d" : "%d", in->frame_labels[t]);
		printf("\n");
	}
	print_shape("app", &clip->app);
	print_shape("patch", &clip->patch);
	if (clip->has_maps)
		print_shape("maps", &clip->maps);
	if (d->npy_dir) {
		if (mkdir(d->npy_dir, 0777) && errno != EEXIST)
			return arpg_errf(d->err, sizeof d->err, ARPG_EIO, "%s: %s", d->npy_dir,
					 strerror(errno));
		if ((rc = write_npy(d, "app.npy", &clip->app)) < 0 ||
		    (rc = write_npy(d, "patch.npy", &clip->patch)) < 0 ||
		    (clip->has_maps && (rc = write_npy(d, "maps.npy", &clip->maps)) < 0))
			return rc;
	}
	return 0;
}

int cmd_dump(const char *dir, const char *clip_id, const char *npy_dir,
		  char *err, size_t errn)
{
	struct arpg_cache *c = NULL;
	struct dump_ctx d;
	int rc;

	memset(&d, 0, sizeof d);
	d.npy_dir = npy_dir;
	if ((rc = open_read(&c, dir, err, errn)) < 0)
		return rc;
	rc = arpg_cache_get_clip(c, clip_id, dump_clip, &d);
	if (rc == ARPG_ENOENT)
		arpg_errf(err, errn, rc, "%s: no clip '%s' (arpg-features info lists the cache)",
			  dir, clip_id);
	else if (rc < 0 && d.err[0])
		arpg_errf(err, errn, rc, "%s", d.err);
	else if (rc < 0)
		arpg_errf(err, errn, rc, "%s: %s", dir, arpg_cache_lmdb_error(c));
	arpg_cache_close(c);
	return rc;
}
