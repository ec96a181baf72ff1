/* --per-frame's windows (train/frames.c): training windows cover every
 * frame, hold a label, change phase with the epoch; evaluation windows
 * overlap by half and end with the clip; batches carry each frame's label
 * and -1 past a clip's end; the streamed evaluation merges windows by
 * their mean; training streamed from the cache's records is training on
 * the loaded floats, to the bit. */
#include "harness.h"
#include "cache.h"
#include "error.h"
#include "frames.h"
#include "layers.h"
#include "optim.h"
#include "run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { T = 4, DA = 2, DP = 1, NN = 1 };

/* A dataset of clips of the given lengths in memory: frame t of clip k
 * has app (k * 100 + t, -...) and label (t / 3) % 3, but -1 for frames 0-5
 * of clip 0. */
static void make_ds(struct dataset *ds, const int *len, int n)
{
	memset(ds, 0, sizeof *ds);
	ds->nclips = n;
	ds->clips = calloc((size_t)n, sizeof *ds->clips);
	ds->C = 3;
	ds->G = 1;
	ds->N = NN;
	ds->Da = DA;
	ds->Dp = DP;
	for (int k = 0; k < n; k++) {
		struct clip_data *c = &ds->clips[k];

		c->T = len[k];
		c->label = -1;
		c->frame_labels = malloc((size_t)len[k]);
		c->app = malloc(sizeof(float) * len[k] * DA);
		c->patch = malloc(sizeof(float) * len[k] * NN * DP);
		for (int t = 0; t < len[k]; t++) {
			c->frame_labels[t] = (signed char)(k == 0 && t < 6 ? -1 : (t / 3) % 3);
			c->app[t * DA] = (float)(k * 100 + t);
			c->app[t * DA + 1] = -(float)(k * 100 + t);
			c->patch[t] = (float)(k * 100 + t) + 0.5f;
		}
	}
}

static void free_ds(struct dataset *ds)
{
	for (int k = 0; k < ds->nclips; k++) {
		free(ds->clips[k].frame_labels);
		free(ds->clips[k].app);
		free(ds->clips[k].patch);
	}
	free(ds->clips);
}

ARPG_TEST(training_windows_cover_every_labelled_frame_each_epoch)
{
	static const int len[] = { 13, 4, 2, 30 };
	int idx[] = { 0, 1, 2, 3 }, starts0[64] = { 0 };
	struct dataset ds;
	long max, nw;
	struct window *w;
	uint64_t rng = 7;
	int differ = 0;

	make_ds(&ds, len, 4);
	max = frames_max_windows(&ds, idx, 4, T);
	w = malloc(sizeof *w * max);
	for (int epoch = 0; epoch < 6; epoch++) {
		int covered[4][30] = { { 0 } };

		nw = frames_train_windows(&ds, idx, 4, T, &rng, w);
		expect(nw >= 1 && nw <= max);
		for (long i = 0; i < nw; i++) {
			const struct clip_data *c = &ds.clips[w[i].clip];
			int any = 0;

			expect(w[i].start >= 0);
			expect(w[i].start + T <= c->T || w[i].start == 0);
			for (int t = w[i].start; t < w[i].start + T && t < c->T; t++) {
				covered[w[i].clip][t]++;
				any |= c->frame_labels[t] >= 0;
			}
			expect(any);	/* no window without a label */
		}
		for (int k = 0; k < 4; k++)
			for (int t = 0; t < len[k]; t++)
				if (!(ds.clips[k].frame_labels[t] < 0 || covered[k][t] >= 1))
					arpg_test_fail(__FILE__, __LINE__, "epoch %d: clip %d frame %d "
						       "in no window", epoch, k, t);
		/* clip 0's frames 0-3 hold no label: no window there */
		for (long i = 0; i < nw; i++)
			expect(!(w[i].clip == 0 && w[i].start + T <= 6));
		/* the order and the phases change with the epoch */
		for (long i = 0; i < nw && i < 64; i++) {
			differ |= epoch && starts0[i] != w[i].clip * 1000 + w[i].start;
			if (!epoch)
				starts0[i] = w[i].clip * 1000 + w[i].start;
		}
	}
	expect(differ);
	free(w);
	free_ds(&ds);
}

ARPG_TEST(evaluation_windows_overlap_by_half_and_end_with_the_clip)
{
	int s[16], n;

	n = frames_eval_starts(10, 4, s);
	expect_int(n, 4);
	expect_int(s[0], 0); expect_int(s[1], 2); expect_int(s[2], 4); expect_int(s[3], 6);
	n = frames_eval_starts(11, 4, s);
	expect_int(n, 5);
	expect_int(s[3], 6); expect_int(s[4], 7);
	n = frames_eval_starts(4, 4, s);
	expect_int(n, 1);
	expect_int(s[0], 0);
	n = frames_eval_starts(2, 4, s);
	expect_int(n, 1);
	n = frames_eval_starts(9, 5, s);	/* S = 3: 0, 3, then 4 */
	expect_int(n, 3);
	expect_int(s[1], 3); expect_int(s[2], 4);
	expect_int(frames_eval_count(1000, 16), (1000 - 16 + 7) / 8 + 1);
}

ARPG_TEST(a_batch_carries_each_frames_label_and_repeats_a_short_clips_last)
{
	static const int len[] = { 13, 2 };
	struct dataset ds;
	struct window w[2] = { { 0, 9 }, { 1, 0 } };
	float app[2 * T * DA], patch[2 * T * NN * DP];
	int labels[2 * T];

	make_ds(&ds, len, 2);
	frames_batch(&ds, w, 2, T, 0, NULL, app, patch, labels);
	for (int t = 0; t < T; t++) {
		expect_near(app[t * DA], 9 + t, 0);
		expect_near(patch[t], 9 + t + 0.5, 0);
		expect_int(labels[t], ((9 + t) / 3) % 3);
	}
	/* clip 1 holds 2 frames: the rest repeat frame 1 without a label */
	expect_near(app[(T + 0) * DA], 100, 0);
	expect_near(app[(T + 1) * DA], 101, 0);
	expect_near(app[(T + 3) * DA + 1], -101, 0);
	expect_int(labels[T + 1], 0);
	expect_int(labels[T + 2], -1);
	expect_int(labels[T + 3], -1);
	free_ds(&ds);
}

/* A cache of one val clip of L frames (grid 1, Da 2, Dp 1), its frame
 * labels (t % 3, -1 every fourth frame), features app[t] and patch[t]. */
static int write_clip(const char *dir, int L, const float *app, const float *patch,
		      const signed char *fl)
{
	static const char *const keys[] = { "format", "backbone", "grid", "frames", "app_dim",
					    "patch_dim", "dtype", "frame_labels" };
	const char *vals[] = { ARPG_CACHE_FORMAT, "test", "1", "all", "2", "1", "f32", "a,b,c" };
	struct arpg_kv kv = ARPG_KV_INIT;
	struct arpg_clip_info info = { 0 };
	struct arpg_cache *c;
	char err[200], faces[64];
	int src[64], rc;
	uint8_t ab[1024], pb[1024];
	uint32_t adims[2] = { (uint32_t)L, 2 }, pdims[3] = { (uint32_t)L, 1, 1 };
	long an, pn;

	if ((rc = arpg_cache_open(&c, dir, ARPG_CACHE_WRITE, err, sizeof err)) < 0)
		return rc;
	for (int k = 0; k < 8 && rc == 0; k++)
		rc = arpg_kv_set(&kv, keys[k], vals[k]);
	if (rc == 0)
		rc = arpg_cache_meta_put(c, &kv);
	arpg_kv_free(&kv);
	for (int t = 0; t < L; t++) {
		src[t] = t;
		faces[t] = '1';
	}
	faces[L] = 0;
	info.label = (char *)"";
	info.split = (char *)"val";
	info.subject = (char *)"";
	info.frames = L;
	info.src = src;
	info.faces = faces;
	info.frame_labels = (signed char *)fl;
	an = arpg_tensor_encode(ab, ARPG_F32, 2, adims, app);
	pn = arpg_tensor_encode(pb, ARPG_F32, 3, pdims, patch);
	if (rc == 0)
		rc = an < 0 || pn < 0 ? ARPG_EINVAL :
		     arpg_cache_put_clip(c, "v1", &info, ab, (size_t)an, pb, (size_t)pn);
	arpg_cache_close(c);
	return rc;
}

/* frames_eval's visitor: a copy of the merged probabilities. */
static int keep_probs(void *ctx, const struct clip_data *c, const float *probs)
{
	memcpy(ctx, probs, sizeof(float) * c->T * 3);
	return 0;
}

/* The streamed evaluation's per-frame probabilities are the mean of the
 * windows' (0, 2, 4, 6, 7 for 11 frames of windows of 4), as a forward
 * of each window by hand gives them; the scores count labelled frames. */
ARPG_TEST(evaluation_merges_overlapping_windows_by_their_mean)
{
	enum { L = 11, W = 4 };
	float app[L * 2], patch[L], got[L * 3], want[L * 3] = { 0 }, wa[W * 2], wp[W];
	signed char fl[L];
	int idx = 0, starts[8], n, count[L] = { 0 };
	uint64_t rng = 3;
	struct dataset ds;
	struct dataset_want w = { .per_frame = 1, .features = FEAT_NONE };
	struct model_config cfg;
	struct model *m = NULL;
	long cm[9] = { 0 }, nframes = 0, scored = 0;
	double loss;
	char err[300] = "";

	for (int t = 0; t < L; t++) {
		app[2 * t] = (float)rng_normal(&rng);
		app[2 * t + 1] = (float)rng_normal(&rng);
		patch[t] = (float)rng_normal(&rng);
		fl[t] = (signed char)(t % 4 == 3 ? -1 : t % 3);
	}
	expect_int(write_clip("c", L, app, patch, fl), 0);
	expect_int(dataset_load(&ds, "c", &w, err, sizeof err), 0);
	if (ds.nclips != 1) {
		arpg_test_fail(__FILE__, __LINE__, "%s", err);
		return;
	}
	expect(ds.clips[0].app == NULL && ds.clips[0].frame_labels != NULL);
	model_config_default(&cfg);
	cfg.T = W; cfg.G = 1; cfg.Dp = 1; cfg.Da = 2; cfg.D = 4; cfg.H = 1; cfg.C = 3;
	cfg.per_frame = 1;
	expect_int(model_create(&m, &cfg, 2, 5), 0);
	expect_int(frames_eval(m, &ds, "c", &idx, 1, 2, cm, &loss, &nframes, keep_probs, got,
			       NULL, NULL, err, sizeof err), 0);
	n = frames_eval_starts(L, W, starts);
	expect_int(nframes, (long)n * W);
	for (int k = 0; k < n; k++) {
		struct model_batch mb = { .B = 1, .app = wa, .patch = wp };

		memcpy(wa, app + starts[k] * 2, sizeof wa);
		memcpy(wp, patch + starts[k], sizeof wp);
		expect_int(model_forward(m, &mb, 0, NULL, NULL, NULL), 0);
		for (int t = 0; t < W; t++) {
			count[starts[k] + t]++;
			for (int c = 0; c < 3; c++)
				want[(starts[k] + t) * 3 + c] += model_probs(m)[t * 3 + c];
		}
	}
	for (int i = 0; i < L * 3; i++)
		expect_near(got[i], want[i] / count[i / 3], 1e-6);
	for (int i = 0; i < 9; i++)
		scored += cm[i];
	expect_int(scored, L - L / 4);
	model_free(m);
	dataset_free(&ds);
}

/* A per-frame cache in dir as arpg-features --flip --grid 1,2 --dtype f16
 * would write it (Da 3, Dp 2, 5 nodes a frame, two views): train clips of
 * 23, 9, 40 and 3 frames, val clips of 17 and 6, random features and
 * frame labels (-1 to 2). */
static void write_stream_cache(const char *dir)
{
	static const char *const keys[] = { "format", "backbone", "grid", "frames", "app_dim",
					    "patch_dim", "dtype", "frame_labels", "flip" };
	static const char *const vals[] = { ARPG_CACHE_FORMAT, "test", "1,2", "all", "3", "2",
					    "f16", "a,b,c", "yes" };
	static const int len[] = { 23, 9, 40, 3, 17, 6 };
	struct arpg_kv kv = ARPG_KV_INIT;
	struct arpg_cache *c = NULL;
	uint64_t rng = 21;
	char err[200];

	expect_int(arpg_cache_open(&c, dir, ARPG_CACHE_WRITE, err, sizeof err), 0);
	if (!c)
		return;
	for (int k = 0; k < 9; k++)
		expect_int(arpg_kv_set(&kv, keys[k], vals[k]), 0);
	expect_int(arpg_cache_meta_put(c, &kv), 0);
	arpg_kv_free(&kv);
	for (int k = 0; k < 6; k++) {
		int L = len[k], src[64];
		float app[2 * 64 * 3], patch[2 * 64 * 5 * 2];
		signed char fl[64];
		char faces[65], id[16];
		uint8_t ab[2048], pb[4096];
		uint32_t adims[3] = { 2, (uint32_t)L, 3 }, pdims[4] = { 2, (uint32_t)L, 5, 2 };
		struct arpg_clip_info info = { 0 };
		long an, pn;

		for (int t = 0; t < L; t++) {
			fl[t] = (signed char)((int)(rng_next(&rng) % 4) - 1);
			src[t] = t;
			faces[t] = '1';
		}
		faces[L] = 0;
		for (int i = 0; i < 2 * L * 3; i++)
			app[i] = (float)rng_normal(&rng);
		for (int i = 0; i < 2 * L * 5 * 2; i++)
			patch[i] = (float)rng_normal(&rng);
		info.label = (char *)"";
		info.split = (char *)(k < 4 ? "train" : "val");
		info.subject = (char *)"";
		info.frames = L;
		info.src = src;
		info.faces = faces;
		info.frame_labels = fl;
		snprintf(id, sizeof id, "%s%d", k < 4 ? "t" : "v", k);
		an = arpg_tensor_encode(ab, ARPG_F16, 3, adims, app);
		pn = arpg_tensor_encode(pb, ARPG_F16, 4, pdims, patch);
		expect(an > 0 && pn > 0 && (size_t)an <= sizeof ab && (size_t)pn <= sizeof pb);
		expect_int(arpg_cache_put_clip(c, id, &info, ab, (size_t)an, pb, (size_t)pn), 0);
	}
	arpg_cache_close(c);
}

/* What a run leaves: its JSON lines without the seconds, its parameters. */
struct trained {
	char *lines;
	size_t len;
	float *params;
	size_t np;
	int streamed;	/* the train clips were read from records, not copies */
};

/* Removes every "seconds":X, from s (the one thing that may differ). */
static void strip_seconds(char *s)
{
	char *p;

	while ((p = strstr(s, "\"seconds\":"))) {
		char *q = strchr(p, ',');

		if (!q)
			break;
		memmove(p, q + 1, strlen(q + 1) + 1);
	}
}

/* Three epochs of a per-frame run on the cache in "c", grid 2, with the
 * mirrored views (--augment flip), the training features as `features`
 * asks. */
static void train_once(int features, struct trained *tr)
{
	struct dataset ds;
	struct dataset_want w = { .grid = 2, .mirror = 1, .per_frame = 1, .features = features };
	struct model_config cfg;
	struct model *m = NULL;
	struct adam opt = { 0 };
	struct run_result res = { 0 };
	struct run_opts o = { .epochs = 3, .batch = 3, .T = 4, .seed = 11, .settings_json = "{}",
			      .per_frame = 1, .cache = "c", .augment = AUG_FLIP,
			      .plan = { .schedule = SCHED_CONSTANT, .lr = 1e-2 } };
	int train[8], val[8], ntrain = 0, nval = 0;
	char err[300] = "";
	FILE *f;

	memset(tr, 0, sizeof *tr);
	expect_int(dataset_load(&ds, "c", &w, err, sizeof err), 0);
	if (ds.nclips != 6) {
		arpg_test_fail(__FILE__, __LINE__, "%s", err);
		return;
	}
	for (int i = 0; i < ds.nclips; i++) {
		if (!strcmp(ds.clips[i].split, "train"))
			train[ntrain++] = i;
		else
			val[nval++] = i;
	}
	tr->streamed = ds.cache && !ds.clips[train[0]].app && ds.clips[train[0]].rec_app.count;
	model_config_default(&cfg);
	cfg.T = 4; cfg.G = 2; cfg.Dp = 2; cfg.Da = 3; cfg.D = 8; cfg.H = 2; cfg.C = 3;
	cfg.per_frame = 1;
	expect_int(model_create(&m, &cfg, o.batch, 5), 0);
	expect_int(adam_init(&opt, OPT_ADAM, model_nparams(m)), 0);
	opt.lr = 1e-2f;
	o.out = f = open_memstream(&tr->lines, &tr->len);
	expect_int(run_train(m, &opt, &ds, &o, train, ntrain, val, nval, &res, err, sizeof err), 0);
	fclose(f);
	strip_seconds(tr->lines);
	tr->np = model_nparams(m);
	tr->params = malloc(sizeof(float) * tr->np);
	memcpy(tr->params, model_params(m), sizeof(float) * tr->np);
	free(res.confusion);
	adam_free(&opt);
	model_free(m);
	dataset_free(&ds);
}

ARPG_TEST(training_streamed_from_the_cache_is_training_on_loaded_floats)
{
	struct trained copied, streamed;

	write_stream_cache("c");
	train_once(FEAT_ALL, &copied);
	train_once(FEAT_TRAIN, &streamed);
	expect(!copied.streamed && streamed.streamed);
	if (!copied.lines || !streamed.lines)
		return;
	/* three epochs of a train and a val line, with f1_class per frame */
	expect(strstr(copied.lines, "\"epoch\":3,\"split\":\"val\"") != NULL);
	if (strcmp(copied.lines, streamed.lines))
		arpg_test_fail(__FILE__, __LINE__, "the JSON lines differ:\n%s---\n%s",
			       copied.lines, streamed.lines);
	expect(copied.np == streamed.np &&
	       !memcmp(copied.params, streamed.params, sizeof(float) * copied.np));
	free(copied.lines);
	free(copied.params);
	free(streamed.lines);
	free(streamed.params);
}
