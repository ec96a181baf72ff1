/* checkpoint.c - saving and loading trained models. */
#include "checkpoint.h"
#include "error.h"
#include "fileio.h"

#include <sha2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char MAGIC[8] = { 'A', 'R', 'P', 'G', 'C', 'K', 'P', 'T' };
enum { VERSION = 1 };

int checkpoint_set(struct checkpoint *ck, const char *key, const char *val)
{
	char **k, **v, *nv;

	for (int i = 0; i < ck->nkv; i++)
		if (!strcmp(ck->keys[i], key)) {
			if (!(nv = strdup(val)))
				return ARPG_ENOMEM;
			free(ck->vals[i]);
			ck->vals[i] = nv;
			return 0;
		}
	if (!(k = realloc(ck->keys, sizeof *k * (ck->nkv + 1))))
		return ARPG_ENOMEM;
	ck->keys = k;
	if (!(v = realloc(ck->vals, sizeof *v * (ck->nkv + 1))))
		return ARPG_ENOMEM;
	ck->vals = v;
	k[ck->nkv] = strdup(key);
	v[ck->nkv] = strdup(val);
	if (!k[ck->nkv] || !v[ck->nkv]) {
		free(k[ck->nkv]);
		free(v[ck->nkv]);
		return ARPG_ENOMEM;
	}
	ck->nkv++;
	return 0;
}

const char *checkpoint_get(const struct checkpoint *ck, const char *key)
{
	for (int i = 0; i < ck->nkv; i++)
		if (!strcmp(ck->keys[i], key))
			return ck->vals[i];
	return NULL;
}

void checkpoint_free(struct checkpoint *ck)
{
	for (int i = 0; i < ck->nkv; i++) {
		free(ck->keys[i]);
		free(ck->vals[i]);
	}
	free(ck->keys);
	free(ck->vals);
	free(ck->params);
	free(ck->m);
	free(ck->v);
	memset(ck, 0, sizeof *ck);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint8_t *put_floats(uint8_t *p, const float *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t u;

		memcpy(&u, &f[i], 4);
		put_u32(p, u);
		p += 4;
	}
	return p;
}

static const uint8_t *get_floats(float *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t u = get_u32(p);

		memcpy(&f[i], &u, 4);
		p += 4;
	}
	return p;
}

int checkpoint_save(const struct checkpoint *ck, const char *path)
{
	size_t text = 0, total;
	uint8_t *buf, *p;
	int rc, i;

	for (i = 0; i < ck->nkv; i++)
		text += strlen(ck->keys[i]) + strlen(ck->vals[i]) + 2;
	total = 16 + text + 8 + 4 * ck->n + 4 + (ck->has_opt ? 8 + 8 * ck->n : 0) + 32;
	if (!(p = buf = malloc(total)))
		return ARPG_ENOMEM;
	memcpy(p, MAGIC, 8);
	put_u32(p + 8, VERSION);
	put_u32(p + 12, (uint32_t)text);
	p += 16;
	for (i = 0; i < ck->nkv; i++)
		p += sprintf((char *)p, "%s\t%s\n", ck->keys[i], ck->vals[i]);
	put_u64(p, ck->n);
	p = put_floats(p + 8, ck->params, ck->n);
	put_u32(p, (uint32_t)ck->has_opt);
	p += 4;
	if (ck->has_opt) {
		put_u64(p, (uint64_t)ck->step);
		p = put_floats(p + 8, ck->m, ck->n);
		p = put_floats(p, ck->v, ck->n);
	}
	{
		SHA2_CTX ctx;

		SHA256Init(&ctx);
		SHA256Update(&ctx, buf, (size_t)(p - buf));
		SHA256Final(p, &ctx);
	}
	rc = arpg_write_file_atomic(path, buf, total);
	free(buf);
	return rc;
}

static int parse_text(struct checkpoint *ck, const char *t, size_t len, char *err,
		      size_t errn)
{
	const char *end = t + len;

	while (t < end) {
		const char *nl = memchr(t, '\n', (size_t)(end - t)), *tab;
		char *k, *v;
		int rc;

		if (!nl || !(tab = memchr(t, '\t', (size_t)(nl - t))))
			return arpg_errf(err, errn, ARPG_EFORMAT, "damaged settings block");
		k = strndup(t, (size_t)(tab - t));
		v = strndup(tab + 1, (size_t)(nl - tab - 1));
		rc = k && v ? checkpoint_set(ck, k, v) : ARPG_ENOMEM;
		free(k);
		free(v);
		if (rc < 0)
			return rc;
		t = nl + 1;
	}
	return 0;
}

int checkpoint_parse(struct checkpoint *ck, const void *data, size_t len, char *err,
			  size_t errn)
{
	const uint8_t *b = data, *p, *end;
	uint8_t digest[32];
	SHA2_CTX ctx;
	uint32_t text;
	uint64_t n;
	int rc;

	memset(ck, 0, sizeof *ck);
	if (len < 16 || memcmp(b, MAGIC, 8))
		return arpg_errf(err, errn, ARPG_EFORMAT, "not an arpg-train model (no ARPGCKPT magic)");
	if (get_u32(b + 8) != VERSION)
		return arpg_errf(err, errn, ARPG_EFORMAT, "model format version %u; this arpg-train reads %d",
				 get_u32(b + 8), VERSION);
	if (len < 16 + 32)
		return arpg_errf(err, errn, ARPG_EFORMAT, "truncated");
	end = b + len - 32;
	SHA256Init(&ctx);
	SHA256Update(&ctx, b, len - 32);
	SHA256Final(digest, &ctx);
	if (memcmp(digest, end, 32))
		return arpg_errf(err, errn, ARPG_EFORMAT, "checksum mismatch: the file is damaged or truncated");
	text = get_u32(b + 12);
	p = b + 16;
	if (text > (size_t)(end - p) || (size_t)(end - p) - text < 12)
		return arpg_errf(err, errn, ARPG_EFORMAT, "truncated");
	if ((rc = parse_text(ck, (const char *)p, text, err, errn)) < 0)
		goto fail;
	p += text;
	n = get_u64(p);
	p += 8;
	if (n == 0 || n > (uint64_t)(end - p) / 4) {
		rc = arpg_errf(err, errn, ARPG_EFORMAT, "parameter count %llu does not fit the file",
			       (unsigned long long)n);
		goto fail;
	}
	ck->n = (size_t)n;
	if (!(ck->params = malloc(sizeof(float) * ck->n))) {
		rc = ARPG_ENOMEM;
		goto fail;
	}
	p = get_floats(ck->params, p, ck->n);
	if (end - p < 4) {
		rc = arpg_errf(err, errn, ARPG_EFORMAT, "truncated");
		goto fail;
	}
	ck->has_opt = get_u32(p) != 0;
	p += 4;
	if (ck->has_opt) {
		if ((size_t)(end - p) != 8 + 8 * ck->n) {
			rc = arpg_errf(err, errn, ARPG_EFORMAT, "optimizer state has the wrong size");
			goto fail;
		}
		ck->step = (long)get_u64(p);
		ck->m = malloc(sizeof(float) * ck->n);
		ck->v = malloc(sizeof(float) * ck->n);
		if (!ck->m || !ck->v) {
			rc = ARPG_ENOMEM;
			goto fail;
		}
		p = get_floats(ck->m, p + 8, ck->n);
		p = get_floats(ck->v, p, ck->n);
	}
	if (p != end) {
		rc = arpg_errf(err, errn, ARPG_EFORMAT, "%ld unexpected bytes after the parameters",
			       (long)(end - p));
		goto fail;
	}
	return 0;
fail:
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
		return rc;
	rc = checkpoint_parse(ck, buf, len, err, errn);
	free(buf);
	return rc;
}
