/* Loading a feature cache for training: caches written here with the
 * cache API, read back with dataset_load; frame sampling for evaluation
 * (segment centres) and training (jitter within segments); batches. */
#include "harness.h"
#include "cache.h"
#include "data.h"
#include "error.h"
#include "run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { G = 2, N = G * G, DA = 3, DP = 2, MAXT = 8 };

/* A clip to write: the values are a function of (k, t, d), exact in f16. */
struct fake {
	const char *id, *label, *split, *subject;
	int T;
};

static float app_value(int k, int t, int d)
{
	return (float)(k * 16 + t) + 0.25f * d;
}

static float patch_value(int k, int t, int j)	/* j = node * DP + d */
{
	return -(float)(k * 16 + t) - 0.25f * j;
}

/* Writes a cache in dir: meta (frames, labels, and app_dim as given),
 * then the clips; clip `nan_clip` gets a NaN patch value. */
static int write_cache(const char *dir, const char *frames, const char *labels, int app_dim,
		       int dtype, const struct fake *clips, int n, int nan_clip)
{
	struct arpg_cache *c;
	char err[200], da[16];
	const char *keys[] = { "format", "backbone", "grid", "frames", "app_dim", "patch_dim",
			       "dtype", "labels" };
	const char *vals[8];
	int rc;

	snprintf(da, sizeof da, "%d", app_dim);
	vals[0] = ARPG_CACHE_FORMAT;
	vals[1] = "test";
	vals[2] = "2";
	vals[3] = frames;
	vals[4] = da;
	vals[5] = "2";
	vals[6] = dtype == ARPG_F16 ? "f16" : "f32";
	vals[7] = labels;
	if ((rc = arpg_cache_open(&c, dir, ARPG_CACHE_WRITE, err, sizeof err)) < 0)
		return rc;
	{
		struct arpg_kv kv = ARPG_KV_INIT;

		for (int k = 0, nk = labels ? 8 : 7; k < nk && rc == 0; k++)
			rc = arpg_kv_set(&kv, keys[k], vals[k]);
		if (rc == 0)
			rc = arpg_cache_meta_put(c, &kv);
		arpg_kv_free(&kv);
	}
	for (int k = 0; k < n && rc == 0; k++) {
		struct arpg_clip_info info = { 0 };
		int T = clips[k].T, src[MAXT];
		char faces[MAXT + 1];
		float app[MAXT * DA], patch[MAXT * N * DP];
		uint8_t ab[512], pb[1024];
		uint32_t adims[2] = { (uint32_t)T, DA }, pdims[3] = { (uint32_t)T, N, DP };
		long an, pn;

		for (int t = 0; t < T; t++) {
			for (int d = 0; d < DA; d++)
				app[t * DA + d] = app_value(k, t, d);
			for (int j = 0; j < N * DP; j++)
				patch[t * N * DP + j] = patch_value(k, t, j);
			src[t] = t;
			faces[t] = '1';
		}
		faces[T] = 0;
		if (k == nan_clip)
			patch[1] = NAN;
		info.label = (char *)clips[k].label;
		info.split = (char *)clips[k].split;
		info.subject = (char *)clips[k].subject;
		info.frames = T;
		info.src = src;
		info.faces = faces;
		an = arpg_tensor_encode(ab, dtype, 2, adims, app);
		pn = arpg_tensor_encode(pb, dtype, 3, pdims, patch);
		rc = an < 0 || pn < 0 ? ARPG_EINVAL :
		     arpg_cache_put_clip(c, clips[k].id, &info, ab, (size_t)an, pb, (size_t)pn);
	}
	arpg_cache_close(c);
	return rc;
}

/* Written in another order than their ids: the loader keeps id order. */
static const struct fake CLIPS[] = {
	{ "b_clip", "Sad", "val", "s2", 4 },
	{ "a_clip", "Happy", "train", "s1", 4 },
	{ "c_clip", "", "test", "", 4 },
};

/* Every value of clip i of ds is the one written for fake k. */
static void expect_values(const struct dataset *ds, int i, int k)
{
	const struct clip_data *c = &ds->clips[i];
	int bad = 0;

	for (int t = 0; t < c->T; t++) {
		for (int d = 0; d < DA; d++)
			bad += c->app[t * DA + d] != app_value(k, t, d);
		for (int j = 0; j < N * DP; j++)
			bad += c->patch[t * N * DP + j] != patch_value(k, t, j);
	}
	if (bad)
		arpg_test_fail(__FILE__, __LINE__, "clip %s: %d values differ", c->id, bad);
}

static void loads_a_cache(int dtype)
{
	struct dataset ds;
	char err[300] = "";

	expect_int(write_cache("c", "4", "Happy,Sad,Fear", DA, dtype, CLIPS, 3, -1), 0);
	expect_int(dataset_load(&ds, "c", NULL, err, sizeof err), 0);
	expect_int(ds.nclips, 3);
	expect_int(ds.C, 3);
	if (ds.nclips != 3 || ds.C != 3) {
		dataset_free(&ds);
		return;
	}
	expect_str(ds.labels[0], "Happy");
	expect_str(ds.labels[2], "Fear");
	expect_int(ds.G, G);
	expect_int(ds.N, N);
	expect_int(ds.Da, DA);
	expect_int(ds.Dp, DP);
	expect_int(ds.frames, 4);
	expect_str(arpg_kv_get(&ds.meta, "backbone"), "test");
	expect_str(ds.meta.keys[0], "app_dim");		/* the whole meta, in key order */
	expect_str(ds.clips[0].id, "a_clip");
	expect_str(ds.clips[1].id, "b_clip");
	expect_str(ds.clips[2].id, "c_clip");
	expect_int(ds.clips[0].label, 0);
	expect_int(ds.clips[1].label, 1);
	expect_int(ds.clips[2].label, -1);
	expect_str(ds.clips[1].split, "val");
	expect_str(ds.clips[0].subject, "s1");
	expect_str(ds.clips[2].subject, "");
	expect_int(ds.clips[0].T, 4);
	expect_values(&ds, 0, 1);
	expect_values(&ds, 1, 0);
	expect_values(&ds, 2, 2);
	dataset_free(&ds);
	expect(ds.nclips == 0 && !ds.clips && !ds.meta.n);
}

ARPG_TEST(loads_clips_in_id_order_with_label_split_subject)
{
	loads_a_cache(ARPG_F32);
}

ARPG_TEST(f16_records_load_as_the_same_floats)
{
	loads_a_cache(ARPG_F16);
}

ARPG_TEST(frames_all_keeps_each_clips_length)
{
	static const struct fake clips[] = {
		{ "x", "Happy", "train", "", 3 }, { "y", "Sad", "train", "", 7 },
	};
	struct dataset ds;
	char err[300] = "";

	expect_int(write_cache("c", "all", "Happy,Sad", DA, ARPG_F32, clips, 2, -1), 0);
	expect_int(dataset_load(&ds, "c", NULL, err, sizeof err), 0);
	expect_int(ds.frames, 0);
	expect_int(ds.nclips, 2);
	if (ds.nclips == 2) {
		expect_int(ds.clips[0].T, 3);
		expect_int(ds.clips[1].T, 7);
		expect_values(&ds, 1, 1);
	}
	dataset_free(&ds);
}

ARPG_TEST(a_label_not_in_meta_is_refused)
{
	struct dataset ds;
	char err[300] = "";

	expect_int(write_cache("c", "4", "Happy,Fear", DA, ARPG_F32, CLIPS, 3, -1), 0);
	expect_int(dataset_load(&ds, "c", NULL, err, sizeof err), ARPG_EFORMAT);
	expect(strstr(err, "b_clip") && strstr(err, "\"Sad\" is not in meta labels"));
	expect(ds.nclips == 0 && !ds.clips);
}

ARPG_TEST(records_that_disagree_with_meta_are_refused)
{
	struct dataset ds;
	char err[300] = "";

	/* meta says app_dim 5, the records hold 3 */
	expect_int(write_cache("c", "4", "Happy,Sad", 5, ARPG_F32, CLIPS, 2, -1), 0);
	expect_int(dataset_load(&ds, "c", NULL, err, sizeof err), ARPG_EFORMAT);
	expect(strstr(err, "app record does not have shape (4, 5)") != NULL);
}

ARPG_TEST(nan_features_are_refused_with_the_clip_named)
{
	struct dataset ds;
	char err[300] = "";

	expect_int(write_cache("c", "4", "Happy,Sad", DA, ARPG_F32, CLIPS, 3, 0), 0);
	expect_int(dataset_load(&ds, "c", NULL, err, sizeof err), ARPG_ENUMERIC);
	expect(strstr(err, "1 clip holds NaN or Inf features: b_clip") != NULL);
}

ARPG_TEST(meta_without_labels_or_clips_is_refused)
{
	struct dataset ds;
	char err[300] = "";

	expect_int(write_cache("nolabels", "4", NULL, DA, ARPG_F32, CLIPS, 3, -1), 0);
	expect_int(dataset_load(&ds, "nolabels", NULL, err, sizeof err), ARPG_EFORMAT);
	expect(strstr(err, "labels") != NULL);
	expect_int(write_cache("empty", "4", "Happy,Sad", DA, ARPG_F32, CLIPS, 0, -1), 0);
	expect_int(dataset_load(&ds, "empty", NULL, err, sizeof err), ARPG_ENOENT);
}

/* A value of a clip in a cache of two grids (2 and 1: five nodes a frame)
 * and two views: distinct for every (view, t, node, d). */
static float layout_value(int view, int t, int node, int d)
{
	return (float)(1000 * view + 100 * t + 10 * node + d);
}

/* Writes one clip "m" of T frames into dir, with meta grid "2,1" and flip
 * "yes" (views 2) or without flip (views 1). */
static int write_layout_cache(const char *dir, int views, int T)
{
	struct arpg_cache *c;
	struct arpg_kv kv = ARPG_KV_INIT;
	struct arpg_clip_info info = { 0 };
	int src[8], rc = 0;
	char err[200], faces[9] = "11111111", t_s[8];
	float app[2 * 8 * DA], patch[2 * 8 * 5 * DP];
	uint8_t ab[1024], pb[2048];
	uint32_t ad[3] = { 2, (uint32_t)T, DA }, pd[4] = { 2, (uint32_t)T, 5, DP };
	long an, pn;

	snprintf(t_s, sizeof t_s, "%d", T);
	if ((rc = arpg_cache_open(&c, dir, ARPG_CACHE_WRITE, err, sizeof err)) < 0)
		return rc;
	rc |= arpg_kv_set(&kv, "format", ARPG_CACHE_FORMAT);
	rc |= arpg_kv_set(&kv, "grid", "2,1");
	rc |= arpg_kv_set(&kv, "frames", t_s);
	rc |= arpg_kv_set(&kv, "app_dim", "3");
	rc |= arpg_kv_set(&kv, "patch_dim", "2");
	rc |= arpg_kv_set(&kv, "labels", "Happy,Sad");
	if (views > 1)
		rc |= arpg_kv_set(&kv, "flip", "yes");
	if (rc == 0)
		rc = arpg_cache_meta_put(c, &kv);
	arpg_kv_free(&kv);
	for (int v = 0; v < views; v++)
		for (int t = 0; t < T; t++) {
			for (int d = 0; d < DA; d++)
				app[(v * T + t) * DA + d] = layout_value(v, t, 9, d);
			for (int n = 0; n < 5; n++)
				for (int d = 0; d < DP; d++)
					patch[((v * T + t) * 5 + n) * DP + d] = layout_value(v, t, n, d);
		}
	for (int t = 0; t < T; t++)
		src[t] = t;
	faces[T] = 0;
	info.label = "Sad";
	info.split = "train";
	info.subject = "";
	info.frames = T;
	info.src = src;
	info.faces = faces;
	an = arpg_tensor_encode(ab, ARPG_F32, views > 1 ? 3 : 2, ad + (views == 1), app);
	pn = arpg_tensor_encode(pb, ARPG_F32, views > 1 ? 4 : 3, pd + (views == 1), patch);
	if (rc == 0)
		rc = arpg_cache_put_clip(c, "m", &info, ab, (size_t)an, pb, (size_t)pn);
	arpg_cache_close(c);
	return rc;
}

ARPG_TEST(a_grid_of_a_list_and_the_mirrored_views_load)
{
	struct dataset_want w = { .grid = 1, .mirror = 1 };
	struct dataset ds;
	char err[300] = "";
	float app[4 * 4 * DA], patch[4 * 4 * 1 * DP];
	int sel[4] = { 0, 0, 0, 0 }, labels[4], bad = 0, mirrored = 0;
	uint64_t rng = 3;

	expect_int(write_layout_cache("c", 2, 4), 0);
	/* the second grid (1x1: node 4 of each frame), both views */
	expect_int(dataset_load(&ds, "c", &w, err, sizeof err), 0);
	if (ds.nclips != 1) {
		arpg_test_fail(__FILE__, __LINE__, "%s", err);
		return;
	}
	expect_int(ds.G, 1);
	expect_int(ds.N, 1);
	expect_int(ds.layout.nodes, 5);
	expect_int(ds.layout.views, 2);
	for (int v = 0; v < 2; v++)
		for (int t = 0; t < 4; t++) {
			const float *a = v ? ds.clips[0].app_m : ds.clips[0].app;
			const float *p = v ? ds.clips[0].patch_m : ds.clips[0].patch;

			for (int d = 0; d < DA; d++)
				bad += a[t * DA + d] != layout_value(v, t, 9, d);
			for (int d = 0; d < DP; d++)
				bad += p[t * DP + d] != layout_value(v, t, 4, d);
		}
	expect_int(bad, 0);
	/* training with flip takes either view, each about half the time */
	for (int draw = 0; draw < 50; draw++) {
		dataset_batch(&ds, sel, 4, 4, 0, 1, &rng, app, patch, labels);
		for (int b = 0; b < 4; b++)
			mirrored += app[b * 4 * DA] == layout_value(1, 0, 9, 0);
	}
	expect(mirrored > 70 && mirrored < 130);
	/* without flip, the crop's view always */
	dataset_batch(&ds, sel, 4, 4, 0, 0, &rng, app, patch, labels);
	for (int b = 0; b < 4; b++)
		expect(app[b * 4 * DA] == layout_value(0, 0, 9, 0));
	dataset_free(&ds);
	/* the first grid by default, no mirrored views unless asked */
	expect_int(dataset_load(&ds, "c", NULL, err, sizeof err), 0);
	expect_int(ds.G, 2);
	expect(ds.nclips == 1 && !ds.clips[0].app_m && ds.clips[0].patch[3 * DP] ==
	       layout_value(0, 0, 3, 0));
	dataset_free(&ds);
	/* a grid it does not hold; mirrored views a cache without flip lacks */
	w.grid = 3;
	expect_int(dataset_load(&ds, "c", &w, err, sizeof err), ARPG_ENOENT);
	expect(strstr(err, "holds grid 2,1, not 3") != NULL);
	expect_int(write_layout_cache("d", 1, 4), 0);
	w.grid = 0;
	expect_int(dataset_load(&ds, "d", &w, err, sizeof err), ARPG_ENOENT);
	expect(strstr(err, "no mirrored views (extract with arpg-features --flip)") != NULL);
	w.mirror = 0;
	expect_int(dataset_load(&ds, "d", &w, err, sizeof err), 0);
	dataset_free(&ds);
}

ARPG_TEST(evaluation_takes_the_centre_of_each_segment)
{
	static const struct { int clip_T, T, want[8]; } cases[] = {
		{ 16, 4, { 2, 6, 10, 14 } },		/* segments of 4: frame 2 of each */
		{ 8, 8, { 0, 1, 2, 3, 4, 5, 6, 7 } },	/* every frame */
		{ 10, 4, { 1, 3, 6, 8 } },		/* floor((i + 0.5) * 2.5) */
		{ 3, 6, { 0, 0, 1, 1, 2, 2 } },	/* short clip: frames repeat */
		{ 1, 3, { 0, 0, 0 } },
	};

	for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
		int idx[8];

		sample_frames(cases[c].clip_T, cases[c].T, 0, NULL, idx);
		for (int i = 0; i < cases[c].T; i++)
			if (idx[i] != cases[c].want[i])
				arpg_test_fail(__FILE__, __LINE__, "clip of %d, T %d: frame %d is %d, "
					       "expected %d", cases[c].clip_T, cases[c].T, i, idx[i],
					       cases[c].want[i]);
	}
}

ARPG_TEST(training_jitters_within_each_segment)
{
	uint64_t rng = 42, rng2;
	int seen[16] = { 0 }, idx[4], idx2[4];

	for (int draw = 0; draw < 400; draw++) {
		sample_frames(16, 4, 1, &rng, idx);
		for (int i = 0; i < 4; i++) {
			if (idx[i] < 4 * i || idx[i] >= 4 * i + 4)
				arpg_test_fail(__FILE__, __LINE__, "draw %d: frame %d of segment %d",
					       draw, idx[i], i);
			else
				seen[idx[i]]++;
		}
	}
	for (int f = 0; f < 16; f++)	/* uniform: about 100 each */
		if (seen[f] < 60 || seen[f] > 140)
			arpg_test_fail(__FILE__, __LINE__, "frame %d drawn %d times of 400", f,
				       seen[f]);
	/* the same seed draws the same frames; the generator advances */
	rng = rng2 = 7;
	sample_frames(16, 4, 1, &rng, idx);
	sample_frames(16, 4, 1, &rng2, idx2);
	expect(rng != 7 && rng == rng2);
	expect(!memcmp(idx, idx2, sizeof idx));
}

ARPG_TEST(jitter_sees_other_frames_each_epoch_when_the_cache_holds_more)
{
	int idx[40][16], seen[32] = { 0 }, all_seen = 1;

	/* 32 cached frames (arpg-features' default), 16 taken (arpg-train's):
	 * each epoch's stream draws other frames, each within its segment */
	for (int e = 0; e < 40; e++) {
		uint64_t rng = run_epoch_rng(1, e + 1);

		sample_frames(32, 16, 1, &rng, idx[e]);
		for (int i = 0; i < 16; i++) {
			expect(idx[e][i] / 2 == i);
			seen[idx[e][i]]++;
		}
	}
	for (int e = 1; e < 40; e++) {
		int differ = 0;

		for (int i = 0; i < 16; i++)
			differ += idx[e][i] != idx[e - 1][i];
		if (differ < 3)	/* about 8 of 16 */
			arpg_test_fail(__FILE__, __LINE__, "epochs %d and %d differ in %d frames of 16",
				       e, e + 1, differ);
	}
	for (int f = 0; f < 32; f++)
		all_seen &= seen[f] > 0;
	expect(all_seen);
	/* 16 cached and 16 taken: whatever the stream, every epoch sees the
	 * same frames (the trainer warns of such a cache) */
	for (int e = 0; e < 3; e++) {
		uint64_t rng = run_epoch_rng(1, e + 1);

		sample_frames(16, 16, 1, &rng, idx[e]);
		for (int i = 0; i < 16; i++)
			expect_int(idx[e][i], i);
	}
	/* the streams depend on the seed and the epoch only */
	expect(run_epoch_rng(1, 2) == run_epoch_rng(1, 2));
	expect(run_epoch_rng(1, 2) != run_epoch_rng(2, 2));
	expect(run_epoch_rng(1, 2) != run_epoch_rng(1, 3));
}

ARPG_TEST(a_batch_holds_the_sampled_frames_of_each_clip)
{
	static const struct fake clips[] = {
		{ "a", "Happy", "train", "", 8 }, { "b", "Sad", "train", "", 4 },
	};
	struct dataset ds;
	char err[300] = "";
	int sel[3] = { 1, 0, 1 }, labels[3], frames_b[2] = { 1, 3 }, frames_a[2] = { 2, 6 };
	float app[3 * 2 * DA], patch[3 * 2 * N * DP];

	expect_int(write_cache("c", "all", "Happy,Sad", DA, ARPG_F32, clips, 2, -1), 0);
	expect_int(dataset_load(&ds, "c", NULL, err, sizeof err), 0);
	if (ds.nclips != 2) {
		arpg_test_fail(__FILE__, __LINE__, "%d clips loaded: %s", ds.nclips, err);
		return;
	}
	dataset_batch(&ds, sel, 3, 2, 0, 0, NULL, app, patch, labels);
	expect_int(labels[0], 1);
	expect_int(labels[1], 0);
	expect_int(labels[2], 1);
	for (int b = 0; b < 3; b++) {
		int k = sel[b], bad = 0;
		const int *fr = k ? frames_b : frames_a;

		for (int t = 0; t < 2; t++) {
			for (int d = 0; d < DA; d++)
				bad += app[(b * 2 + t) * DA + d] != app_value(k, fr[t], d);
			for (int j = 0; j < N * DP; j++)
				bad += patch[(b * 2 + t) * N * DP + j] != patch_value(k, fr[t], j);
		}
		if (bad)
			arpg_test_fail(__FILE__, __LINE__, "batch row %d: %d values differ", b, bad);
	}
	dataset_free(&ds);
}
