/* make_cache - writes a synthetic arpg feature cache for tests and
 * benchmarks: clips whose appearance and patch features carry a
 * class-dependent mean pattern plus Gaussian noise, so that a model that
 * learns reaches accuracy well above chance.
 *
 *   make_cache DIR [--clips N] [--val N] [--classes C] [--frames T] [--grid G[,G...]]
 *                  [--app-dim Da] [--patch-dim Dp] [--subjects S] [--signal X]
 *                  [--seed S] [--dtype f16|f32] [--nan-clip K] [--scale X] [--flip]
 *                  [--unlabelled] [--per-frame] [--damage K]
 *                  [--maps C,H,W [--backbone MODEL.onnx]]
 * --scale multiplies the appearance features (huge values make training diverge).
 * A list of grids stores the nodes of each, grid after grid (arpg-cache(5));
 * --flip adds a mirrored view: the patch nodes with their columns mirrored,
 * fresh noise on the appearance.  --unlabelled makes clips of split test
 * without labels, and no meta labels (as arpg-features writes AFEW's Test set).
 * --per-frame makes Aff-Wild2-like clips (issue 18): meta frames "all" and
 * frame_labels (up to 8 of ABAW's classes), clips of T/2 to T frames without
 * a clip label, whose class changes every 8 to 31 frames, a fifth of the
 * frames labelled -1; each frame's features carry its class.
 * --damage K changes a bit in the middle of clip K's patch record after
 * the cache is written, its sums left as they were (as a bad disk would).
 * --maps C,H,W adds a maps record (T, C, H, W) per clip in --dtype, as
 * arpg-features --maps writes (meta maps, maps_shape): a class pattern
 * plus Gaussian noise, not the maps the patches were pooled from.  With
 * --backbone, meta backbone, backbone_sha256 and patch_node (the model's
 * stride-8 node at an input of 8*H) name MODEL.onnx, so that arpg-train
 * --tune-backbone MODEL.onnx accepts the cache (bench/tune.sh).
 */
#include "cache.h"
#include "error.h"
#include "fileio.h"
#include "layers.h"
#include "onnx/onnx.h"

#include <lmdb.h>
#include <sha2.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const NAMES[] = { "Angry", "Disgust", "Fear", "Happy", "Neutral", "Sad", "Surprise" };
/* One bit in the middle of the patch record of clip id flipped, with LMDB
 * itself (behind the cache's API, which would write new sums).  0 or 1. */
static int damage(const char *dir, const char *id)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = { strlen(id), (void *)id }, v, w;
	unsigned char *buf = NULL;
	int mrc;

	if ((mrc = mdb_env_create(&env)) || (mrc = mdb_env_set_maxdbs(env, 8)) ||
	    (mrc = mdb_env_open(env, dir, 0, 0666)))
		goto out;
	if ((mrc = mdb_txn_begin(env, NULL, 0, &txn)))
		goto out;
	if ((mrc = mdb_dbi_open(txn, "patch", 0, &dbi)) || (mrc = mdb_get(txn, dbi, &k, &v)) ||
	    !(buf = malloc(v.mv_size))) {
		mdb_txn_abort(txn);
		goto out;
	}
	memcpy(buf, v.mv_data, v.mv_size);
	buf[v.mv_size / 2] ^= 4;
	w.mv_size = v.mv_size;
	w.mv_data = buf;
	if ((mrc = mdb_put(txn, dbi, &k, &w, 0)) == 0)
		mrc = mdb_txn_commit(txn);
	else
		mdb_txn_abort(txn);
out:
	mdb_env_close(env);
	free(buf);
	if (mrc || !buf)
		fprintf(stderr, "make_cache: --damage %s: %s\n", id,
			mrc ? mdb_strerror(mrc) : "out of memory");
	return mrc || !buf;
}

/* Meta backbone, backbone_sha256 and patch_node of the ONNX model at
 * path, its stride-8 node found at an input of side in_size.  0 or 1. */
static int backbone_meta(struct arpg_kv *kv, const char *path, int in_size)
{
	struct arpg_onnx *om = NULL;
	const char *base = strrchr(path, '/');
	char hex[65], node[256], why[300] = "";
	void *buf = NULL;
	size_t len = 0;
	int rc;

	if ((rc = arpg_read_file(path, 0, &buf, &len)) == 0) {
		SHA256Data(buf, len, hex);
		if ((rc = arpg_onnx_load(&om, buf, len, why, sizeof why)) == 0)
			rc = arpg_onnx_find_stride8(om, in_size, node, sizeof node, why, sizeof why);
	}
	free(buf);
	arpg_onnx_free(om);
	if (rc == 0 && (arpg_kv_set(kv, "backbone", base ? base + 1 : path) < 0 ||
			arpg_kv_set(kv, "backbone_sha256", hex) < 0 ||
			arpg_kv_set(kv, "patch_node", node) < 0))
		rc = ARPG_ENOMEM;
	if (rc < 0)
		fprintf(stderr, "make_cache: --backbone %s: %s%s%s\n", path, arpg_strerror(rc),
			*why ? ": " : "", why);
	return rc < 0;
}

static const char *const ABAW[] = { "Neutral", "Anger", "Disgust", "Fear", "Happiness", "Sadness",
				    "Surprise", "Other" };

int main(int argc, char **argv)
{
	int clips = 60, val = 20, C = 3, T = 8, Da = 16, Dp = 12, S = 0, dtype = ARPG_F32,
	    nan_clip = -1, damage_clip = -1, flip = 0, unlabelled = 0, per_frame = 0, V, NN;
	signed char fl[4096];
	struct arpg_cache_layout lay = { 0 };
	const char *grid = "3";
	double signal = 0.5, scale = 1;
	uint64_t seed = 1, rng;
	const char *dir = NULL, *backbone = NULL, *maps_arg = NULL;
	unsigned mc = 0, mh = 0, mw = 0;
	size_t msize = 0;
	float *mu_m = NULL, *maps = NULL;
	void *rec_m = NULL;
	struct arpg_cache *cache;
	char err[300], buf[64], labels[256] = "", damage_id[64] = "";
	float *mu_a, *mu_p, *app, *patch;
	void *rec_a, *rec_p;
	int i, rc;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "0";

		if (!strcmp(a, "--clips")) clips = atoi(v), i++;
		else if (!strcmp(a, "--val")) val = atoi(v), i++;
		else if (!strcmp(a, "--classes")) C = atoi(v), i++;
		else if (!strcmp(a, "--frames")) T = atoi(v), i++;
		else if (!strcmp(a, "--grid")) grid = v, i++;
		else if (!strcmp(a, "--flip")) flip = 1;
		else if (!strcmp(a, "--app-dim")) Da = atoi(v), i++;
		else if (!strcmp(a, "--patch-dim")) Dp = atoi(v), i++;
		else if (!strcmp(a, "--subjects")) S = atoi(v), i++;
		else if (!strcmp(a, "--signal")) signal = atof(v), i++;
		else if (!strcmp(a, "--scale")) scale = atof(v), i++;
		else if (!strcmp(a, "--seed")) seed = strtoull(v, NULL, 10), i++;
		else if (!strcmp(a, "--dtype")) dtype = strcmp(v, "f16") ? ARPG_F32 : ARPG_F16, i++;
		else if (!strcmp(a, "--nan-clip")) nan_clip = atoi(v), i++;
		else if (!strcmp(a, "--damage")) damage_clip = atoi(v), i++;
		else if (!strcmp(a, "--unlabelled")) unlabelled = 1;
		else if (!strcmp(a, "--per-frame")) per_frame = 1;
		else if (!strcmp(a, "--maps")) maps_arg = v, i++;
		else if (!strcmp(a, "--backbone")) backbone = v, i++;
		else if (a[0] != '-' && !dir) dir = a;
		else {
			fprintf(stderr, "make_cache: unknown argument %s\n", a);
			return 2;
		}
	}
	if (!dir || C < 1 || C > 7 + per_frame || clips < 1 || T > 4096 ||
	    arpg_cache_grids_parse(&lay, grid) < 0 ||
	    (maps_arg && (sscanf(maps_arg, "%u,%u,%u", &mc, &mh, &mw) != 3 || !mc || !mh || !mw ||
			  (size_t)mc * mh * mw > (1u << 24) || flip)) || (backbone && !maps_arg)) {
		fprintf(stderr, "usage: make_cache DIR [--clips N] [--classes 1..7] ...\n");
		return 2;
	}
	msize = (size_t)mc * mh * mw;
	if ((rc = arpg_cache_open(&cache, dir, ARPG_CACHE_WRITE, err, sizeof err)) < 0) {
		fprintf(stderr, "make_cache: %s: %s: %s\n", dir, arpg_strerror(rc), err);
		return 1;
	}
	for (i = 0; i < C; i++)
		snprintf(labels + strlen(labels), sizeof labels - strlen(labels), "%s%s", i ? "," : "",
			 per_frame ? ABAW[i] : NAMES[i]);
	{
		char t[16], da[16], dp[16];
		const char *keys[] = { "format", "backbone", "backbone_sha256", "patch_node", "grid",
				       "frames", "app_dim", "patch_dim", "dtype", "labels", "flip" };
		const char *vals[11];

		snprintf(t, sizeof t, "%d", T);
		snprintf(da, sizeof da, "%d", Da);
		snprintf(dp, sizeof dp, "%d", Dp);
		vals[0] = ARPG_CACHE_FORMAT;
		vals[1] = "synthetic";
		vals[2] = "0000000000000000000000000000000000000000000000000000000000000000";
		vals[3] = "-";
		vals[4] = grid;
		vals[5] = per_frame ? "all" : t;
		vals[6] = da;
		vals[7] = dp;
		vals[8] = dtype == ARPG_F16 ? "f16" : "f32";
		vals[9] = labels;
		vals[10] = "yes";
		struct arpg_kv kv = ARPG_KV_INIT;

		for (i = 0, rc = 0; i < 10 + flip && rc == 0; i++)
			if (i != 9 || !unlabelled)	/* labels */
				rc = arpg_kv_set(&kv, per_frame && i == 9 ? "frame_labels" : keys[i],
						 vals[i]);
		if (rc == 0 && maps_arg &&
		    ((rc = arpg_kv_set(&kv, "maps", vals[8])) == 0))
			rc = arpg_kv_set(&kv, "maps_shape", maps_arg);
		if (rc == 0 && backbone && backbone_meta(&kv, backbone, 8 * (int)mh))
			return 1;
		if (rc < 0 || (rc = arpg_cache_meta_put(cache, &kv)) < 0) {
			fprintf(stderr, "make_cache: meta: %s\n", arpg_strerror(rc));
			return 1;
		}
		arpg_kv_free(&kv);
	}
	rng = seed;
	V = flip ? 2 : 1;
	NN = lay.nodes;
	mu_a = malloc(sizeof(float) * C * Da);
	mu_p = malloc(sizeof(float) * C * NN * Dp);
	app = malloc(sizeof(float) * V * T * Da);
	patch = malloc(sizeof(float) * V * T * NN * Dp);
	rec_a = malloc(arpg_tensor_record_size(ARPG_F32, 3, (size_t)V * T * Da));
	rec_p = malloc(arpg_tensor_record_size(ARPG_F32, 4, (size_t)V * T * NN * Dp));
	for (i = 0; i < C * Da; i++)
		mu_a[i] = (float)(rng_normal(&rng) * signal);
	for (i = 0; i < C * NN * Dp; i++)
		mu_p[i] = (float)(rng_normal(&rng) * signal);
	if (msize) {
		mu_m = malloc(sizeof(float) * C * msize);
		maps = malloc(sizeof(float) * T * msize);
		rec_m = malloc(arpg_tensor_record_size(ARPG_F32, 4, (size_t)T * msize));
		if (!mu_m || !maps || !rec_m) {
			fprintf(stderr, "make_cache: out of memory\n");
			return 1;
		}
		for (size_t e = 0; e < C * msize; e++)
			mu_m[e] = (float)(rng_normal(&rng) * signal);
	}
	int Tmax = T;

	for (int k = 0; k < clips; k++) {
		struct arpg_clip_info info = { 0 };
		int y = k % C, src[4096];
		char faces[4097], id[64], subj[16] = "";
		uint32_t da_dims[3] = { (uint32_t)V, (uint32_t)T, (uint32_t)Da };
		uint32_t dp_dims[4] = { (uint32_t)V, (uint32_t)T, (uint32_t)NN, (uint32_t)Dp };
		uint32_t dm_dims[4] = { 0, mc, mh, mw };
		long na, np, nm = 0;
		int T0 = Tmax, run = 0;

		if (per_frame)	/* T/2 to T frames, the class changing */
			T = T0 / 2 + (int)(rng_next(&rng) % (uint64_t)(T0 - T0 / 2 + 1));
		da_dims[1] = dp_dims[1] = (uint32_t)T;
		for (int t = 0; t < T; t++) {
			if (per_frame && --run <= 0) {
				y = (int)(rng_next(&rng) % (uint64_t)C);
				run = 8 + (int)(rng_next(&rng) % 24);
			}
			fl[t] = (signed char)(per_frame && rng_uniform(&rng) < 0.2 ? -1 : y);
			for (int d = 0; d < Da; d++)
				app[t * Da + d] = mu_a[y * Da + d] + (float)rng_normal(&rng);
			for (int d = 0; d < NN * Dp; d++)
				patch[(long)t * NN * Dp + d] = mu_p[(long)y * NN * Dp + d] + (float)rng_normal(&rng);
			for (size_t e = 0; e < msize; e++)
				maps[t * msize + e] = mu_m[y * msize + e] + (float)rng_normal(&rng);
			src[t] = t;
			faces[t] = '1';
		}
		faces[T] = 0;
		/* the mirrored view: each grid's columns mirrored, fresh noise on
		 * the appearance */
		for (int t = 0; flip && t < T; t++) {
			float *pm = patch + ((long)T + t) * NN * Dp;

			for (int d = 0; d < Da; d++)
				app[(T + t) * Da + d] = mu_a[y * Da + d] + (float)rng_normal(&rng);
			for (int g = 0, off = 0; g < lay.ngrids; off += lay.grids[g] * lay.grids[g], g++)
				for (int n = 0; n < lay.grids[g] * lay.grids[g]; n++) {
					int G = lay.grids[g], r = n / G, c = n % G;

					memcpy(pm + (long)(off + n) * Dp,
					       patch + ((long)t * NN + off + r * G + G - 1 - c) * Dp,
					       sizeof(float) * Dp);
				}
		}
		for (int d = 0; d < V * T * Da; d++)
			app[d] = (float)(app[d] * scale);
		if (k == nan_clip)
			patch[3] = NAN;
		if (S)
			snprintf(subj, sizeof subj, "s%d", k % S + 1);
		info.label = (char *)(unlabelled || per_frame ? "" : NAMES[y]);
		info.frame_labels = per_frame ? fl : NULL;
		info.split = (char *)(unlabelled ? "test" : !S && k >= clips - val ? "val" : "train");
		info.subject = subj;
		info.frames = T;
		info.src = src;
		info.faces = faces;
		snprintf(id, sizeof id, "%s_%s_%05d", info.split, per_frame ? "video" : NAMES[y], k);
		if (k == damage_clip)
			snprintf(damage_id, sizeof damage_id, "%s", id);
		na = arpg_tensor_encode(rec_a, dtype, 2 + flip, da_dims + !flip, app);
		np = arpg_tensor_encode(rec_p, dtype, 3 + flip, dp_dims + !flip, patch);
		dm_dims[0] = (uint32_t)T;
		if (msize)
			nm = arpg_tensor_encode(rec_m, dtype, 4, dm_dims, maps);
		if (na < 0 || np < 0 || nm < 0 ||
		    (rc = arpg_cache_put_clip_maps(cache, id, &info, rec_a, (size_t)na, rec_p,
						   (size_t)np, msize ? rec_m : NULL, (size_t)nm)) < 0) {
			fprintf(stderr, "make_cache: clip %s: %s\n", id, arpg_strerror(na < 0 ? (int)na : np < 0 ? (int)np : nm < 0 ? (int)nm : rc));
			return 1;
		}
	}
	(void)buf;
	arpg_cache_close(cache);
	if (*damage_id && damage(dir, damage_id))
		return 1;
	free(mu_a);
	free(mu_p);
	free(app);
	free(patch);
	free(rec_a);
	free(rec_p);
	free(mu_m);
	free(maps);
	free(rec_m);
	return 0;
}
