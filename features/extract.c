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
	free(x->maps);
	free(x->info.frame_labels);
	free(x->label_classes);
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
		/* the labels of the frames taken (frames.tsv lists every frame) */
		if (ft.labels) {
			if (!(x->info.frame_labels = malloc((size_t)x->info.frames))) {
				arpg_frames_tsv_free(&ft);
				return ARPG_ENOMEM;
			}
			for (t = 0; t < x->info.frames; t++)
				x->info.frame_labels[t] = x->src[t] < ft.n ? ft.labels[x->src[t]] : -1;
			x->label_classes = ft.label_classes;
			ft.label_classes = NULL;
		}
		arpg_frames_tsv_free(&ft);
	}
	for (t = 0; t < x->info.frames; t++)
		x->faces[t] = all[x->src[t]];
	x->faces[x->info.frames] = 0;
	return 0;
}

/* dst = src mirrored left to right (dst reallocated when its size differs). */
static int mirror(struct arpg_image *dst, const struct arpg_image *src)
{
	int rc;

	if (dst->w != src->w || dst->h != src->h || dst->c != src->c) {
		arpg_image_free(dst);
		if ((rc = arpg_image_alloc(dst, src->w, src->h, src->c)) < 0)
			return rc;
	}
	for (int y = 0; y < src->h; y++) {
		const uint8_t *s = src->px + (size_t)y * src->w * src->c;
		uint8_t *d = dst->px + (size_t)y * src->w * src->c;

		for (int x = 0; x < src->w; x++)
			memcpy(d + (size_t)(src->w - 1 - x) * src->c, s + (size_t)x * src->c,
			       (size_t)src->c);
	}
	return 0;
}

/* Runs the backbone on nb faces and pools their patch maps to each grid:
 * app (nb x Da) and nodes (nb x g->nodes x Dp, grid after grid).  raw is
 * the backbone's map scratch; maps, when not NULL, receives a copy of it
 * (nb x C x H x W). */
static int run_faces(struct extract *x, struct backbone *b, const struct arpg_image *ims, int nb,
		     const struct arpg_cache_layout *g, float *app, float *nodes, float *raw,
		     float *maps, char *err, size_t errn)
{
	size_t mapsz = (size_t)b->patch_c * b->patch_h * b->patch_w, nn = (size_t)g->nodes;
	double c0 = arpg_now(), c1;
	int rc;

	if ((rc = b->run(b, nb, ims, app, raw, err, errn)) < 0)
		return rc;
	c1 = arpg_now();
	x->t_backbone += c1 - c0;
	if (maps)
		memcpy(maps, raw, sizeof *raw * mapsz * (size_t)nb);
	for (int t = 0; t < nb; t++)
		for (int i = 0, off = 0; i < g->ngrids; off += g->grids[i] * g->grids[i], i++)
			pool_adaptive_avg_nodes(nodes + ((size_t)t * nn + off) * b->patch_c,
						raw + (size_t)t * mapsz, b->patch_c, b->patch_h,
						b->patch_w, g->grids[i]);
	x->t_pool += arpg_now() - c1;
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
	struct arpg_image *ims = NULL, *mir = NULL;
	float *app = NULL, *raw = NULL, *nodes = NULL, *maps = NULL;
	char *all = NULL;
	int n = (int)row->frames, T, Da = b->app_dim, Dp = b->patch_c;
	int V = o->flip ? 2 : 1, rank;
	size_t mapsz = (size_t)b->patch_c * b->patch_h * b->patch_w, nn = (size_t)o->grids->nodes;
	int rc = 0, t0, t, nb = 0;
	uint32_t dims[4];
	double c0 = arpg_now();

	if (row->frames < 1 || row->frames > 1000000)
		return arpg_errf(err, errn, ARPG_EFORMAT, "the manifest says %ld frames",
				 row->frames);
	T = o->frames > 0 ? o->frames : n;
	x->src = malloc(sizeof *x->src * (size_t)T);
	x->faces = malloc((size_t)T + 1);
	all = malloc((size_t)n);
	ims = calloc((size_t)b->max_batch, sizeof *ims);
	mir = o->flip ? calloc((size_t)b->max_batch, sizeof *mir) : NULL;
	app = malloc(sizeof *app * (size_t)V * T * Da);
	raw = malloc(sizeof *raw * mapsz * b->max_batch);
	nodes = malloc(sizeof *nodes * (size_t)V * T * nn * Dp);
	if (o->maps && o->flip) {
		rc = arpg_errf(err, errn, ARPG_EINVAL, "maps of mirrored views are not kept");
		goto out;
	}
	maps = o->maps ? malloc(sizeof *maps * mapsz * (size_t)T) : NULL;
	if ((o->maps && !maps) || !x->src || !x->faces || !all || !ims || (o->flip && !mir) || !app || !raw || !nodes) {
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
			if (o->flip && (rc = mirror(&mir[t], &ims[t])) < 0)
				goto out;
		}
		x->t_decode += arpg_now() - c0;
		if ((rc = run_faces(x, b, ims, nb, o->grids, app + (size_t)t0 * Da,
				    nodes + (size_t)t0 * nn * Dp, raw,
				    maps ? maps + (size_t)t0 * mapsz : NULL, err, errn)) < 0 ||
		    (o->flip && (rc = run_faces(x, b, mir, nb, o->grids, app + (size_t)(T + t0) * Da,
						nodes + (size_t)(T + t0) * nn * Dp, raw, NULL, err,
						errn)) < 0))
			goto out;
		c0 = arpg_now();
	}
	if (check_values(app, (size_t)V * T * Da, o->dtype) ||
	    check_values(nodes, (size_t)V * T * nn * Dp, o->dtype)) {
		rc = arpg_errf(err, errn, ARPG_ENUMERIC, o->dtype == ARPG_F16
			       ? "a feature is NaN, Inf or beyond the f16 range (try --dtype f32)"
			       : "a feature is NaN or Inf");
		goto out;
	}
	if (maps && check_values(maps, mapsz * (size_t)T, o->maps)) {
		rc = arpg_errf(err, errn, ARPG_ENUMERIC, o->maps == ARPG_F16
			       ? "a map value is NaN, Inf or beyond the f16 range (try --maps=f32)"
			       : "a map value is NaN or Inf");
		goto out;
	}
	/* (views,) T, Da  and  (views,) T, nodes, Dp */
	rank = 0;
	if (V > 1)
		dims[rank++] = (uint32_t)V;
	dims[rank] = (uint32_t)T;
	dims[rank + 1] = (uint32_t)Da;
	x->app_len = arpg_tensor_record_size(o->dtype, rank + 2, (size_t)V * T * Da);
	x->patch_len = arpg_tensor_record_size(o->dtype, rank + 3, (size_t)V * T * nn * Dp);
	if (!(x->app = malloc(x->app_len)) || !(x->patch = malloc(x->patch_len))) {
		rc = ARPG_ENOMEM;
		goto out;
	}
	arpg_tensor_encode(x->app, o->dtype, rank + 2, dims, app);
	dims[rank + 1] = (uint32_t)nn;
	dims[rank + 2] = (uint32_t)Dp;
	arpg_tensor_encode(x->patch, o->dtype, rank + 3, dims, nodes);
	if (maps) {
		uint32_t md[4] = { (uint32_t)T, (uint32_t)b->patch_c, (uint32_t)b->patch_h,
				   (uint32_t)b->patch_w };

		x->maps_len = arpg_tensor_record_size(o->maps, 4, mapsz * (size_t)T);
		if (!(x->maps = malloc(x->maps_len))) {
			rc = ARPG_ENOMEM;
			goto out;
		}
		arpg_tensor_encode(x->maps, o->maps, 4, md, maps);
	}
	x->t_encode += arpg_now() - c0;
out:
	for (t = 0; t < b->max_batch; t++) {
		if (ims)
			arpg_image_free(&ims[t]);
		if (mir)
			arpg_image_free(&mir[t]);
	}
	free(ims);
	free(mir);
	free(all);
	free(app);
	free(raw);
	free(nodes);
	free(maps);
	return rc;
}
