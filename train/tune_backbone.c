/* tune_backbone.c - the backbone file of --tune-backbone, and
 * --export-backbone (see tune_backbone.h). */
#include "tune_backbone.h"
#include "error.h"
#include "fileio.h"
#include "onnx/onnx.h"
#include "onnx/onnx_build.h"

#include <errno.h>
#include <sha2.h>
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
		arpg_errf(err, errn, rc, "%s", rc == ARPG_EIO ? strerror(errno) :
			  rc == ARPG_ENOMEM || rc == ARPG_EFULL ? arpg_strerror(rc) : why);
out:
	free(buf);
	free(repl);
	free(vals);
	return rc;
}
