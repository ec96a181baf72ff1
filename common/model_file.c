/* model_file.c - a model file's frame and settings (see model_file.h). */
#include "model_file.h"
#include "error.h"
#include "fileio.h"
#include "le.h"

#include <errno.h>
#include <sha2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The settings text t[0..len) into settings. */
static int parse_text(struct arpg_kv *settings, const char *t, size_t len, char *err,
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
		rc = k && v ? arpg_kv_set(settings, k, v) : ARPG_ENOMEM;
		free(k);
		free(v);
		if (rc < 0)
			return rc;
		t = nl + 1;
	}
	return 0;
}

int arpg_model_file_parse(struct arpg_kv *settings, const void *data, size_t len,
			  size_t *arrays, char *err, size_t errn)
{
	const uint8_t *b = data, *p, *end;
	uint8_t digest[32];
	SHA2_CTX ctx;
	uint32_t text;

	if (len < 16 || memcmp(b, ARPG_MODEL_MAGIC, 8))
		return arpg_errf(err, errn, ARPG_EFORMAT, "not an arpg-train model (no ARPGCKPT magic)");
	if (arpg_le32_get(b + 8) != ARPG_MODEL_VERSION &&
	    arpg_le32_get(b + 8) != ARPG_MODEL_VERSION_TUNED)
		return arpg_errf(err, errn, ARPG_EFORMAT, "model format version %u; this arpg-train "
				 "reads %d and %d", arpg_le32_get(b + 8), ARPG_MODEL_VERSION,
				 ARPG_MODEL_VERSION_TUNED);
	if (len < 16 + 32)
		return arpg_errf(err, errn, ARPG_EFORMAT, "truncated");
	end = b + len - 32;
	SHA256Init(&ctx);
	SHA256Update(&ctx, b, len - 32);
	SHA256Final(digest, &ctx);
	if (memcmp(digest, end, 32))
		return arpg_errf(err, errn, ARPG_EFORMAT, "checksum mismatch: the file is damaged or truncated");
	text = arpg_le32_get(b + 12);
	p = b + 16;
	if (text > (size_t)(end - p) || (size_t)(end - p) - text < 12)
		return arpg_errf(err, errn, ARPG_EFORMAT, "truncated");
	*arrays = 16 + (size_t)text;
	return parse_text(settings, (const char *)p, text, err, errn);
}

int arpg_model_file_settings(struct arpg_kv *settings, const char *path, char *err,
			     size_t errn)
{
	void *buf;
	size_t len, arrays;
	int rc;

	if ((rc = arpg_read_file(path, 0, &buf, &len)) < 0)
		return rc == ARPG_EIO ? arpg_errf(err, errn, rc, "cannot read it: %s", strerror(errno))
				      : rc;
	rc = arpg_model_file_parse(settings, buf, len, &arrays, err, errn);
	free(buf);
	return rc;
}
