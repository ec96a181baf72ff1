/* Model files: save and load give back every setting and every number;
 * a file an earlier build saved reads and writes back byte for byte;
 * damaged files are refused with ARPG_EFORMAT; the model settings, the
 * network comparison and the cache meta check. */
#include "config.h"

#include "harness.h"
#include "checkpoint.h"
#include "error.h"
#include "fileio.h"
#include "layers.h"

#include <math.h>
#include <sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Settings unlike the defaults in every field. */
static void some_config(struct model_config *c)
{
	model_config_default(c);
	c->T = 5;
	c->G = 3;
	c->Dp = 7;
	c->Da = 11;
	c->D = 12;
	c->H = 3;
	c->C = 4;
	c->rel_layers = 3;
	c->fusion_layers = 0;
	c->trs = -1;
	c->edges = EDGE_SELF | EDGE_ADJ8;
	c->fusion = FUSION_CONCAT;
	c->modality = MOD_REL;
	c->dropout = 0.25f;
}

static void some_meta(struct arpg_kv *meta)
{
	memset(meta, 0, sizeof *meta);
	expect_int(arpg_kv_set(meta, "app_dim", "11"), 0);
	expect_int(arpg_kv_set(meta, "backbone", "iresnet50.onnx"), 0);
	expect_int(arpg_kv_set(meta, "grid", "3"), 0);
	expect_int(arpg_kv_set(meta, "labels", "Angry,Happy,Sad,Surprise"), 0);
}

static float *some_floats(size_t n, uint64_t seed)
{
	float *v = malloc(sizeof *v * n);

	for (size_t i = 0; i < n; i++)
		v[i] = (float)rng_normal(&seed);
	v[0] = -0.0f;		/* the bits come back, not only the value */
	v[1] = 1e-42f;		/* subnormal */
	return v;
}

ARPG_TEST(a_saved_model_loads_with_every_key_and_number)
{
	static const char *const order[] = { "model.T", "model.G", "model.Dp", "model.Da", "model.D",
		"model.H", "model.C", "model.rel_layers", "model.fusion_layers", "model.trs",
		"model.edges", "model.fusion", "model.modality", "model.dropout", "run.epoch",
		"run.seed", "run.lr", "run.optimizer", "run.weight_decay", "run.settings",
		"run.version", "cache.app_dim", "cache.backbone", "cache.grid", "cache.labels" };
	struct model_config c, back;
	struct checkpoint_run run = { 7, 12345678901ull, 5e-4, OPT_ADAMW, 1e-4,
				      "{\"schedule\":\"cosine\",\"augment\":\"jitter,flip\"}" };
	struct arpg_kv meta, kv = ARPG_KV_INIT;
	struct adam opt = { .step = 42, .n = 300 };
	struct checkpoint ck;
	float *params = some_floats(300, 1);
	char err[200] = "";
	int va, vb;

	opt.m = some_floats(300, 2);
	opt.v = some_floats(300, 3);
	some_config(&c);
	some_meta(&meta);
	expect_int(checkpoint_settings(&kv, &c, &run, &meta), 0);
	expect_int(kv.n, (int)(sizeof order / sizeof *order));
	for (int i = 0; i < kv.n && i < (int)(sizeof order / sizeof *order); i++)
		expect_str(kv.keys[i], order[i]);
	expect_str(arpg_kv_get(&kv, "model.trs"), "-1");
	expect_str(arpg_kv_get(&kv, "model.edges"), "9");
	expect_str(arpg_kv_get(&kv, "model.dropout"), "0.25");
	expect_str(arpg_kv_get(&kv, "run.seed"), "12345678901");
	expect_str(arpg_kv_get(&kv, "run.lr"), "0.0005");
	expect_str(arpg_kv_get(&kv, "run.optimizer"), "adamw");
	expect_str(arpg_kv_get(&kv, "run.weight_decay"), "0.0001");
	expect_str(arpg_kv_get(&kv, "run.settings"), run.settings);
	expect_str(arpg_kv_get(&kv, "run.version"), PACKAGE_VERSION);
	expect_str(arpg_kv_get(&kv, "cache.labels"), "Angry,Happy,Sad,Surprise");

	expect_int(checkpoint_save("m.arpg", &kv, params, 300, &opt), 0);
	expect_int(checkpoint_load(&ck, "m.arpg", err, sizeof err), 0);
	expect_int(ck.settings.n, kv.n);
	for (int i = 0; i < ck.settings.n && i < kv.n; i++) {
		expect_str(ck.settings.keys[i], kv.keys[i]);
		expect_str(ck.settings.vals[i], kv.vals[i]);
	}
	expect_int(ck.n, 300);
	expect_int(ck.has_opt, 1);
	expect_int(ck.step, 42);
	expect(ck.params && !memcmp(ck.params, params, sizeof(float) * 300));
	expect(ck.m && !memcmp(ck.m, opt.m, sizeof(float) * 300));
	expect(ck.v && !memcmp(ck.v, opt.v, sizeof(float) * 300));
	expect_int(checkpoint_epoch(&ck), 7);
	expect_int(checkpoint_optimizer(&ck), OPT_ADAMW);

	expect_int(checkpoint_config(&ck, &back), 0);
	expect(!memcmp(&back, &c, sizeof c));
	expect(checkpoint_network_diff(&back, &c, &va, &vb) == NULL);
	expect(checkpoint_meta_mismatch(&ck, &meta, 1) == NULL);
	checkpoint_free(&ck);
	expect(!ck.params && !ck.settings.n);

	/* without optimizer state */
	expect_int(checkpoint_save("p.arpg", &kv, params, 300, NULL), 0);
	expect_int(checkpoint_load(&ck, "p.arpg", err, sizeof err), 0);
	expect_int(ck.has_opt, 0);
	expect(!ck.m && !ck.v);
	expect(ck.params && !memcmp(ck.params, params, sizeof(float) * 300));
	checkpoint_free(&ck);
	arpg_kv_free(&kv);
	arpg_kv_free(&meta);
	free(params);
	free(opt.m);
	free(opt.v);
}

/* Reads a file whole into *buf; its length, or -1. */
static long slurp(const char *path, uint8_t **buf)
{
	void *b;
	size_t len;

	if (arpg_read_file(path, 0, &b, &len) < 0)
		return -1;
	*buf = b;
	return (long)len;
}

ARPG_TEST(a_model_from_an_earlier_build_writes_back_the_same_bytes)
{
	char path[4096], err[200] = "";
	struct checkpoint ck;
	struct model_config c;
	struct arpg_kv meta = ARPG_KV_INIT, kv = ARPG_KV_INIT, all = ARPG_KV_INIT;
	struct checkpoint_run run = { 1, 1, 0.001, OPT_ADAMW, 0, NULL };
	uint8_t *old = NULL, *again = NULL;
	long n_old, n_again;

	/* the fuzz seed: a model arpg-train saved before checkpoint.c's key
	 * table (a 1x1 grid, D 2, one head) */
	snprintf(path, sizeof path, "%s/tests/fuzz/corpus/checkpoint/tiny", arpg_test_srcdir());
	expect_int(checkpoint_load(&ck, path, err, sizeof err), 0);
	if (!ck.params) {
		arpg_test_fail(__FILE__, __LINE__, "%s: %s", path, err);
		return;
	}
	expect_int(checkpoint_config(&ck, &c), 0);
	expect_int(c.G, 1);
	expect_int(c.D, 2);
	expect_int(c.edges, EDGE_SELF | EDGE_ADJ | EDGE_SYM);
	expect_near(c.dropout, 0.1, 1e-7);
	expect_int(checkpoint_epoch(&ck), 1);
	/* it predates run.optimizer: then arpg-train had AdamW only */
	expect(!arpg_kv_get(&ck.settings, "run.optimizer"));
	expect_int(checkpoint_optimizer(&ck), OPT_ADAMW);
	/* rebuild the settings from what they mean, not from their text */
	for (int i = 0; i < ck.settings.n; i++)
		if (!strncmp(ck.settings.keys[i], "cache.", 6))
			expect_int(arpg_kv_set(&meta, ck.settings.keys[i] + 6, ck.settings.vals[i]), 0);
	expect_int(checkpoint_settings(&all, &c, &run, &meta), 0);
	/* the keys added since (run.optimizer, run.weight_decay) left out, the
	 * layout is the same */
	for (int i = 0; i < all.n; i++)
		if (strcmp(all.keys[i], "run.optimizer") && strcmp(all.keys[i], "run.weight_decay"))
			expect_int(arpg_kv_set(&kv, all.keys[i], all.vals[i]), 0);
	/* the one value that may differ: the program's version */
	expect_str(kv.n > 17 ? kv.keys[17] : NULL, "run.version");
	expect_int(arpg_kv_set(&kv, "run.version", arpg_kv_get(&ck.settings, "run.version")), 0);
	{
		struct adam opt = { .step = ck.step, .n = ck.n, .m = ck.m, .v = ck.v };

		expect_int(checkpoint_save("again.arpg", &kv, ck.params, ck.n, &opt), 0);
	}
	n_old = slurp(path, &old);
	n_again = slurp("again.arpg", &again);
	expect(n_old > 0 && n_old == n_again && !memcmp(old, again, (size_t)n_old));
	checkpoint_free(&ck);
	arpg_kv_free(&meta);
	arpg_kv_free(&kv);
	arpg_kv_free(&all);
	free(old);
	free(again);
}

/* Recomputes the trailing SHA-256 of a file image, as a writer would. */
static void reseal(uint8_t *b, size_t len)
{
	SHA2_CTX ctx;

	SHA256Init(&ctx);
	SHA256Update(&ctx, b, len - 32);
	SHA256Final(b + len - 32, &ctx);
}

/* Parses b[0..len) and expects ARPG_EFORMAT with why in the reason. */
static void expect_refused(const uint8_t *b, size_t len, const char *why, int line)
{
	struct checkpoint ck;
	char err[200] = "";
	int rc = checkpoint_parse(&ck, b, len, err, sizeof err);

	if (rc != ARPG_EFORMAT || !strstr(err, why))
		arpg_test_fail(__FILE__, line, "got %d \"%s\", expected ARPG_EFORMAT \"...%s...\"", rc,
			       err, why);
	if (ck.params || ck.settings.n)
		arpg_test_fail(__FILE__, line, "a refused file left data behind");
	if (rc == 0)
		checkpoint_free(&ck);
}

ARPG_TEST(a_damaged_model_is_refused_with_eformat)
{
	struct arpg_kv kv = ARPG_KV_INIT;
	float params[10] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	uint8_t *good, *b;
	long len;
	size_t text;

	expect_int(arpg_kv_set(&kv, "model.T", "2"), 0);
	expect_int(checkpoint_save("m.arpg", &kv, params, 10, NULL), 0);
	len = slurp("m.arpg", &good);
	expect_int(len, 16 + 10 + 8 + 40 + 4 + 32);
	if (len != 110)
		return;
	text = 10;	/* "model.T\t2\n" */
	b = malloc((size_t)len);

	memcpy(b, good, (size_t)len);
	b[60] ^= 1;		/* a parameter bit */
	expect_refused(b, (size_t)len, "checksum mismatch", __LINE__);
	expect_refused(good, (size_t)len - 1, "checksum mismatch", __LINE__);
	expect_refused(good, 40, "truncated", __LINE__);
	memcpy(b, good, (size_t)len);
	b[0] = 'X';
	expect_refused(b, (size_t)len, "no ARPGCKPT magic", __LINE__);
	memcpy(b, good, (size_t)len);
	b[8] = 3;	/* 2 is a tuned model's */
	expect_refused(b, (size_t)len, "version 3", __LINE__);
	/* sealed again, so that the layout checks behind the checksum run */
	memcpy(b, good, (size_t)len);
	b[16 + 7] = ' ';	/* no tab in the settings line */
	reseal(b, (size_t)len);
	expect_refused(b, (size_t)len, "damaged settings block", __LINE__);
	memcpy(b, good, (size_t)len);
	b[16 + text] = 12;	/* 12 parameters claimed, room for 11 */
	reseal(b, (size_t)len);
	expect_refused(b, (size_t)len, "does not fit the file", __LINE__);
	memcpy(b, good, (size_t)len);
	b[16 + text + 8 + 40] = 1;	/* optimizer state claimed, none there */
	reseal(b, (size_t)len);
	expect_refused(b, (size_t)len, "optimizer state has the wrong size", __LINE__);
	memcpy(b, good, (size_t)len);
	b[12] = 200;		/* a settings block longer than the file */
	reseal(b, (size_t)len);
	expect_refused(b, (size_t)len, "truncated", __LINE__);
	free(b);
	free(good);
	arpg_kv_free(&kv);
}

/* A checkpoint holding only the settings kv (for checkpoint_config). */
static int config_of(struct arpg_kv *kv, struct model_config *c)
{
	struct checkpoint ck = { .settings = *kv };

	return checkpoint_config(&ck, c);
}

ARPG_TEST(model_settings_must_be_complete_numbers)
{
	struct model_config c, back;
	struct checkpoint_run run = { 0 };
	struct arpg_kv meta = ARPG_KV_INIT, kv = ARPG_KV_INIT;

	some_config(&c);
	expect_int(checkpoint_settings(&kv, &c, &run, &meta), 0);
	expect_int(config_of(&kv, &back), 0);
	expect(!memcmp(&back, &c, sizeof c));
	/* dropout may be missing: the default */
	free(kv.vals[13]);	/* model.dropout */
	kv.vals[13] = strdup("0.25");
	free(kv.keys[13]);
	kv.keys[13] = strdup("model.unused");
	expect_int(config_of(&kv, &back), 0);
	expect_near(back.dropout, 0.1, 1e-7);
	/* a dropout that is not all a number is damage, not its prefix */
	expect_int(arpg_kv_set(&kv, "model.dropout", "0.25x"), 0);
	expect_int(config_of(&kv, &back), ARPG_EFORMAT);
	expect_int(arpg_kv_set(&kv, "model.dropout", "0.25"), 0);
	expect_int(config_of(&kv, &back), 0);
	expect_near(back.dropout, 0.25, 1e-7);
	/* an int key missing, not a number, out of range, or a bad model */
	expect_int(arpg_kv_set(&kv, "model.H", "three"), 0);
	expect_int(config_of(&kv, &back), ARPG_EFORMAT);
	expect_int(arpg_kv_set(&kv, "model.H", "2000000"), 0);
	expect_int(config_of(&kv, &back), ARPG_EFORMAT);
	expect_int(arpg_kv_set(&kv, "model.H", "5"), 0);	/* 12 % 5 */
	expect_int(config_of(&kv, &back), ARPG_EFORMAT);
	expect_int(arpg_kv_set(&kv, "model.H", "4"), 0);
	expect_int(config_of(&kv, &back), 0);
	free(kv.keys[0]);
	kv.keys[0] = strdup("model.frames");	/* model.T gone */
	expect_int(config_of(&kv, &back), ARPG_EFORMAT);
	arpg_kv_free(&kv);
}

ARPG_TEST(the_same_network_whatever_the_dropout)
{
	/* every field that shapes the network, by name: the comparison must
	 * not depend on where they sit in the struct */
	static const size_t fields[] = {
		offsetof(struct model_config, T), offsetof(struct model_config, G),
		offsetof(struct model_config, Dp), offsetof(struct model_config, Da),
		offsetof(struct model_config, D), offsetof(struct model_config, H),
		offsetof(struct model_config, C), offsetof(struct model_config, rel_layers),
		offsetof(struct model_config, fusion_layers), offsetof(struct model_config, trs),
		offsetof(struct model_config, edges), offsetof(struct model_config, fusion),
		offsetof(struct model_config, modality), offsetof(struct model_config, per_frame),
	};
	struct model_config a, b;
	int va, vb;

	some_config(&a);
	b = a;
	b.dropout = 0.5f;
	expect(checkpoint_network_diff(&a, &b, &va, &vb) == NULL);
	for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
		b = a;
		(*(int *)((char *)&b + fields[i]))++;
		if (!checkpoint_network_diff(&a, &b, &va, &vb) || vb != va + 1)
			arpg_test_fail(__FILE__, __LINE__, "a change at offset %zu went unseen",
				       fields[i]);
	}
	b = a;
	b.D = a.D * 2;
	expect_str(checkpoint_network_diff(&a, &b, &va, &vb), "--dim");
	expect_int(vb, 2 * va);
}

ARPG_TEST(a_model_refuses_a_cache_of_other_features)
{
	struct model_config c;
	struct checkpoint_run run = { 0 };
	struct arpg_kv meta, other;
	struct checkpoint ck = { 0 };

	some_config(&c);
	some_meta(&meta);
	expect_int(checkpoint_settings(&ck.settings, &c, &run, &meta), 0);
	some_meta(&other);
	expect_int(arpg_kv_set(&other, "frames", "16"), 0);	/* not a model's concern */
	expect(checkpoint_meta_mismatch(&ck, &other, 1) == NULL);
	expect_int(arpg_kv_set(&other, "labels", "Angry,Happy,Sad"), 0);
	expect_str(checkpoint_meta_mismatch(&ck, &other, 1), "labels");
	arpg_kv_free(&other);
	some_meta(&other);
	expect_int(arpg_kv_set(&other, "patch_dim", "256"), 0);	/* the model's cache had none */
	expect_str(checkpoint_meta_mismatch(&ck, &other, 1), "patch_dim");
	arpg_kv_free(&other);
	arpg_kv_free(&meta);
	checkpoint_free(&ck);
}

/* model.per_frame is written only for a per-frame model, and a file
 * without it is a clip-level model. */
ARPG_TEST(per_frame_is_saved_only_when_set)
{
	struct model_config a, back;
	struct checkpoint ck = { .settings = ARPG_KV_INIT };
	struct checkpoint_run run = { 1, 1, 0.001, OPT_ADAMW, 0, NULL };
	struct arpg_kv meta = ARPG_KV_INIT;

	some_config(&a);
	expect_int(checkpoint_settings(&ck.settings, &a, &run, &meta), 0);
	expect(!arpg_kv_get(&ck.settings, "model.per_frame"));
	expect_int(checkpoint_config(&ck, &back), 0);
	expect_int(back.per_frame, 0);
	arpg_kv_free(&ck.settings);
	a.per_frame = 1;
	expect_int(checkpoint_settings(&ck.settings, &a, &run, &meta), 0);
	expect_str(arpg_kv_get(&ck.settings, "model.per_frame"), "1");
	expect_int(checkpoint_config(&ck, &back), 0);
	expect_int(back.per_frame, 1);
	arpg_kv_free(&ck.settings);
}
