/* yunet.c - OpenCV's YuNet face detector (libfacedetection.train, the
 * 2023mar and later exports of the OpenCV model zoo): its outputs, the
 * decoding of OpenCV 4.8's FaceDetectorYN::postProcess and the NMSBoxes it
 * calls (see detector_impl.h). */
#include "detector_impl.h"
#include "error.h"
#include "onnx/onnx.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The arithmetic is OpenCV's, in float: no fused multiply-adds. */
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

static const char *const kinds[4] = { "cls", "obj", "bbox", "kps" };
static const int strides[3] = { 8, 16, 32 };

int yunet_recognise(const struct arpg_onnx *m, struct det_layout *l)
{
	int found = 0, i, k, s;

	if (arpg_onnx_noutputs(m) != 12)
		return 0;
	memset(l, 0, sizeof *l);
	for (i = 0; i < 12; i++) {
		struct arpg_onnx_tensor t;
		char name[16];
		arpg_onnx_output(m, i, &t);
		for (k = 0; k < 4; k++)
			for (s = 0; s < 3; s++) {
				snprintf(name, sizeof name, "%s_%d", kinds[k], strides[s]);
				if (!strcmp(t.name, name) && !l->out[k][s]) {
					l->out[k][s] = i + 1;	/* 0: not yet seen */
					found++;
				}
			}
	}
	if (found != 12)
		return 0;
	for (k = 0; k < 4; k++)
		for (s = 0; s < 3; s++)
			l->out[k][s]--;
	l->kind = ARPG_DETECTOR_YUNET;
	l->nlevels = 3;
	memcpy(l->strides, strides, sizeof strides);
	l->anchors = 1;
	l->kps = 1;
	return 1;
}

int yunet_check(const struct arpg_onnx *m, int inw, int inh, char *why, size_t whyn)
{
	static const int cols[4] = { 1, 1, 4, 10 };
	struct det_layout l;
	int k, s;

	if (!yunet_recognise(m, &l)) {
		snprintf(why, whyn, "not YuNet's outputs");
		return -1;
	}
	for (k = 0; k < 4; k++)
		for (s = 0; s < 3; s++) {
			struct arpg_onnx_tensor t;
			int64_t cells = (int64_t)(inw / strides[s]) * (inh / strides[s]);
			arpg_onnx_output(m, l.out[k][s], &t);
			if (t.rank != 3 || t.dims[0] != 1 || t.dims[1] != cells ||
			    t.dims[2] != cols[k]) {
				snprintf(why, whyn, "output '%s' is not 1x%lldx%d", t.name,
					 (long long)cells, cols[k]);
				return -1;
			}
		}
	return 0;
}

static float clamp01(float v)
{
	return v < 0 ? 0 : v > 1 ? 1 : v;
}

int yunet_decode(const float *out[4][DET_MAX_LEVELS], const int *st, int nlevels,
		 int padw, int padh, float thr, struct det_vec *v)
{
	int l, r, c, k;

	for (l = 0; l < nlevels; l++) {
		int cols = padw / st[l], rows = padh / st[l];
		const float *cls = out[0][l], *obj = out[1][l], *bbox = out[2][l], *kps = out[3][l];
		float s = (float)st[l];
		for (r = 0; r < rows; r++)
			for (c = 0; c < cols; c++) {
				size_t idx = (size_t)r * cols + c;
				float score = sqrtf(clamp01(cls[idx]) * clamp01(obj[idx]));
				const float *b = bbox + idx * 4, *p = kps + idx * 10;
				struct arpg_face_det *f;
				float cx, cy, w, h;
				if (score < thr)
					continue;
				if (!(f = det_vec_add(v)))
					return ARPG_ENOMEM;
				cx = ((float)c + b[0]) * s;
				cy = ((float)r + b[1]) * s;
				w = expf(b[2]) * s;
				h = expf(b[3]) * s;
				f->box[0] = cx - w / 2.f;
				f->box[1] = cy - h / 2.f;
				f->box[2] = w;
				f->box[3] = h;
				for (k = 0; k < 5; k++) {
					f->kps[2 * k] = (p[2 * k] + (float)c) * s;
					f->kps[2 * k + 1] = (p[2 * k + 1] + (float)r) * s;
				}
				f->score = score;
			}
	}
	return 0;
}

/* cv::Rect2i(int(x), int(y), int(w), int(h)): truncated toward zero. */
struct irect {
	int x, y, w, h;
};

/* int(v) of a box coordinate.  A damaged model's NaN or infinite box would
 * make the conversion undefined (fuzz_detector found one), and a huge one
 * would overflow overlap()'s int areas: clamped to +-16384 px, beyond any
 * frame the detector takes, so that sane boxes convert as OpenCV's do. */
static int box_int(float v)
{
	if (!(v == v))
		return 0;
	return v > 16384.f ? 16384 : v < -16384.f ? -16384 : (int)v;
}

static struct irect irect_of(const struct arpg_face_det *f)
{
	struct irect r = { box_int(f->box[0]), box_int(f->box[1]), box_int(f->box[2]),
			   box_int(f->box[3]) };
	return r;
}

/* cv::rectOverlap: 1 - jaccardDistance, the intersection of int
 * rectangles over their union, in double then float. */
static float overlap(const struct irect *a, const struct irect *b)
{
	int aa = a->w * a->h, ab = b->w * b->h;
	int x1 = a->x > b->x ? a->x : b->x, y1 = a->y > b->y ? a->y : b->y;
	int x2 = a->x + a->w < b->x + b->w ? a->x + a->w : b->x + b->w;
	int y2 = a->y + a->h < b->y + b->h ? a->y + a->h : b->y + b->h;
	double in = x2 > x1 && y2 > y1 ? (double)(x2 - x1) * (y2 - y1) : 0;

	if (aa + ab <= 0)
		return 1.f;
	return 1.f - (float)(1.0 - in / ((double)aa + ab - in));
}

int yunet_nms(struct det_vec *v, float score_thr, float nms_thr, int top_k)
{
	int *idx, *keep, n = 0, nk = 0, i, k;
	struct arpg_face_det *out;

	if (v->n == 0)		/* else memcpy() below gets a NULL v->d */
		return 0;
	idx = malloc(v->n * sizeof *idx), keep = malloc(v->n * sizeof *keep);
	out = malloc(v->n * sizeof *out);
	if (!idx || !keep || !out) {
		free(idx), free(keep), free(out);
		return ARPG_ENOMEM;
	}
	det_order(v, idx);
	for (i = 0; i < v->n; i++)
		if (v->d[idx[i]].score > score_thr)
			idx[n++] = idx[i];
	if (top_k > 0 && top_k < n)
		n = top_k;
	for (i = 0; i < n; i++) {
		struct irect a = irect_of(&v->d[idx[i]]);
		int ok = 1;
		for (k = 0; k < nk && ok; k++) {
			struct irect b = irect_of(&v->d[keep[k]]);
			ok = overlap(&a, &b) <= nms_thr;
		}
		if (ok)
			keep[nk++] = idx[i];
	}
	for (k = 0; k < nk; k++)
		out[k] = v->d[keep[k]];
	memcpy(v->d, out, nk * sizeof *out);
	v->n = nk;
	free(idx), free(keep), free(out);
	return 0;
}
