/* extract.c - one clip's features (see extract.h). */
#include "extract.h"
#include "error.h"
#include "frames_tsv.h"
#include "image.h"
#include "pool.h"
#include "progress.h"
#include "sample.h"
#include "tensor.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void extract_free(struct extract *x)
{
	free(x->src);
	free(x->faces);
	free(x->app);
	free(x->patch);
	memset(x, 0, sizeof *x);
}

static int read_flags(struct extract *x, const struct arpg_manifest_row *row,
		      char *all, int n, char *err, size_t errn)
{
	struct arpg_frames_tsv ft;
	char path[4096], why[200];
	int rc, t;

	if (snprintf(path, sizeof path, "%s/frames.tsv", row->path) >= (int)sizeof path)
		return arpg_errf(err, errn, ARPG_EINVAL, "path too long");
	rc = arpg_frames_tsv_read(&ft, path, why, sizeof why);
	if (rc == ARPG_ENOENT) {
		memset(all, row->faces > 0 ? '1' : '0', (size_t)n);
		x->no_frames_tsv = 1;
	} else if (rc < 0) {
		return arpg_errf(err, errn, rc, "%s: %s", path, why);
	} else if (ft.n > n) {
		rc = arpg_errf(err, errn, ARPG_EFORMAT, "%s: lists frame %ld, the clip has %d",
			       path, ft.n - 1, n);
		arpg_frames_tsv_free(&ft);
		return rc;
	} else {
		for (t = 0; t < n; t++)
			all[t] = t < ft.n && ft.detected[t] ? '1' : '0';
		arpg_frames_tsv_free(&ft);
	}
	for (t = 0; t < x->info.frames; t++)
		x->faces[t] = all[x->src[t]];
	x->faces[x->info.frames] = 0;
	return 0;
}

/* Nonzero if a value is NaN or Inf, or (f16) beyond binary16's range. */
static int check_values(const float *v, size_t n, int dtype)
{
	float lim = dtype == ARPG_F16 ? 65504.0f : 3.4e38f;
	size_t i;
	int bad = 0;

	for (i = 0; i < n; i++)
		bad |= !(fabsf(v[i]) <= lim);
	return bad;
}

int extract_clip(struct extract *x, const struct arpg_manifest_row *row,
		      struct backbone *b, const struct extract_opts *o,
		      char *err, size_t errn)
{
	struct arpg_image *ims = NULL;
	float *app = NULL, *raw = NULL, *nodes = NULL;
	char *all = NULL;
	int n = (int)row->frames, T, G = o->grid, Da = b->app_dim, Dp = b->patch_c;
	size_t mapsz = (size_t)b->patch_c * b->patch_h * b->patch_w, nn = (size_t)G * G;
	int rc = 0, t0, t, nb = 0;
	uint32_t dims[3];
	double c0 = arpg_now(), c1;

	if (row->frames < 1 || row->frames > 1000000)
		return arpg_errf(err, errn, ARPG_EFORMAT, "the manifest says %ld frames",
				 row->frames);
	T = o->frames > 0 ? o->frames : n;
	x->src = malloc(sizeof *x->src * (size_t)T);
	x->faces = malloc((size_t)T + 1);
	all = malloc((size_t)n);
	ims = calloc((size_t)b->max_batch, sizeof *ims);
	app = malloc(sizeof *app * (size_t)T * Da);
	raw = malloc(sizeof *raw * mapsz * b->max_batch);
	nodes = malloc(sizeof *nodes * (size_t)T * nn * Dp);
	if (!x->src || !x->faces || !all || !ims || !app || !raw || !nodes) {
		rc = ARPG_ENOMEM;
		goto out;
	}
	x->info.frames = sample_frames(x->src, n, o->frames);
	x->info.src = x->src;
	x->info.faces = x->faces;
	x->info.label = row->label;
	x->info.split = row->split;
	x->info.subject = row->subject;
	if ((rc = read_flags(x, row, all, n, err, errn)) < 0)
		goto out;
	for (t0 = 0; t0 < T; t0 += nb) {
		nb = T - t0 < b->max_batch ? T - t0 : b->max_batch;
		for (t = 0; t < nb; t++) {
			char path[4096], why[200];

			arpg_image_free(&ims[t]);
			snprintf(path, sizeof path, "%s/%06d.png", row->path, x->src[t0 + t]);
			if ((rc = arpg_png_read(&ims[t], path, o->want_c, why, sizeof why)) < 0) {
				arpg_errf(err, errn, rc, "%s: %s", path, why);
				goto out;
			}
		}
		c1 = arpg_now();
		x->t_decode += c1 - c0;
		if ((rc = b->run(b, nb, ims, app + (size_t)t0 * Da, raw, err, errn)) < 0)
			goto out;
		c0 = arpg_now();
		x->t_backbone += c0 - c1;
		for (t = 0; t < nb; t++)
			pool_adaptive_avg_nodes(nodes + (size_t)(t0 + t) * nn * Dp,
						     raw + (size_t)t * mapsz, b->patch_c,
						     b->patch_h, b->patch_w, G);
		c1 = arpg_now();
		x->t_pool += c1 - c0;
		c0 = c1;
	}
	if (check_values(app, (size_t)T * Da, o->dtype) ||
	    check_values(nodes, (size_t)T * nn * Dp, o->dtype)) {
		rc = arpg_errf(err, errn, ARPG_ENUMERIC, o->dtype == ARPG_F16
			       ? "a feature is NaN, Inf or beyond the f16 range (try --dtype f32)"
			       : "a feature is NaN or Inf");
		goto out;
	}
	dims[0] = (uint32_t)T;
	dims[1] = (uint32_t)Da;
	x->app_len = arpg_tensor_record_size(o->dtype, 2, (size_t)T * Da);
	dims[1] = (uint32_t)nn;
	dims[2] = (uint32_t)Dp;
	x->patch_len = arpg_tensor_record_size(o->dtype, 3, (size_t)T * nn * Dp);
	if (!(x->app = malloc(x->app_len)) || !(x->patch = malloc(x->patch_len))) {
		rc = ARPG_ENOMEM;
		goto out;
	}
	arpg_tensor_encode(x->patch, o->dtype, 3, dims, nodes);
	dims[1] = (uint32_t)Da;
	arpg_tensor_encode(x->app, o->dtype, 2, dims, app);
	x->t_encode += arpg_now() - c0;
out:
	if (ims)
		for (t = 0; t < b->max_batch; t++)
			arpg_image_free(&ims[t]);
	free(ims);
	free(all);
	free(app);
	free(raw);
	free(nodes);
	return rc;
}
