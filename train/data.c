/* data.c - loading a feature cache for training. */
#include "data.h"
#include "cache.h"
#include "error.h"
#include "grow.h"
#include "layers.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct loader {
	struct dataset *ds;
	const struct dataset_want *want;	/* never NULL */
	size_t cap;		/* of ds->clips */
	int nbad_num;
	char *err;
	size_t errn;
	char bad_list[300];
	int rc;
	float *frame;		/* FEAT_TRAIN: one frame's Da + N x Dp, for the NaN/Inf check */
};

static int meta_int(const struct dataset *ds, const char *key, int *out, char *err,
		    size_t errn)
{
	const char *v = arpg_kv_get(&ds->meta, key);
	char *end;
	long n;

	if (!v)
		return arpg_errf(err, errn, ARPG_EFORMAT, "meta has no %s key", key);
	n = strtol(v, &end, 10);
	if (*end || n < 1 || n > 1 << 20)
		return arpg_errf(err, errn, ARPG_EFORMAT, "meta %s is \"%s\", not a positive number",
				 key, v);
	*out = (int)n;
	return 0;
}

/* The comma list v into *labels (*C of them, malloc'd, added to what
 * is there).  0 or ARPG_ENOMEM. */
static int parse_labels(const char *v, char ***labels, int *C)
{
	char *copy, *tok, *save = NULL;
	size_t cap = (size_t)*C;
	int rc = 0;

	if (!(copy = strdup(v)))
		return ARPG_ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char **l = arpg_grow(*labels, &cap, (size_t)*C + 1, sizeof *l);

		if (!l) {
			rc = ARPG_ENOMEM;
			break;
		}
		*labels = l;
		if (!(l[*C] = strdup(tok))) {
			rc = ARPG_ENOMEM;
			break;
		}
		(*C)++;
	}
	free(copy);
	return rc;
}

static void free_labels(char **labels, int C)
{
	for (int i = 0; i < C; i++)
		free(labels[i]);
	free(labels);
}

/* meta labels (frame_labels with per_frame) into ds; a cache of
 * unlabelled clips only (AFEW's Test set) has none, and a labelled clip
 * then fails find_label. */
static int split_labels(struct dataset *ds, int per_frame)
{
	const char *v = arpg_kv_get(&ds->meta, per_frame ? "frame_labels" : "labels");

	return v ? parse_labels(v, &ds->labels, &ds->C) : 0;
}

static int find_label(const struct dataset *ds, const char *name)
{
	for (int i = 0; i < ds->C; i++)
		if (!strcmp(ds->labels[i], name))
			return i;
	return -1;
}

static int all_finite(const float *v, size_t n)
{
	float acc = 0;

	/* a NaN or Inf anywhere makes the product with 0 a NaN */
	for (size_t i = 0; i < n; i++)
		acc += v[i] * 0.0f;
	return acc == 0;
}

/* The shape a record of T frames must have: with views, a leading axis of
 * them; inner are the dims of one frame (1 or 2 of them). */
static int has_shape(const struct arpg_tensor_view *v, int views, int T, const uint32_t *inner,
		     int ninner)
{
	int r = 0;

	if (v->rank != (views > 1) + 1 + ninner)
		return 0;
	if (views > 1 && v->dims[r++] != (uint32_t)views)
		return 0;
	if (v->dims[r++] != (uint32_t)T)
		return 0;
	for (int i = 0; i < ninner; i++)
		if (v->dims[r++] != inner[i])
			return 0;
	return 1;
}

/* Frame t of view `view` of records ra (app) and rp (patch) of a clip of
 * T frames, shapes checked, into app and patch (ds's grid). */
static void frame_from_records(const struct dataset *ds, const struct arpg_tensor_view *ra,
			       const struct arpg_tensor_view *rp, int view, int T, int t,
			       float *app, float *patch)
{
	size_t np = (size_t)ds->N * ds->Dp, fp = (size_t)ds->layout.nodes * ds->Dp;

	arpg_tensor_range_to_f32(app, ra, ((size_t)view * T + t) * ds->Da, (size_t)ds->Da);
	arpg_tensor_range_to_f32(patch, rp,
				 ((size_t)view * T + t) * fp + (size_t)ds->grid_offset * ds->Dp, np);
}

void dataset_frame_from_cache(const struct dataset *ds, const struct arpg_cache_clip *cc,
			      int view, int T, int t, float *app, float *patch)
{
	frame_from_records(ds, &cc->app, &cc->patch, view, T, t, app, patch);
}

void dataset_clip_frame(const struct dataset *ds, const struct clip_data *c, int view, int t,
			float *app, float *patch)
{
	size_t np = (size_t)ds->N * ds->Dp;

	if (c->app) {
		memcpy(app, (view ? c->app_m : c->app) + (size_t)t * ds->Da, sizeof(float) * ds->Da);
		memcpy(patch, (view ? c->patch_m : c->patch) + (size_t)t * np, sizeof(float) * np);
	} else {
		frame_from_records(ds, &c->rec_app, &c->rec_patch, view, c->T, t, app, patch);
	}
}

/* Converts view `view` of a clip's records into c's arrays app (T x Da)
 * and patch (T x N x Dp, the loaded grid's nodes of each frame). */
static void copy_view(const struct loader *ld, const struct arpg_cache_clip *cc, int view,
		      int T, float *app, float *patch)
{
	const struct dataset *ds = ld->ds;

	for (int t = 0; t < T; t++)
		dataset_frame_from_cache(ds, cc, view, T, t, app + (size_t)t * ds->Da,
					 patch + (size_t)t * ds->N * ds->Dp);
}

/* --per-frame: the clip's frame labels into c (checked against the
 * classes), or none. */
static int load_frame_labels(struct loader *ld, struct clip_data *c,
			     const struct arpg_cache_clip *cc)
{
	const signed char *fl = cc->info.frame_labels;

	if (!fl)
		return 0;
	for (int t = 0; t < c->T; t++)
		if (fl[t] < -1 || fl[t] >= ld->ds->C)
			return arpg_errf(ld->err, ld->errn, ARPG_EFORMAT, "clip %s: frame %d has "
					 "label %d, but meta frame_labels lists %d classes",
					 cc->id, t, fl[t], ld->ds->C);
	if (!(c->frame_labels = malloc((size_t)c->T)))
		return ARPG_ENOMEM;
	memcpy(c->frame_labels, fl, (size_t)c->T);
	return 0;
}

/* Whether the clip's features are to be loaded. */
static int wants_features(const struct loader *ld, const char *split)
{
	return ld->want->features == FEAT_ALL ||
	       (ld->want->features == FEAT_TRAIN && !strcmp(split, "train"));
}

/* Adds the clip to the list of those holding NaN or Inf. */
static void note_bad(struct loader *ld, const char *id)
{
	size_t len = strlen(ld->bad_list);

	if (len + strlen(id) + 8 < sizeof ld->bad_list)
		snprintf(ld->bad_list + len, sizeof ld->bad_list - len, "%s%s", len ? ", " : "", id);
	else if (!strstr(ld->bad_list, "..."))
		strcat(ld->bad_list, ", ...");
	ld->nbad_num++;
}

int dataset_check_clip(const struct dataset *ds, const struct arpg_cache_clip *cc, char *err,
		       size_t errn)
{
	const struct arpg_cache_layout *l = &ds->layout;
	uint32_t ad[1] = { (uint32_t)ds->Da }, pd[2] = { (uint32_t)l->nodes, (uint32_t)ds->Dp };
	int T = cc->info.frames;

	if (cc->bad)
		return arpg_errf(err, errn, ARPG_EFORMAT, "clip %s: %s (run arpg-features verify)",
				 cc->id, cc->why);
	if (!has_shape(&cc->app, l->views, T, ad, 1))
		return arpg_errf(err, errn, ARPG_EFORMAT,
				 "clip %s: app record does not have shape (%s%d, %d) as meta says",
				 cc->id, l->views > 1 ? "2, " : "", T, ds->Da);
	if (!has_shape(&cc->patch, l->views, T, pd, 2))
		return arpg_errf(err, errn, ARPG_EFORMAT,
				 "clip %s: patch record does not have shape (%s%d, %d, %d) as meta says",
				 cc->id, l->views > 1 ? "2, " : "", T, l->nodes, ds->Dp);
	return 0;
}

/* FEAT_TRAIN: keeps the clip's records (valid while the cache is held)
 * after the check FEAT_ALL makes of the floats it copies: NaN or Inf in
 * the views and the grid loaded. */
static int map_clip(struct loader *ld, struct clip_data *c, const struct arpg_cache_clip *cc)
{
	const struct dataset *ds = ld->ds;
	float *a = ld->frame, *p = ld->frame + ds->Da;
	int bad = 0;

	for (int v = 0; v <= ds->mirrored && !bad; v++)
		for (int t = 0; t < c->T && !bad; t++) {
			frame_from_records(ds, &cc->app, &cc->patch, v, c->T, t, a, p);
			bad = !all_finite(a, (size_t)ds->Da) || !all_finite(p, (size_t)ds->N * ds->Dp);
		}
	if (bad)
		note_bad(ld, c->id);
	c->rec_app = cc->app;
	c->rec_patch = cc->patch;
	return 0;
}

static int load_clip(void *ctx, const struct arpg_cache_clip *cc)
{
	struct loader *ld = ctx;
	struct dataset *ds = ld->ds;
	struct clip_data *c;
	size_t na, np;
	int T, bad, rc;

	if ((rc = dataset_check_clip(ds, cc, ld->err, ld->errn)) < 0)
		return rc;
	T = cc->info.frames;
	if (!(c = arpg_grow(ds->clips, &ld->cap, (size_t)ds->nclips + 1, sizeof *c)))
		return ARPG_ENOMEM;
	ds->clips = c;
	c += ds->nclips;
	memset(c, 0, sizeof *c);
	c->T = T;
	c->label = -1;
	if (!ld->want->per_frame && *cc->info.label &&
	    (c->label = find_label(ds, cc->info.label)) < 0)
		return arpg_errf(ld->err, ld->errn, ARPG_EFORMAT,
				 "clip %s: label \"%s\" is not in meta labels", cc->id, cc->info.label);
	snprintf(c->split, sizeof c->split, "%s", cc->info.split);
	na = (size_t)T * ds->Da;
	np = (size_t)T * ds->N * ds->Dp;
	c->id = strdup(cc->id);
	c->subject = strdup(cc->info.subject);
	ds->nclips++;	/* counted now, so that free() releases a partial clip */
	if (!c->id || !c->subject)
		return ARPG_ENOMEM;
	if (ld->want->per_frame && (rc = load_frame_labels(ld, c, cc)) < 0)
		return rc;
	if (!wants_features(ld, c->split))
		return 0;
	if (ld->want->features == FEAT_TRAIN)
		return map_clip(ld, c, cc);
	c->app = malloc(sizeof(float) * na);
	c->patch = malloc(sizeof(float) * np);
	if (ds->mirrored) {
		c->app_m = malloc(sizeof(float) * na);
		c->patch_m = malloc(sizeof(float) * np);
	}
	if (!c->app || !c->patch || (ds->mirrored && (!c->app_m || !c->patch_m)))
		return ARPG_ENOMEM;
	copy_view(ld, cc, 0, T, c->app, c->patch);
	bad = !all_finite(c->app, na) || !all_finite(c->patch, np);
	if (ds->mirrored) {
		copy_view(ld, cc, 1, T, c->app_m, c->patch_m);
		bad |= !all_finite(c->app_m, na) || !all_finite(c->patch_m, np);
	}
	if (bad)
		note_bad(ld, c->id);
	return 0;
}

int dataset_load(struct dataset *ds, const char *dir, const struct dataset_want *w, char *err,
		 size_t errn)
{
	struct arpg_cache *cache = NULL;
	static const struct dataset_want all = { 0 };
	struct loader ld = { .ds = ds, .want = w ? w : &all, .err = err, .errn = errn };
	const char *frames;
	int rc;

	memset(ds, 0, sizeof *ds);
	if ((rc = arpg_cache_open(&cache, dir, ARPG_CACHE_READ, err, errn)) < 0)
		return rc;
	if ((rc = arpg_cache_meta_read(cache, &ds->meta)) < 0)
		goto out;
	if ((rc = arpg_cache_layout_read(&ds->layout, &ds->meta, err, errn)) < 0 ||
	    (rc = meta_int(ds, "app_dim", &ds->Da, err, errn)) < 0 ||
	    (rc = meta_int(ds, "patch_dim", &ds->Dp, err, errn)) < 0 ||
	    (rc = split_labels(ds, ld.want->per_frame)) < 0)
		goto out;

	ds->G = w && w->grid ? w->grid : ds->layout.grids[0];
	if ((ds->grid_offset = arpg_cache_grid_offset(&ds->layout, ds->G)) < 0) {
		rc = arpg_errf(err, errn, ARPG_ENOENT, "the cache holds grid %s, not %d (extract "
			       "with arpg-features --grid %d)", arpg_kv_get(&ds->meta, "grid"), ds->G,
			       ds->G);
		goto out;
	}
	if (w && w->mirror && ds->layout.views < 2) {
		rc = arpg_errf(err, errn, ARPG_ENOENT, "the cache holds no mirrored views (extract "
			       "with arpg-features --flip)");
		goto out;
	}
	ds->mirrored = w && w->mirror;
	ds->N = ds->G * ds->G;
	frames = arpg_kv_get(&ds->meta, "frames");
	if (frames && strcmp(frames, "all") && (rc = meta_int(ds, "frames", &ds->frames, err, errn)) < 0)
		goto out;
	if (ld.want->features == FEAT_TRAIN) {
		/* the records stay where the walk finds them: the snapshot is
		 * held until dataset_free */
		if (!(ld.frame = malloc(sizeof(float) * ((size_t)ds->Da + (size_t)ds->N * ds->Dp)))) {
			rc = ARPG_ENOMEM;
			goto out;
		}
		if ((rc = arpg_cache_hold(cache)) < 0) {
			arpg_errf(err, errn, rc, "%s", arpg_cache_lmdb_error(cache));
			goto out;
		}
		ds->cache = cache;
		cache = NULL;
	}
	if ((rc = arpg_cache_foreach(ds->cache ? ds->cache : cache, load_clip, &ld)) < 0) {
		if (rc == ARPG_ENOMEM || (err && !*err))
			arpg_errf(err, errn, rc, "loading clips");
		goto out;
	}
	if (ld.nbad_num) {
		rc = arpg_errf(err, errn, ARPG_ENUMERIC, "%d clip%s NaN or Inf features: %s",
			       ld.nbad_num, ld.nbad_num > 1 ? "s hold" : " holds", ld.bad_list);
		goto out;
	}
	if (!ds->nclips)
		rc = arpg_errf(err, errn, ARPG_ENOENT, "the cache holds no clips");
out:
	arpg_cache_close(cache);
	free(ld.frame);
	if (rc < 0)
		dataset_free(ds);
	return rc;
}

void dataset_free(struct dataset *ds)
{
	int i;

	for (i = 0; i < ds->nclips; i++) {
		free(ds->clips[i].id);
		free(ds->clips[i].subject);
		free(ds->clips[i].frame_labels);
		free(ds->clips[i].app);
		free(ds->clips[i].patch);
		free(ds->clips[i].app_m);
		free(ds->clips[i].patch_m);
	}
	free(ds->clips);
	free_labels(ds->labels, ds->C);
	arpg_kv_free(&ds->meta);
	arpg_cache_close(ds->cache);	/* the records' memory: after the clips */
	memset(ds, 0, sizeof *ds);
}

int dataset_relabel(struct dataset *ds, const char *labels, char *err, size_t errn)
{
	char **l = NULL;
	int C = 0, rc, *map = NULL;

	if ((rc = parse_labels(labels, &l, &C)) < 0)
		goto out;
	if (!(map = malloc(sizeof(int) * (ds->C + 1)))) {
		rc = ARPG_ENOMEM;
		goto out;
	}
	for (int i = 0; i < ds->C; i++) {
		map[i] = -1;
		for (int j = 0; j < C && map[i] < 0; j++)
			if (!strcmp(ds->labels[i], l[j]))
				map[i] = j;
	}
	for (int i = 0; i < ds->nclips; i++) {
		int y = ds->clips[i].label;

		for (int t = 0; ds->clips[i].frame_labels && t < ds->clips[i].T && y < 0; t++)
			if (ds->clips[i].frame_labels[t] >= 0 && map[ds->clips[i].frame_labels[t]] < 0)
				y = ds->clips[i].frame_labels[t];
		if (y >= 0 && map[y] < 0) {
			rc = arpg_errf(err, errn, ARPG_EMISMATCH, "clip %s has label \"%s\", which is "
				       "not one of the model's (%s)", ds->clips[i].id, ds->labels[y],
				       labels);
			goto out;
		}
	}
	for (int i = 0; i < ds->nclips; i++) {
		struct clip_data *c = &ds->clips[i];

		if (c->label >= 0)
			c->label = map[c->label];
		for (int t = 0; c->frame_labels && t < c->T; t++)
			if (c->frame_labels[t] >= 0)
				c->frame_labels[t] = (signed char)map[c->frame_labels[t]];
	}
	free_labels(ds->labels, ds->C);
	ds->labels = l;
	ds->C = C;
	l = NULL;
	C = 0;
out:
	free_labels(l, C);
	free(map);
	return rc;
}

void sample_frames(int clip_T, int T, int jitter, uint64_t *rng, int *idx)
{
	for (int i = 0; i < T; i++) {
		double u = jitter ? rng_uniform(rng) : 0.5;
		int k = (int)floor((i + u) * clip_T / T);

		idx[i] = k < clip_T ? k : clip_T - 1;
	}
}

/* Clips b0..b1 of dataset_batch, their frames idx ((b - b0) x T) and
 * views view (b - b0) drawn: the copies, shared among the threads (one
 * thread copying a batch's 20 MB held the others up at -j 2). */
static void batch_copy(const struct dataset *ds, const int *sel, int b0, int b1, int T,
		       const int *idx, const uint8_t *view, float *app, float *patch)
{
	size_t pf = (size_t)ds->N * ds->Dp;
	int b;

#pragma omp parallel for schedule(static) if ((long)(b1 - b0) * T * pf > 262144L)
	for (b = b0; b < b1; b++) {
		const struct clip_data *c = &ds->clips[sel[b]];
		const float *ca = view[b - b0] ? c->app_m : c->app;
		const float *cp = view[b - b0] ? c->patch_m : c->patch;
		const int *ib = idx + (size_t)(b - b0) * T;

		for (int t = 0; t < T; t++) {
			memcpy(app + ((size_t)b * T + t) * ds->Da, ca + (size_t)ib[t] * ds->Da,
			       sizeof(float) * ds->Da);
			memcpy(patch + ((size_t)b * T + t) * pf, cp + (size_t)ib[t] * pf,
			       sizeof(float) * pf);
		}
	}
}

void dataset_batch(const struct dataset *ds, const int *sel, int B, int T, int jitter,
		   int flip, uint64_t *rng, float *app, float *patch, int *labels)
{
	enum { CHUNK = 4096 };
	int idx[CHUNK];
	uint8_t view[CHUNK];

	/* the draws in clip order, as many clips at a time as idx holds
	 * (the same draws for any thread count), then their copies */
	for (int b0 = 0, b1; b0 < B; b0 = b1) {
		b1 = B - b0 < CHUNK / T ? B : b0 + CHUNK / T;
		for (int b = b0; b < b1; b++) {
			const struct clip_data *c = &ds->clips[sel[b]];

			view[b - b0] = flip && ds->mirrored && rng_uniform(rng) < 0.5;
			sample_frames(c->T, T, jitter, rng, idx + (size_t)(b - b0) * T);
			if (labels)
				labels[b] = c->label;
		}
		batch_copy(ds, sel, b0, b1, T, idx, view, app, patch);
	}
}
