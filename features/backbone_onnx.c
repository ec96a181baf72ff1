/* backbone_onnx.c - an ONNX CNN (IResNet and the like) as an arpg-features
 * backbone: faces to NCHW floats with the model's normalisation, one run
 * of the engine per batch, the graph output as the appearance vector and a
 * tapped feature map (named, or the stride-8 map found automatically) as
 * the patch map. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sha2.h>
#include "backbone.h"
#include "error.h"
#include "fileio.h"
#include "onnx/onnx.h"

struct onnx_bb {
	struct arpg_onnx *m;
	struct norm norm;
	float *in;		/* max_batch x 3 x in_size x in_size */
};

static int bb_run(struct backbone *b, int n, const struct arpg_image *faces,
		  float *app, float *patch, char *err, size_t errn)
{
	struct onnx_bb *o = b->impl;
	struct arpg_onnx_tensor t;
	const float *in[1];
	int S = b->in_size, i, c, p, rc;
	size_t pn = (size_t)b->patch_c * b->patch_h * b->patch_w;

	if (n < 1 || n > b->max_batch)
		return arpg_errf(err, errn, ARPG_EINVAL, "batch of %d (1 to %d)", n, b->max_batch);
	for (i = 0; i < n; i++) {
		const struct arpg_image *f = &faces[i];
		float *d = o->in + (size_t)i * 3 * S * S;
		if (f->w != S || f->h != S || (f->c != 3 && f->c != 1))
			return arpg_errf(err, errn, ARPG_EINVAL,
					 "face %d is %dx%dx%d: the model takes %dx%d RGB", i,
					 f->w, f->h, f->c, S, S);
		for (c = 0; c < 3; c++) {
			int sc = f->c == 1 ? 0 : o->norm.bgr ? 2 - c : c;
			float mu = o->norm.mean[c], k = 1.0f / o->norm.std[c];
			for (p = 0; p < S * S; p++)
				d[(size_t)c * S * S + p] = (f->px[(size_t)p * f->c + sc] - mu) * k;
		}
	}
	in[0] = o->in;
	if ((rc = arpg_onnx_run(o->m, n, in, err, errn)) < 0)
		return rc;
	arpg_onnx_output(o->m, 0, &t);
	memcpy(app, t.data, (size_t)n * b->app_dim * sizeof *app);
	if (patch) {
		if (arpg_onnx_get(o->m, b->patch_node, &t) < 0)
			return arpg_errf(err, errn, ARPG_ENOENT, "patch node '%s' lost", b->patch_node);
		memcpy(patch, t.data, (size_t)n * pn * sizeof *patch);
	}
	return 0;
}

static void bb_free(struct backbone *b)
{
	struct onnx_bb *o;

	if (!b)
		return;
	if ((o = b->impl)) {
		arpg_onnx_free(o->m);
		free(o->in);
		free(o);
	}
	free(b);
}

int backbone_open_onnx(struct backbone **bp, const char *path,
			    const struct norm *norm, const char *patch_node,
			    int max_batch, char *err, size_t errn)
{
	static const struct norm insightface = { { 127.5f, 127.5f, 127.5f },
						      { 127.5f, 127.5f, 127.5f }, 0 };
	struct backbone *b = calloc(1, sizeof *b);
	struct onnx_bb *o = calloc(1, sizeof *o);
	struct arpg_onnx_tensor t;
	const char *base = strrchr(path, '/');
	char msg[512];
	void *buf = NULL;
	size_t len = 0;
	int64_t dims[ARPG_ONNX_MAXRANK];
	int rc, rank;

	*bp = NULL;
	if (!b || !o) {
		rc = arpg_errf(err, errn, ARPG_ENOMEM, "%s: out of memory", path);
		goto fail;
	}
	b->impl = o;
	b->run = bb_run;
	b->free = bb_free;
	o->norm = norm ? *norm : insightface;
	if (max_batch < 1)
		max_batch = 1;
	b->max_batch = max_batch;
	snprintf(b->name, sizeof b->name, "%s", base ? base + 1 : path);
	if ((rc = arpg_read_file(path, 0, &buf, &len)) < 0) {
		/* a missing model is the usual case: say that, not "input/output" */
		if (rc == ARPG_EIO && errno == ENOENT)
			rc = arpg_errf(err, errn, ARPG_ENOENT, "no such model file: give the "
				       "path of an ONNX model to -b, or -b hog (built in)");
		else
			rc = arpg_errf(err, errn, rc, "%s: %s", path,
				       rc == ARPG_EIO ? strerror(errno) : arpg_strerror(rc));
		goto fail;
	}
	SHA256Data(buf, len, b->sha256);
	rc = arpg_onnx_load(&o->m, buf, len, msg, sizeof msg);
	free(buf);
	if (rc < 0)
		goto failmsg;
	if (arpg_onnx_ninputs(o->m) != 1 || arpg_onnx_input_info(o->m, 0, NULL, &rank, dims) < 0 ||
	    rank != 4 || (dims[1] != 3 && dims[1] >= 0) || dims[2] != dims[3]) {
		rc = arpg_errf(err, errn, ARPG_EUNSUPPORTED,
			       "%s: expected one input of shape Nx3xSxS (an image CNN)", path);
		goto fail;
	}
	b->in_size = dims[2] > 0 ? (int)dims[2] : 112;
	if (dims[2] <= 0) {
		int64_t d[4] = { max_batch, 3, b->in_size, b->in_size };
		if ((rc = arpg_onnx_set_input_shape(o->m, 0, 4, d, msg, sizeof msg)) < 0)
			goto failmsg;
	}
	if (patch_node && patch_node[0])
		snprintf(b->patch_node, sizeof b->patch_node, "%s", patch_node);
	else if ((rc = arpg_onnx_find_stride8(o->m, b->in_size, b->patch_node,
					      sizeof b->patch_node, msg, sizeof msg)) < 0)
		goto failmsg;
	/* ARPG_ONNX_WINOGRAD=0 keeps every convolution on im2col
	 * (arpg-features(1)); the engine reads no environment itself */
	arpg_onnx_set_winograd(o->m, arpg_onnx_winograd_parse(getenv("ARPG_ONNX_WINOGRAD")));
	if ((rc = arpg_onnx_tap(o->m, b->patch_node, msg, sizeof msg)) < 0 ||
	    (rc = arpg_onnx_prepare(o->m, max_batch, msg, sizeof msg)) < 0)
		goto failmsg;
	arpg_onnx_output(o->m, 0, &t);
	if (t.rank < 1 || t.dims[0] != max_batch) {
		rc = arpg_errf(err, errn, ARPG_EUNSUPPORTED,
			       "%s: the output '%s' has no batch dimension", path, t.name);
		goto fail;
	}
	b->app_dim = 1;
	for (rank = 1; rank < t.rank; rank++)
		b->app_dim *= (int)t.dims[rank];
	if (arpg_onnx_get(o->m, b->patch_node, &t) < 0 || t.rank != 4 || t.dims[0] != max_batch) {
		rc = arpg_errf(err, errn, ARPG_EUNSUPPORTED,
			       "%s: patch node '%s' is not a batch of C x H x W maps", path,
			       b->patch_node);
		goto fail;
	}
	b->patch_c = (int)t.dims[1], b->patch_h = (int)t.dims[2], b->patch_w = (int)t.dims[3];
	if (!(o->in = malloc((size_t)max_batch * 3 * b->in_size * b->in_size * sizeof *o->in))) {
		rc = arpg_errf(err, errn, ARPG_ENOMEM, "%s: out of memory", path);
		goto fail;
	}
	*bp = b;
	return 0;
failmsg:
	rc = arpg_errf(err, errn, rc, "%s: %s", path, msg);
fail:
	bb_free(b);
	if (!b)
		free(o);
	return rc;
}
