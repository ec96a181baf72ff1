/* tune_run.c - --tune-backbone in a training run (see tune_run.h). */
#include "tune_run.h"
#include "error.h"
#include "fileio.h"
#include "optim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tune_run {
	struct tune_backbone bb;	/* the file and its tail */
	struct tune *t;			/* bb.t */
	struct arpg_cache *cache;
	struct adam opt;
	int T, Da, max_batch;
	size_t map;		/* C*H*W */
	float *dapp;		/* max_batch x T x Da (model_set_dapp) */
	int B;			/* the last batch's clips, whose values the tail keeps */
	struct dataset eval;	/* ds with tuned clips (eval_set) */
	struct clip_data *eval_clips;
	float *eval_app;	/* the tuned vectors of the evaluated clips */
	size_t eval_cap;
};

struct tune *tune_run_tail(struct tune_run *r) { return r->t; }
const struct tune_backbone *tune_run_backbone(const struct tune_run *r) { return &r->bb; }
struct adam *tune_run_optimizer(struct tune_run *r) { return &r->opt; }

void tune_run_free(struct tune_run *r)
{
	if (!r)
		return;
	tune_backbone_free(&r->bb);
	arpg_cache_close(r->cache);
	adam_free(&r->opt);
	free(r->dapp);
	free(r->eval_clips);
	free(r->eval_app);
	free(r);
}

int tune_run_open(struct tune_run **rp, const char *path, const char *cache_dir,
		  const struct dataset *ds, struct model *m, int max_batch, int T, double lr,
		  char *err, size_t errn)
{
	struct tune_run *r = calloc(1, sizeof *r);
	const char *maps = arpg_kv_get(&ds->meta, "maps");
	const char *shape = arpg_kv_get(&ds->meta, "maps_shape");
	const char *node = arpg_kv_get(&ds->meta, "patch_node");
	const char *sha = arpg_kv_get(&ds->meta, "backbone_sha256");
	char why[400];
	unsigned c, h, w;
	char end;
	int rc;

	*rp = NULL;
	if (!r)
		return ARPG_ENOMEM;
	if (!maps || !strcmp(maps, "no") || !shape || !node ||
	    sscanf(shape, "%u,%u,%u%c", &c, &h, &w, &end) != 3) {
		rc = arpg_errf(err, errn, ARPG_EFORMAT, "%s: the cache holds no maps (make it with "
			       "arpg-features --maps)", cache_dir);
		goto fail;
	}
	/* a batch's frames in one forward, kept for the backward */
	if ((rc = tune_backbone_open(&r->bb, path, sha, node, (int)c, (int)h, (int)w,
				     max_batch * T, err, errn)) < 0) {
		if (rc == ARPG_EMISMATCH)
			arpg_errf(err, errn, rc, "%s is not the backbone the cache's maps come "
				  "from (meta backbone %s, SHA-256 %.12s...)", path,
				  arpg_kv_get(&ds->meta, "backbone") ?
				  arpg_kv_get(&ds->meta, "backbone") : "?", sha);
		goto fail;
	}
	r->t = r->bb.t;
	if (tune_out_dim(r->t) != ds->Da) {
		rc = arpg_errf(err, errn, ARPG_EMISMATCH, "%s: the tail gives %d values, the cache's "
			       "appearance vectors %d", path, tune_out_dim(r->t), ds->Da);
		goto fail;
	}
	if ((rc = arpg_cache_open(&r->cache, cache_dir, ARPG_CACHE_READ, why, sizeof why)) < 0) {
		rc = arpg_errf(err, errn, rc, "%s: %s", cache_dir, why);
		goto fail;
	}
	r->T = T;
	r->Da = ds->Da;
	r->max_batch = max_batch;
	r->map = tune_in_dim(r->t);
	r->dapp = malloc(sizeof *r->dapp * (size_t)max_batch * T * ds->Da);
	if (!r->dapp || (rc = adam_init(&r->opt, OPT_ADAM, r->t->nparams)) < 0) {
		rc = ARPG_ENOMEM;
		goto fail;
	}
	r->opt.lr = (float)lr;
	model_set_dapp(m, r->dapp);
	*rp = r;
	return 0;
fail:
	tune_run_free(r);
	return rc;
}

struct fetch {
	const struct tune_run *r;
	float *dst;		/* n maps */
	const int *idx;		/* frames wanted */
	int n;
	int rc;
	char why[300];
};

static int fetch_frames(void *ctx, const struct arpg_cache_clip *cc)
{
	struct fetch *f = ctx;
	const struct tune_run *r = f->r;

	if (cc->bad || !cc->has_maps || cc->maps.rank != 4 ||
	    (size_t)cc->maps.dims[1] * cc->maps.dims[2] * cc->maps.dims[3] != r->map) {
		f->rc = arpg_errf(f->why, sizeof f->why, ARPG_EFORMAT, "clip %s: %s", cc->id,
				  cc->bad ? cc->why : "no maps record of the cache's maps_shape");
		return f->rc;
	}
	for (int t = 0; t < f->n; t++) {
		if (f->idx[t] < 0 || (uint32_t)f->idx[t] >= cc->maps.dims[0]) {
			f->rc = arpg_errf(f->why, sizeof f->why, ARPG_EFORMAT, "clip %s: %u maps, "
					  "frame %d wanted", cc->id, cc->maps.dims[0], f->idx[t]);
			return f->rc;
		}
		arpg_tensor_range_to_f32(f->dst + (size_t)t * r->map, &cc->maps,
					 (size_t)f->idx[t] * r->map, r->map);
	}
	return 0;
}

/* The maps of frames idx[0..n) of clip c into dst. */
static int load_maps(struct tune_run *r, const struct clip_data *c, float *dst, const int *idx,
		     int n, char *err, size_t errn)
{
	struct fetch f = { r, dst, idx, n, 0, "" };
	int rc = arpg_cache_get_clip(r->cache, c->id, fetch_frames, &f);

	if (rc < 0)
		return arpg_errf(err, errn, rc, "%s", f.rc ? f.why : rc == ARPG_ENOENT
				 ? "a clip is gone from the cache" : arpg_cache_lmdb_error(r->cache));
	return 0;
}

/* The batch's B*T frames in one forward (their maps read in place), whose
 * values the tail keeps for tune_run_step. */
int tune_run_batch(struct tune_run *r, const struct dataset *ds, const int *sel, int B,
		   float *app, char *err, size_t errn)
{
	float *in = tune_input(r->t);
	int idx[4096], rc;

	for (int b = 0; b < B; b++) {
		sample_frames(ds->clips[sel[b]].T, r->T, 0, NULL, idx);
		if ((rc = load_maps(r, &ds->clips[sel[b]], in + (size_t)b * r->T * r->map, idx, r->T,
				    err, errn)) < 0)
			return rc;
	}
	tune_forward(r->t, in, B * r->T, app);
	r->B = B;
	return 0;
}

void tune_run_step(struct tune_run *r)
{
	tune_zero_grads(r->t);
	tune_backward(r->t, r->dapp, r->B * r->T);
	adam_step(&r->opt, r->t->params, r->t->grads);
}

int tune_run_eval_set(struct tune_run *r, const struct dataset *ds, const int *idx, int n,
		      const struct dataset **out, char *err, size_t errn)
{
	size_t need = 0, off = 0;
	int fr[4096], rc, most = r->t->max_n < 4096 ? r->t->max_n : 4096;
	float *in = tune_input(r->t);

	for (int i = 0; i < n; i++)
		need += (size_t)ds->clips[idx[i]].T * r->Da;
	if (need > r->eval_cap) {
		float *p = realloc(r->eval_app, sizeof *p * need);

		if (!p)
			return ARPG_ENOMEM;
		r->eval_app = p;
		r->eval_cap = need;
	}
	if (!r->eval_clips &&
	    !(r->eval_clips = malloc(sizeof *r->eval_clips * (size_t)(ds->nclips ? ds->nclips : 1))))
		return ARPG_ENOMEM;
	memcpy(r->eval_clips, ds->clips, sizeof *r->eval_clips * (size_t)ds->nclips);
	r->eval = *ds;
	r->eval.clips = r->eval_clips;
	for (int i = 0; i < n; i++) {
		struct clip_data *c = &r->eval_clips[idx[i]];

		for (int s = 0; s < c->T; s += most) {	/* every cached frame */
			int k = c->T - s < most ? c->T - s : most;

			for (int j = 0; j < k; j++)
				fr[j] = s + j;
			if ((rc = load_maps(r, c, in, fr, k, err, errn)) < 0)
				return rc;
			tune_forward(r->t, in, k, r->eval_app + off + (size_t)s * r->Da);
		}
		c->app = r->eval_app + off;
		off += (size_t)c->T * r->Da;
	}
	*out = &r->eval;
	return 0;
}

int tune_run_restore(struct tune_run *r, const struct checkpoint *ck, int opt, char *err,
		     size_t errn)
{
	int rc = tune_backbone_restore(&r->bb, ck, err, errn);

	if (rc < 0 || !opt)
		return rc;
	if (!ck->tail.has_opt)
		return arpg_errf(err, errn, ARPG_EMISMATCH, "the file holds no optimizer state of "
				 "the tuned backbone, so training cannot go on exactly");
	memcpy(r->opt.m, ck->tail.m, sizeof(float) * ck->tail.n);
	memcpy(r->opt.v, ck->tail.v, sizeof(float) * ck->tail.n);
	r->opt.step = ck->tail.step;
	return 0;
}
