/* tune_backbone.c - the backbone file of --tune-backbone, and
 * --export-backbone (see tune_backbone.h). */
#include "tune_backbone.h"
#include "error.h"
#include "fileio.h"
#include "onnx/onnx.h"
#include "onnx/onnx_build.h"

#include <errno.h>
#include <sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tune_backbone_free(struct tune_backbone *bb)
{
	tune_free(bb->t);
	tune_sources_free(&bb->src);
	free(bb->path);
	free(bb->node);
	memset(bb, 0, sizeof *bb);
}

/* The file path into *buf (*len), its SHA-256 into hex, which must be
 * want_sha's when that is not NULL.  0 or a negative code, err says why. */
static int read_model(const char *path, const char *want_sha, void **buf, size_t *len,
		      char hex[65], char *err, size_t errn)
{
	int rc;

	if ((rc = arpg_read_file(path, 0, buf, len)) < 0)
		return arpg_errf(err, errn, rc, "%s: %s", path,
				 rc == ARPG_EIO ? strerror(errno) : arpg_strerror(rc));
	SHA256Data(*buf, *len, hex);
	if (want_sha && strcmp(want_sha, hex)) {
		free(*buf);
		*buf = NULL;
		return arpg_errf(err, errn, ARPG_EMISMATCH, "%s has SHA-256 %.12s..., not the "
				 "%.12s... of the backbone wanted", path, hex, want_sha);
	}
	return 0;
}

int tune_backbone_open(struct tune_backbone *bb, const char *path, const char *want_sha,
		       const char *node, int c, int h, int w, int max_n, char *err, size_t errn)
{
	struct arpg_onnx *om = NULL;
	void *buf = NULL;
	size_t len = 0;
	char why[400];
	int rc;

	memset(bb, 0, sizeof *bb);
	if ((rc = read_model(path, want_sha, &buf, &len, bb->sha, err, errn)) < 0)
		return rc;
	rc = arpg_onnx_load(&om, buf, len, why, sizeof why);
	free(buf);
	if (rc < 0 || (rc = tune_from_onnx_sources(&bb->t, &bb->src, om, node, c, h, w, max_n,
						    why, sizeof why)) < 0) {
		arpg_errf(err, errn, rc, "%s: %s", path, why);
		goto fail;
	}
	if (!(bb->path = strdup(path)) || !(bb->node = strdup(node))) {
		rc = arpg_errf(err, errn, ARPG_ENOMEM, "%s", arpg_strerror(ARPG_ENOMEM));
		goto fail;
	}
	arpg_onnx_free(om);
	return 0;
fail:
	arpg_onnx_free(om);
	tune_backbone_free(bb);
	return rc;
}

/* Source s's values as its initializer holds them, from the parameters
 * (the Gemm weight transposed back) into dst (s->n floats). */
static void source_values(float *dst, const struct tune_source *s, const float *params)
{
	const float *p = params + s->off;

	if (s->rows <= 0) {
		memcpy(dst, p, sizeof *dst * s->n);
		return;
	}
	for (int r = 0; r < s->rows; r++)	/* the tail's (cols, rows) -> (rows, cols) */
		for (int k = 0; k < s->cols; k++)
			dst[(size_t)r * s->cols + k] = p[(size_t)k * s->rows + r];
}

int tune_backbone_export(const struct tune_backbone *bb, const char *out, char *err,
			 size_t errn)
{
	struct arpg_onnx_replace *repl = calloc((size_t)bb->src.n + 1, sizeof *repl);
	float *vals = malloc(sizeof *vals * (bb->t->nparams ? bb->t->nparams : 1));
	void *buf = NULL;
	size_t len = 0, off = 0;
	char hex[65], why[400];
	int rc;

	if (!repl || !vals) {
		rc = arpg_errf(err, errn, ARPG_ENOMEM, "%s", arpg_strerror(ARPG_ENOMEM));
		goto out;
	}
	if ((rc = read_model(bb->path, bb->sha, &buf, &len, hex, err, errn)) < 0) {
		if (rc == ARPG_EMISMATCH)
			arpg_errf(err, errn, rc, "%s changed since its tail was read: give the "
				  "backbone the model was tuned from", bb->path);
		goto out;
	}
	for (int i = 0; i < bb->src.n; i++) {
		const struct tune_source *s = &bb->src.v[i];

		source_values(vals + off, s, bb->t->params);
		repl[i] = (struct arpg_onnx_replace){ s->name, vals + off, s->n };
		off += s->n;
	}
	if ((rc = arpg_onnx_replace_initializers(buf, len, repl, bb->src.n, out, why,
						 sizeof why)) < 0)
		arpg_errf(err, errn, rc, "%s%s", rc == ARPG_EIO || rc == ARPG_EFULL ?
			  "cannot write it: " : "", rc == ARPG_EIO ? strerror(errno) :
			  rc == ARPG_ENOMEM || rc == ARPG_EFULL ? arpg_strerror(rc) : why);
out:
	free(buf);
	free(repl);
	free(vals);
	return rc;
}

int tune_backbone_restore(struct tune_backbone *bb, const struct checkpoint *ck, char *err,
			  size_t errn)
{
	const char *sha = arpg_kv_get(&ck->settings, "tune.backbone_sha256");

	if (!ck->tail.n || !sha)
		return arpg_errf(err, errn, ARPG_EMISMATCH, "the model was trained without "
				 "--tune-backbone");
	if (strcmp(sha, bb->sha))
		return arpg_errf(err, errn, ARPG_EMISMATCH, "the model was tuned from the backbone "
				 "of SHA-256 %.12s..., not from %s (%.12s...)", sha, bb->path, bb->sha);
	if (ck->tail.n != bb->t->nparams)
		return arpg_errf(err, errn, ARPG_EFORMAT, "%zu tuned parameters, but %s's tail "
				 "has %zu: the file is damaged", ck->tail.n, bb->path,
				 bb->t->nparams);
	memcpy(bb->t->params, ck->tail.params, sizeof(float) * ck->tail.n);
	return 0;
}

int tune_backbone_load(struct tune_backbone *bb, const struct checkpoint *ck, const char *path,
		       int max_n, char *err, size_t errn)
{
	const char *sha = arpg_kv_get(&ck->settings, "tune.backbone_sha256");
	const char *node = arpg_kv_get(&ck->settings, "tune.node");
	const char *shape = arpg_kv_get(&ck->settings, "cache.maps_shape");
	const char *named = arpg_kv_get(&ck->settings, "tune.backbone");
	unsigned c, h, w;
	char end;
	int rc;

	memset(bb, 0, sizeof *bb);
	if (!ck->tail.n || !sha || !node || !named)
		return arpg_errf(err, errn, ck->tail.n ? ARPG_EFORMAT : ARPG_EMISMATCH,
				 ck->tail.n ? "a tuned model without its tune.* settings: the file "
				 "is not a model saved by arpg-train" : "the model was trained "
				 "without --tune-backbone: it holds no tuned backbone");
	if (!shape || sscanf(shape, "%u,%u,%u%c", &c, &h, &w, &end) != 3)
		return arpg_errf(err, errn, ARPG_EFORMAT, "a tuned model without cache.maps_shape: "
				 "the file is not a model saved by arpg-train");
	if ((rc = tune_backbone_open(bb, path ? path : named, sha, node, (int)c, (int)h, (int)w,
				     max_n, err, errn)) < 0) {
		char why[512];

		snprintf(why, sizeof why, "%s", err);
		if (rc == ARPG_EMISMATCH)
			arpg_errf(err, errn, rc, "%s is not the backbone the model was tuned from "
				  "(SHA-256 %.12s...): give that file with --tune-backbone",
				  path ? path : named, sha);
		else if (!path && rc == ARPG_EIO)
			arpg_errf(err, errn, rc, "the backbone the model was tuned from cannot be "
				  "read (%s): give it with --tune-backbone FILE.onnx", why);
		return rc;
	}
	if ((rc = tune_backbone_restore(bb, ck, err, errn)) < 0)
		tune_backbone_free(bb);
	return rc;
}
