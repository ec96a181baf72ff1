/* checkpoint.c - saving and loading trained models. */
#include "config.h"

#include "checkpoint.h"
#include "cache.h"
#include "cli.h"
#include "error.h"
#include "fileio.h"
#include "le.h"
#include "model_file.h"

#include <errno.h>
#include <sha2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* The model settings of a file: a key per field of struct model_config,
 * written in this order and read back by name.  An int is written "%d" and
 * must be there; the float is written "%.9g" and may be missing (files
 * always had it, but it was never required); a flag is an int written
 * only when it is not 0, so that files without it (older ones too) mean 0
 * and a clip-level model's file is as before.  A field with a setting
 * shapes the network, so that a resumed model must agree on it. */
enum key_type { KEY_INT, KEY_FLOAT, KEY_FLAG };

static const struct config_key {
	const char *key;
	size_t offset;		/* into struct model_config */
	enum key_type type;
	const char *setting;	/* what sets it, for messages; NULL: not the network */
} CONFIG_KEYS[] = {
	{ "model.T", offsetof(struct model_config, T), KEY_INT, "--frames" },
	{ "model.G", offsetof(struct model_config, G), KEY_INT, "the cache's grid" },
	{ "model.Dp", offsetof(struct model_config, Dp), KEY_INT, "the cache's patch_dim" },
	{ "model.Da", offsetof(struct model_config, Da), KEY_INT, "the cache's app_dim" },
	{ "model.D", offsetof(struct model_config, D), KEY_INT, "--dim" },
	{ "model.H", offsetof(struct model_config, H), KEY_INT, "--heads" },
	{ "model.C", offsetof(struct model_config, C), KEY_INT, "the cache's number of labels" },
	{ "model.rel_layers", offsetof(struct model_config, rel_layers), KEY_INT, "--rel-layers" },
	{ "model.fusion_layers", offsetof(struct model_config, fusion_layers), KEY_INT,
	  "--fusion-layers" },
	{ "model.trs", offsetof(struct model_config, trs), KEY_INT, "--trs (-1: all)" },
	{ "model.edges", offsetof(struct model_config, edges), KEY_INT,
	  "--edges (bits: self 1, adj 2, sym 4, adj8 8)" },
	{ "model.fusion", offsetof(struct model_config, fusion), KEY_INT,
	  "--fusion (0 gat, 1 concat)" },
	{ "model.modality", offsetof(struct model_config, modality), KEY_INT,
	  "--modality (0 both, 1 app, 2 rel)" },
	{ "model.dropout", offsetof(struct model_config, dropout), KEY_FLOAT, NULL },
	{ "model.per_frame", offsetof(struct model_config, per_frame), KEY_FLAG, "--per-frame" },
};
enum { NCONFIG_KEYS = sizeof CONFIG_KEYS / sizeof *CONFIG_KEYS };

/* The cache meta keys a model depends on: a model refuses a cache whose
 * values differ. */
static const char *const MODEL_META[] = { "backbone", "backbone_sha256", "patch_node", "grid",
					  "app_dim", "patch_dim", "labels" };

/* The field of c that key k names. */
static int *int_field(struct model_config *c, const struct config_key *k)
{
	return (int *)((char *)c + k->offset);
}

static const int *int_field_c(const struct model_config *c, const struct config_key *k)
{
	return (const int *)((const char *)c + k->offset);
}

static float *float_field(struct model_config *c, const struct config_key *k)
{
	return (float *)((char *)c + k->offset);
}

static const float *float_field_c(const struct model_config *c, const struct config_key *k)
{
	return (const float *)((const char *)c + k->offset);
}

int checkpoint_settings(struct arpg_kv *settings, const struct model_config *c,
			const struct checkpoint_run *run, const struct arpg_kv *meta)
{
	char buf[64];
	int rc = 0;

	for (int i = 0; i < NCONFIG_KEYS && !rc; i++) {
		const struct config_key *k = &CONFIG_KEYS[i];

		if (k->type == KEY_FLAG && !*int_field_c(c, k))
			continue;
		if (k->type != KEY_FLOAT)
			snprintf(buf, sizeof buf, "%d", *int_field_c(c, k));
		else
			snprintf(buf, sizeof buf, "%.9g", *float_field_c(c, k));
		rc = arpg_kv_set(settings, k->key, buf);
	}
	snprintf(buf, sizeof buf, "%d", run->epoch);
	rc = rc ? rc : arpg_kv_set(settings, "run.epoch", buf);
	snprintf(buf, sizeof buf, "%llu", (unsigned long long)run->seed);
	rc = rc ? rc : arpg_kv_set(settings, "run.seed", buf);
	snprintf(buf, sizeof buf, "%.9g", run->lr);
	rc = rc ? rc : arpg_kv_set(settings, "run.lr", buf);
	rc = rc ? rc : arpg_kv_set(settings, "run.optimizer", optimizer_name(run->optimizer));
	snprintf(buf, sizeof buf, "%.9g", run->weight_decay);
	rc = rc ? rc : arpg_kv_set(settings, "run.weight_decay", buf);
	if (run->settings)
		rc = rc ? rc : arpg_kv_set(settings, "run.settings", run->settings);
	rc = rc ? rc : arpg_kv_set(settings, "run.version", PACKAGE_VERSION);
	for (int i = 0; i < meta->n && !rc; i++) {
		char key[300];

		snprintf(key, sizeof key, "cache.%s", meta->keys[i]);
		rc = arpg_kv_set(settings, key, meta->vals[i]);
	}
	return rc;
}

int checkpoint_config(const struct checkpoint *ck, struct model_config *c)
{
	model_config_default(c);
	for (int i = 0; i < NCONFIG_KEYS; i++) {
		const struct config_key *k = &CONFIG_KEYS[i];
		const char *v = arpg_kv_get(&ck->settings, k->key);

		if (k->type == KEY_FLOAT) {
			double d;

			/* a damaged "model.dropout=0.1x" is damage, not 0.1;
			 * the range is model_config_check's */
			if (v) {
				if (arpg_parse_double(v, -1e30, 1e30, &d) < 0)
					return ARPG_EFORMAT;
				*float_field(c, k) = (float)d;
			}
		} else if (!v && k->type == KEY_FLAG) {
			*int_field(c, k) = 0;
		} else if (!v || arpg_parse_int(v, -1, 1 << 20, int_field(c, k)) < 0) {
			return ARPG_EFORMAT;
		}
	}
	return model_config_check(c, NULL, 0) < 0 ? ARPG_EFORMAT : 0;
}

const char *checkpoint_network_diff(const struct model_config *a, const struct model_config *b,
				   int *va, int *vb)
{
	for (int i = 0; i < NCONFIG_KEYS; i++) {
		const struct config_key *k = &CONFIG_KEYS[i];

		if (k->setting && *int_field_c(a, k) != *int_field_c(b, k)) {
			*va = *int_field_c(a, k);
			*vb = *int_field_c(b, k);
			return k->setting;
		}
	}
	return NULL;
}

/* Does the cache's grid list hold the model's grid (model.G)?  A model
 * trained on grid 6 of a cache of grids 4,6 runs on any cache holding 6. */
static int grid_held(const struct checkpoint *ck, const char *cache_grid)
{
	struct arpg_cache_layout l;
	const char *g = arpg_kv_get(&ck->settings, "model.G");

	return g && cache_grid && arpg_cache_grids_parse(&l, cache_grid) == 0 &&
	       arpg_cache_grid_offset(&l, atoi(g)) >= 0;
}

const char *checkpoint_meta_mismatch(const struct checkpoint *ck, const struct arpg_kv *meta,
				     int labels)
{
	for (size_t i = 0; i < sizeof MODEL_META / sizeof *MODEL_META; i++) {
		char key[64];
		const char *mv, *cv = arpg_kv_get(meta, MODEL_META[i]);

		if (!labels && !strcmp(MODEL_META[i], "labels"))
			continue;
		if (!strcmp(MODEL_META[i], "grid")) {
			if (!grid_held(ck, cv))
				return MODEL_META[i];
			continue;
		}
		snprintf(key, sizeof key, "cache.%s", MODEL_META[i]);
		mv = arpg_kv_get(&ck->settings, key);
		if ((mv || cv) && (!mv || !cv || strcmp(mv, cv)))
			return MODEL_META[i];
	}
	return NULL;
}

int checkpoint_epoch(const struct checkpoint *ck)
{
	const char *v = arpg_kv_get(&ck->settings, "run.epoch");

	return v ? atoi(v) : 0;
}

int checkpoint_optimizer(const struct checkpoint *ck)
{
	const char *v = arpg_kv_get(&ck->settings, "run.optimizer");

	return v ? optimizer_parse(v) : OPT_ADAMW;
}

void checkpoint_free(struct checkpoint *ck)
{
	arpg_kv_free(&ck->settings);
	free(ck->params);
	free(ck->m);
	free(ck->v);
	free(ck->tail.params);
	free(ck->tail.m);
	free(ck->tail.v);
	memset(ck, 0, sizeof *ck);
}

static uint8_t *put_floats(uint8_t *p, const float *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t u;

		memcpy(&u, &f[i], 4);
		arpg_le32_put(p, u);
		p += 4;
	}
	return p;
}

static const uint8_t *get_floats(float *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t u = arpg_le32_get(p);

		memcpy(&f[i], &u, 4);
		p += 4;
	}
	return p;
}

/* The bytes of an array block: n floats, the flag, the optimizer's. */
static size_t block_size(size_t n, const struct adam *opt)
{
	return 8 + 4 * n + 4 + (opt ? 8 + 8 * n : 0);
}

/* Writes an array block at p; returns the end. */
static uint8_t *put_block(uint8_t *p, const float *params, size_t n, const struct adam *opt)
{
	arpg_le64_put(p, n);
	p = put_floats(p + 8, params, n);
	arpg_le32_put(p, opt ? 1 : 0);
	p += 4;
	if (opt) {
		arpg_le64_put(p, (uint64_t)opt->step);
		p = put_floats(p + 8, opt->m, n);
		p = put_floats(p, opt->v, n);
	}
	return p;
}

int checkpoint_save(const char *path, const struct arpg_kv *settings, const float *params,
		    size_t n, const struct adam *opt)
{
	return checkpoint_save_tuned(path, settings, params, n, opt, NULL, 0, NULL);
}

int checkpoint_save_tuned(const char *path, const struct arpg_kv *settings,
			  const float *params, size_t n, const struct adam *opt,
			  const float *tparams, size_t tn, const struct adam *topt)
{
	size_t text = 0, total;
	uint8_t *buf, *p;
	SHA2_CTX ctx;
	int rc, i;

	for (i = 0; i < settings->n; i++)
		text += strlen(settings->keys[i]) + strlen(settings->vals[i]) + 2;
	total = 16 + text + block_size(n, opt) + (tparams ? block_size(tn, topt) : 0) + 32;
	if (!(p = buf = malloc(total)))
		return ARPG_ENOMEM;
	memcpy(p, ARPG_MODEL_MAGIC, 8);
	arpg_le32_put(p + 8, tparams ? ARPG_MODEL_VERSION_TUNED : ARPG_MODEL_VERSION);
	arpg_le32_put(p + 12, (uint32_t)text);
	p += 16;
	for (i = 0; i < settings->n; i++)
		p += sprintf((char *)p, "%s\t%s\n", settings->keys[i], settings->vals[i]);
	p = put_block(p, params, n, opt);
	if (tparams)
		p = put_block(p, tparams, tn, topt);
	SHA256Init(&ctx);
	SHA256Update(&ctx, buf, (size_t)(p - buf));
	SHA256Final(p, &ctx);
	rc = arpg_write_file_atomic(path, buf, total);
	free(buf);
	return rc;
}

int checkpoint_tune_settings(struct arpg_kv *settings, const char *backbone, const char *sha,
			     const char *node, double lr)
{
	char buf[64];
	int rc;

	snprintf(buf, sizeof buf, "%.9g", lr);
	if ((rc = arpg_kv_set(settings, "tune.backbone", backbone)) == 0 &&
	    (rc = arpg_kv_set(settings, "tune.backbone_sha256", sha)) == 0 &&
	    (rc = arpg_kv_set(settings, "tune.node", node)) == 0)
		rc = arpg_kv_set(settings, "tune.lr", buf);
	return rc;
}

/* An array block from p (up to end) into a; *next is where it ends. */
static int parse_block(struct checkpoint_arrays *a, const uint8_t *p, const uint8_t *end,
		       const uint8_t **next, char *err, size_t errn)
{
	uint64_t n;

	if (end - p < 8)
		return arpg_errf(err, errn, ARPG_EFORMAT, "truncated");
	n = arpg_le64_get(p);
	p += 8;
	if (n == 0 || n > (uint64_t)(end - p) / 4)
		return arpg_errf(err, errn, ARPG_EFORMAT, "parameter count %llu does not fit the file",
				 (unsigned long long)n);
	a->n = (size_t)n;
	if (!(a->params = malloc(sizeof(float) * a->n)))
		return ARPG_ENOMEM;
	p = get_floats(a->params, p, a->n);
	if (end - p < 4)
		return arpg_errf(err, errn, ARPG_EFORMAT, "truncated");
	a->has_opt = arpg_le32_get(p) != 0;
	p += 4;
	if (a->has_opt) {
		if ((size_t)(end - p) < 8 + 8 * a->n)
			return arpg_errf(err, errn, ARPG_EFORMAT, "optimizer state has the wrong size");
		a->step = (long)arpg_le64_get(p);
		a->m = malloc(sizeof(float) * a->n);
		a->v = malloc(sizeof(float) * a->n);
		if (!a->m || !a->v)
			return ARPG_ENOMEM;
		p = get_floats(a->m, p + 8, a->n);
		p = get_floats(a->v, p, a->n);
	}
	*next = p;
	return 0;
}

/* The arrays after the settings block, p up to end (the checksum): the
 * head's, and with version 2 the tail's. */
static int parse_arrays(struct checkpoint *ck, int version, const uint8_t *p,
			const uint8_t *end, char *err, size_t errn)
{
	struct checkpoint_arrays head = { 0 };
	int rc = parse_block(&head, p, end, &p, err, errn);

	ck->n = head.n;
	ck->params = head.params;
	ck->has_opt = head.has_opt;
	ck->step = head.step;
	ck->m = head.m;
	ck->v = head.v;
	if (rc == 0 && version == ARPG_MODEL_VERSION_TUNED)
		rc = parse_block(&ck->tail, p, end, &p, err, errn);
	if (rc == 0 && p != end)
		rc = arpg_errf(err, errn, ARPG_EFORMAT, "%ld unexpected bytes after the parameters",
			       (long)(end - p));
	return rc;
}

int checkpoint_parse(struct checkpoint *ck, const void *data, size_t len, char *err,
		     size_t errn)
{
	const uint8_t *b = data;
	size_t arrays;
	int rc;

	memset(ck, 0, sizeof *ck);
	if ((rc = arpg_model_file_parse(&ck->settings, b, len, &arrays, err, errn)) < 0 ||
	    (rc = parse_arrays(ck, (int)arpg_le32_get(b + 8), b + arrays, b + len - 32, err,
			       errn)) < 0)
		checkpoint_free(ck);
	return rc;
}

int checkpoint_load(struct checkpoint *ck, const char *path, char *err, size_t errn)
{
	void *buf;
	size_t len;
	int rc;

	memset(ck, 0, sizeof *ck);
	if ((rc = arpg_read_file(path, 0, &buf, &len)) < 0)
		return rc == ARPG_EIO ? arpg_errf(err, errn, rc, "cannot read it: %s", strerror(errno))
				      : rc;
	rc = checkpoint_parse(ck, buf, len, err, errn);
	free(buf);
	return rc;
}
