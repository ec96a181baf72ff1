/* scrfd.c - InsightFace's SCRFD face detectors (det_500m, det_2.5g,
 * det_10g of the buffalo packs, with or without keypoints): their outputs,
 * and the decoding and NMS of insightface/model_zoo/scrfd.py (see
 * detector_impl.h).  Until scrfd_nms is done a face's box holds x1 y1 x2
 * y2, as scrfd.py's; detector.c then makes it x y w h. */
#include "detector_impl.h"
#include "error.h"
#include "onnx/onnx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* numpy's float32 arithmetic: no fused multiply-adds. */
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

/* Output k (rank 2: N x C, or 3: 1 x N x C) has C columns and N rows
 * (*rows); *batched says which rank.  0, or -1 with why. */
static int output_rows(const struct arpg_onnx *m, int k, int cols, int *rows, int *batched,
		       char *why, size_t whyn)
{
	struct arpg_onnx_tensor t;

	arpg_onnx_output(m, k, &t);
	if (!((t.rank == 2) || (t.rank == 3 && t.dims[0] == 1)) || t.dims[t.rank - 1] != cols) {
		snprintf(why, whyn, "output %d '%s' is not N x %d (or 1 x N x %d)", k, t.name,
			 cols, cols);
		return -1;
	}
	*rows = (int)t.dims[t.rank - 2];
	*batched = t.rank == 3;
	return 0;
}

int scrfd_recognise(const struct arpg_onnx *m, int inw, int inh, struct det_layout *l,
		    char *why, size_t whyn)
{
	static const int cols[3] = { 1, 4, 10 };
	int nout = arpg_onnx_noutputs(m), k, lv, batched = -1;

	memset(l, 0, sizeof *l);
	if (nout != 6 && nout != 9 && nout != 10 && nout != 15) {
		snprintf(why, whyn, "%d output%s, not 6, 9, 10 or 15", nout, nout == 1 ? "" : "s");
		return 0;
	}
	l->kind = ARPG_DETECTOR_SCRFD;
	l->nlevels = nout % 5 == 0 ? 5 : 3;
	l->kps = nout == 9 || nout == 15;
	for (lv = 0; lv < l->nlevels; lv++)
		l->strides[lv] = 8 << lv;
	for (k = 0; k < nout; k++) {
		int kind = k / l->nlevels, s = l->strides[k % l->nlevels], rows, b;
		int cells = (inw / s) * (inh / s);
		if (output_rows(m, k, cols[kind], &rows, &b, why, whyn) < 0)
			return 0;
		if (batched >= 0 && b != batched) {
			snprintf(why, whyn, "outputs with and without a batch dimension");
			return 0;
		}
		batched = b;
		if (!cells || rows % cells || rows / cells < 1 ||
		    (l->anchors && rows / cells != l->anchors)) {
			snprintf(why, whyn, "output %d has %d rows: not a multiple of the %d cells "
				 "of stride %d in %dx%d", k, rows, cells, s, inw, inh);
			return 0;
		}
		l->anchors = rows / cells;
		l->out[kind][k % l->nlevels] = k;
	}
	return 1;
}

int scrfd_decode(const float *const *score, const float *const *bbox, const float *const *kps,
		 const int *strides, int nlevels, int anchors, int inw, int inh, float thr,
		 double det_scale, struct det_vec *v)
{
	float ds = (float)det_scale;
	int l, k;

	for (l = 0; l < nlevels; l++) {
		int s = strides[l], W = inw / s, n = (inh / s) * W * anchors, i;
		for (i = 0; i < n; i++) {
			int cell = i / anchors;
			float px = (float)(cell % W * s), py = (float)(cell / W * s);
			const float *d = bbox[l] + (size_t)i * 4;
			struct arpg_face_det *f;
			if (!(score[l][i] >= thr))
				continue;
			if (!(f = det_vec_add(v)))
				return ARPG_ENOMEM;
			f->box[0] = (px - d[0] * (float)s) / ds;
			f->box[1] = (py - d[1] * (float)s) / ds;
			f->box[2] = (px + d[2] * (float)s) / ds;
			f->box[3] = (py + d[3] * (float)s) / ds;
			for (k = 0; kps && k < 5; k++) {
				const float *p = kps[l] + (size_t)i * 10;
				f->kps[2 * k] = (px + p[2 * k] * (float)s) / ds;
				f->kps[2 * k + 1] = (py + p[2 * k + 1] * (float)s) / ds;
			}
			f->score = score[l][i];
		}
	}
	return 0;
}

int scrfd_nms(struct det_vec *v, float thr)
{
	int *idx, *alive, nk = 0, i, j;
	struct arpg_face_det *out;

	if (v->n == 0)		/* else memcpy() below gets a NULL v->d */
		return 0;
	idx = malloc(v->n * sizeof *idx), alive = calloc(v->n, sizeof *alive);
	out = malloc(v->n * sizeof *out);
	if (!idx || !alive || !out) {
		free(idx), free(alive), free(out);
		return ARPG_ENOMEM;
	}
	det_order(v, idx);
	for (i = 0; i < v->n; i++)
		alive[i] = 1;
	for (i = 0; i < v->n; i++) {
		const float *a = v->d[idx[i]].box;
		float aa = (a[2] - a[0] + 1) * (a[3] - a[1] + 1);
		if (!alive[i])
			continue;
		out[nk++] = v->d[idx[i]];
		for (j = i + 1; j < v->n; j++) {
			const float *b = v->d[idx[j]].box;
			float ab = (b[2] - b[0] + 1) * (b[3] - b[1] + 1);
			float x1 = a[0] > b[0] ? a[0] : b[0], y1 = a[1] > b[1] ? a[1] : b[1];
			float x2 = a[2] < b[2] ? a[2] : b[2], y2 = a[3] < b[3] ? a[3] : b[3];
			float w = x2 - x1 + 1, h = y2 - y1 + 1, in;
			w = w > 0 ? w : 0;
			h = h > 0 ? h : 0;
			in = w * h;
			if (alive[j] && !(in / (aa + ab - in) <= thr))
				alive[j] = 0;
		}
	}
	memcpy(v->d, out, nk * sizeof *out);
	v->n = nk;
	free(idx), free(alive), free(out);
	return 0;
}
