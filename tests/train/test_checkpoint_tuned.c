/* Model files of --tune-backbone runs (version 2): the tail's parameters
 * and Adam state come back bit for bit with the tune.* settings; a model
 * without a tail is written as version 1, byte for byte as before; a
 * version 2 file cut short or with bytes to spare is refused. */
#include "config.h"

#include "harness.h"
#include "checkpoint.h"
#include "error.h"
#include "fileio.h"
#include "layers.h"
#include "model_file.h"

#include <sha2.h>
#include <stdlib.h>
#include <string.h>

static float *floats(size_t n, uint64_t seed)
{
	float *v = malloc(sizeof *v * n);

	for (size_t i = 0; i < n; i++)
		v[i] = (float)rng_normal(&seed);
	return v;
}

/* An Adam state of n moments, its step. */
static struct adam adam_of(size_t n, long step, uint64_t seed)
{
	return (struct adam){ .step = step, .n = n, .m = floats(n, seed), .v = floats(n, seed + 1) };
}

static void some_settings(struct arpg_kv *kv)
{
	expect_int(arpg_kv_set(kv, "model.T", "5"), 0);
	expect_int(checkpoint_tune_settings(kv, "/models/m.onnx", "ab12", "/layer3/Add_output_0",
					    1e-4), 0);
}

ARPG_TEST(a_tuned_tail_comes_back_with_its_optimizer)
{
	struct arpg_kv kv = ARPG_KV_INIT;
	float *p = floats(30, 1), *tp = floats(70, 2);
	struct adam o = adam_of(30, 7, 3), to = adam_of(70, 9, 5);
	struct checkpoint ck;
	char err[200] = "";
	uint8_t *b = NULL;
	void *buf;
	size_t len;

	some_settings(&kv);
	expect_int(checkpoint_save_tuned("t.arpg", &kv, p, 30, &o, tp, 70, &to), 0);
	expect_int(checkpoint_load(&ck, "t.arpg", err, sizeof err), 0);
	expect_int((int)ck.n, 30);
	expect_int((int)ck.tail.n, 70);
	expect(ck.tail.params && !memcmp(ck.tail.params, tp, sizeof *tp * 70));
	expect(ck.tail.has_opt && ck.tail.step == 9);
	expect(ck.tail.m && !memcmp(ck.tail.m, to.m, sizeof *tp * 70));
	expect(ck.tail.v && !memcmp(ck.tail.v, to.v, sizeof *tp * 70));
	expect(ck.m && !memcmp(ck.m, o.m, sizeof *p * 30) && ck.step == 7);
	expect_str(arpg_kv_get(&ck.settings, "tune.backbone_sha256"), "ab12");
	expect_str(arpg_kv_get(&ck.settings, "tune.node"), "/layer3/Add_output_0");
	expect_str(arpg_kv_get(&ck.settings, "tune.lr"), "0.0001");
	checkpoint_free(&ck);
	/* version 2 in the file; the tail's block cut off is refused */
	expect_int(arpg_read_file("t.arpg", 0, &buf, &len), 0);
	b = buf;
	expect_int(b[8], ARPG_MODEL_VERSION_TUNED);
	free(buf);
	expect_int(checkpoint_save_tuned("h.arpg", &kv, p, 30, &o, tp, 70, NULL), 0);
	expect_int(checkpoint_load(&ck, "h.arpg", err, sizeof err), 0);
	expect(!ck.tail.has_opt && ck.tail.n == 70 && !ck.tail.m);
	checkpoint_free(&ck);
	arpg_kv_free(&kv);
	free(p);
	free(tp);
	free(o.m);
	free(o.v);
	free(to.m);
	free(to.v);
}

ARPG_TEST(a_model_without_a_tail_is_version_1_as_before)
{
	struct arpg_kv kv = ARPG_KV_INIT;
	float *p = floats(30, 1);
	struct adam o = adam_of(30, 7, 3);
	struct checkpoint ck;
	char err[200] = "";
	void *a, *b;
	size_t na, nb;

	expect_int(arpg_kv_set(&kv, "model.T", "5"), 0);
	expect_int(checkpoint_save("plain.arpg", &kv, p, 30, &o), 0);
	expect_int(checkpoint_save_tuned("none.arpg", &kv, p, 30, &o, NULL, 0, NULL), 0);
	expect_int(arpg_read_file("plain.arpg", 0, &a, &na), 0);
	expect_int(arpg_read_file("none.arpg", 0, &b, &nb), 0);
	expect(na == nb && !memcmp(a, b, na) && ((uint8_t *)a)[8] == ARPG_MODEL_VERSION);
	/* 16 + text + 8 + 4n + 4 + 8 + 8n + 32: nothing added */
	expect_int((int)na, 16 + 10 + 8 + 120 + 4 + 8 + 240 + 32);
	expect_int(checkpoint_load(&ck, "plain.arpg", err, sizeof err), 0);
	expect_int((int)ck.tail.n, 0);
	checkpoint_free(&ck);
	free(a);
	free(b);
	free(p);
	free(o.m);
	free(o.v);
	arpg_kv_free(&kv);
}

/* Parses the image b[0..len) resealed with its SHA-256: the code. */
static int parse_resealed(uint8_t *b, size_t len, char *err, size_t errn)
{
	struct checkpoint ck;
	SHA2_CTX ctx;
	int rc;

	SHA256Init(&ctx);
	SHA256Update(&ctx, b, len - 32);
	SHA256Final(b + len - 32, &ctx);
	rc = checkpoint_parse(&ck, b, len, err, errn);
	checkpoint_free(&ck);
	return rc;
}

ARPG_TEST(a_version_2_file_without_its_tail_is_refused)
{
	struct arpg_kv kv = ARPG_KV_INIT;
	float *p = floats(30, 1);
	char err[200] = "";
	void *a;
	uint8_t *b;
	size_t n;

	expect_int(arpg_kv_set(&kv, "model.T", "5"), 0);
	expect_int(checkpoint_save("plain.arpg", &kv, p, 30, NULL), 0);
	expect_int(arpg_read_file("plain.arpg", 0, &a, &n), 0);
	b = a;
	b[8] = ARPG_MODEL_VERSION_TUNED;	/* a tail announced, none there */
	expect_int(parse_resealed(b, n, err, sizeof err), ARPG_EFORMAT);
	expect(strstr(err, "truncated") != NULL);
	free(a);
	free(p);
	arpg_kv_free(&kv);
}
