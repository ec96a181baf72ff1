/* frames.c - --per-frame windows, batches and the streaming evaluation
 * (see frames.h). */
#include "frames.h"
#include "cache.h"
#include "error.h"
#include "layers.h"
#include "metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

long frames_max_windows(const struct dataset *ds, const int *idx, int n, int T)
{
	long w = 0;

	/* k T - o for k = 0 .. ceil((L + o) / T) - 1, o < T */
	for (int i = 0; i < n; i++)
		w += ds->clips[idx[i]].T / T + 2;
	return w;
}

/* Whether frames start..start+T-1 of c hold a label. */
static int has_label(const struct clip_data *c, int start, int T)
{
	for (int t = start; t < start + T && t < c->T; t++)
		if (c->frame_labels[t] >= 0)
			return 1;
	return 0;
}

long frames_train_windows(const struct dataset *ds, const int *idx, int n, int T,
			  uint64_t *rng, struct window *w)
{
	long nw = 0;

	for (int i = 0; i < n; i++) {
		const struct clip_data *c = &ds->clips[idx[i]];
		int o = (int)(rng_next(rng) % (uint64_t)T), last = c->T > T ? c->T - T : 0;

		if (!c->frame_labels)
			continue;
		for (long s = -o; s < c->T; s += T) {
			int start = s < 0 ? 0 : s > last ? last : (int)s;

			if (has_label(c, start, T))
				w[nw++] = (struct window){ idx[i], start };
		}
	}
	for (long i = nw - 1; i > 0; i--) {
		long j = (long)(rng_next(rng) % (uint64_t)(i + 1));
		struct window t = w[i];

		w[i] = w[j];
		w[j] = t;
	}
	return nw;
}

int frames_eval_count(int L, int T)
{
	int S = (T + 1) / 2;

	return L <= T ? 1 : (L - T + S - 1) / S + 1;
}

int frames_eval_starts(int L, int T, int *starts)
{
	int n = frames_eval_count(L, T), S = (T + 1) / 2;

	for (int k = 0; k < n; k++)
		starts[k] = k == n - 1 && L > T ? L - T : k * S;
	return n;
}

void frames_batch(const struct dataset *ds, const struct window *w, int B, int T, int flip,
		  uint64_t *rng, float *app, float *patch, int *labels)
{
	size_t pf = (size_t)ds->N * ds->Dp;

	for (int b = 0; b < B; b++) {
		const struct clip_data *c = &ds->clips[w[b].clip];
		int view = flip && ds->mirrored && rng_uniform(rng) < 0.5;

		for (int t = 0; t < T; t++) {
			int f = w[b].start + t, k = f < c->T ? f : c->T - 1;

			dataset_clip_frame(ds, c, view, k, app + ((size_t)b * T + t) * ds->Da,
					   patch + ((size_t)b * T + t) * pf);
			labels[(size_t)b * T + t] = f < c->T && c->frame_labels ? c->frame_labels[f] : -1;
		}
	}
}

/* The evaluation's state, across clips. */
struct eval {
	struct model *m;
	const struct dataset *ds;
	const struct clip_data *clip;	/* the one read */
	int T, batch;
	float *app, *patch;	/* batch x T x Da, batch x T x N x Dp */
	long *cm;
	double loss;
	long scored, nframes;
	frames_clip_fn fn;
	void *ctx;
	const volatile sig_atomic_t *stop;
	char *err;
	size_t errn;
};

/* Scores a clip's merged probabilities (L x C) against its frame labels. */
static void score_clip(struct eval *ev, const struct clip_data *c, const float *probs)
{
	int C = ev->ds->C;

	for (int t = 0; c->frame_labels && t < c->T; t++) {
		int y = c->frame_labels[t];

		if (y < 0)
			continue;
		ev->cm[y * C + metrics_argmax(probs + (size_t)t * C, C)]++;
		ev->loss += -log(fmax(probs[(size_t)t * C + y], 1e-30));
		ev->scored++;
	}
}

/* arpg_cache_get_clip's visitor: the windows of one clip, batch by batch,
 * their frames read from the cache's records. */
static int eval_clip(void *ctx, const struct arpg_cache_clip *cc)
{
	struct eval *ev = ctx;
	const struct dataset *ds = ev->ds;
	const struct clip_data *c = ev->clip;
	int L = cc->info.frames, T = ev->T, C = ds->C, nw, *starts = NULL, *count = NULL, rc;
	size_t pf = (size_t)ds->N * ds->Dp;
	float *probs = NULL;

	if ((rc = dataset_check_clip(ds, cc, ev->err, ev->errn)) < 0)
		return rc;
	if (L != c->T)
		return arpg_errf(ev->err, ev->errn, ARPG_EFORMAT, "clip %s changed while it was read "
				 "(%d frames, then %d)", cc->id, c->T, L);
	nw = frames_eval_count(L, T);
	starts = malloc(sizeof *starts * nw);
	count = calloc((size_t)L, sizeof *count);
	probs = calloc((size_t)L * C, sizeof *probs);
	if (!starts || !count || !probs) {
		rc = ARPG_ENOMEM;
		goto out;
	}
	frames_eval_starts(L, T, starts);
	for (int s = 0; s < nw; s += ev->batch) {
		int B = nw - s < ev->batch ? nw - s : ev->batch;
		struct model_batch mb = { .B = B, .app = ev->app, .patch = ev->patch };
		const float *p;

		if (ev->stop && *ev->stop) {
			rc = ARPG_EINTR;
			goto out;
		}
		for (int b = 0; b < B; b++)
			for (int t = 0; t < T; t++) {
				int f = starts[s + b] + t;

				dataset_frame_from_cache(ds, cc, 0, L, f < L ? f : L - 1,
							 ev->app + ((size_t)b * T + t) * ds->Da,
							 ev->patch + ((size_t)b * T + t) * pf);
			}
		if ((rc = model_forward(ev->m, &mb, 0, NULL, NULL, NULL)) < 0)
			goto out;
		ev->nframes += (long)B * T;
		p = model_probs(ev->m);
		for (size_t i = 0; i < (size_t)B * T * C; i++)
			if (!isfinite(p[i])) {
				rc = arpg_errf(ev->err, ev->errn, ARPG_ENUMERIC, "clip %s: its features "
					       "near frame %d hold NaN or Inf", cc->id, starts[s]);
				goto out;
			}
		for (int b = 0; b < B; b++)
			for (int t = 0; t < T && starts[s + b] + t < L; t++) {
				int f = starts[s + b] + t;

				count[f]++;
				for (int k = 0; k < C; k++)
					probs[(size_t)f * C + k] += p[((size_t)b * T + t) * C + k];
			}
	}
	for (int f = 0; f < L; f++)
		for (int k = 0; k < C; k++)
			probs[(size_t)f * C + k] /= (float)count[f];
	score_clip(ev, c, probs);
	if (ev->fn)
		rc = ev->fn(ev->ctx, c, probs);
out:
	free(starts);
	free(count);
	free(probs);
	return rc;
}

int frames_eval(struct model *m, const struct dataset *ds, const char *dir, const int *idx,
		int n, int batch, long *cm, double *loss, long *nframes, frames_clip_fn fn,
		void *ctx, struct arpg_progress *prog, const volatile sig_atomic_t *stop,
		char *err, size_t errn)
{
	int T = model_config(m)->T, rc = 0;
	struct eval ev = { .m = m, .ds = ds, .T = T, .batch = batch, .cm = cm, .fn = fn,
			   .ctx = ctx, .stop = stop, .err = err, .errn = errn };
	struct arpg_cache *cache = NULL;

	ev.app = malloc(sizeof(float) * batch * T * ds->Da);
	ev.patch = malloc(sizeof(float) * batch * T * ds->N * ds->Dp);
	if (!ev.app || !ev.patch) {
		rc = ARPG_ENOMEM;
		goto out;
	}
	/* ds's own cache when it holds one: LMDB wants an environment opened
	 * once per process (closing a second one drops the first's locks) */
	if (!ds->cache && (rc = arpg_cache_open(&cache, dir, ARPG_CACHE_READ, err, errn)) < 0)
		goto out;
	for (int i = 0; i < n && rc == 0; i++) {
		ev.clip = &ds->clips[idx[i]];
		rc = arpg_cache_get_clip(ds->cache ? ds->cache : cache, ev.clip->id, eval_clip, &ev);
		if (prog)
			arpg_progress_add(prog, ev.clip->T);
		if (rc == ARPG_ENOENT)
			rc = arpg_errf(err, errn, rc, "clip %s is no longer in the cache", ev.clip->id);
	}
out:
	arpg_cache_close(cache);
	free(ev.app);
	free(ev.patch);
	if (loss)
		*loss = ev.scored ? ev.loss / ev.scored : 0;
	if (nframes)
		*nframes = ev.nframes;
	return rc;
}
