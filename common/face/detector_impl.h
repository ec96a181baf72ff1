/* detector_impl.h - what detector.c, yunet.c and scrfd.c share: the layout
 * of a recognised model's outputs, the decoders of raw outputs into faces
 * (in the model input's pixels) and the two suppression rules.  Not part
 * of the API: see detector.h.  The decoders and rules are exposed here for
 * the tests, which compare them with numpy ports of the references. */
#ifndef ARPG_FACE_DETECTOR_IMPL_H
#define ARPG_FACE_DETECTOR_IMPL_H

#include <stddef.h>
#include "detector.h"

struct arpg_onnx;

#define DET_MAX_LEVELS 5

/* Where a model's outputs are: out[k][l] is the output index of kind k
 * (YuNet: cls, obj, bbox, kps; SCRFD: score, bbox, kps) at level l. */
struct det_layout {
	enum arpg_detector_kind kind;
	int nlevels;
	int strides[DET_MAX_LEVELS];
	int anchors;		/* SCRFD: anchors per cell (2 with 3 levels, 1 with 5) */
	int kps;		/* SCRFD: keypoint outputs present */
	int out[4][DET_MAX_LEVELS];
};

/* A growing list of faces. */
struct det_vec {
	struct arpg_face_det *d;
	int n;
	size_t cap;
};

/* Appends a zeroed face; its address, or NULL when out of memory. */
struct arpg_face_det *det_vec_add(struct det_vec *v);

/* yunet.c */

/* Whether m's outputs are YuNet's twelve, cls_8 ... kps_32 (any order):
 * fills l (kind, levels, out[][]) and returns 1, else 0. */
int yunet_recognise(const struct arpg_onnx *m, struct det_layout *l);
/* 0 if m (prepared for an inw x inh input) has YuNet's output shapes:
 * 1 x (inw/s)(inh/s) x 1, 4 or 10 per level; else -1 with why. */
int yunet_check(const struct arpg_onnx *m, int inw, int inh, char *why, size_t whyn);
/* Appends the faces of a YuNet input of padw x padh pixels scoring at
 * least thr, as OpenCV's FaceDetectorYN::postProcess decodes them: for
 * stride s (level l) and cell (r, c) of padw/s x padh/s, score =
 * sqrt(clamp01(cls) * clamp01(obj)), box centre ((c + dx) s, (r + dy) s),
 * size (exp(dw) s, exp(dh) s), keypoints ((c + kx) s, (r + ky) s), all in
 * float; out[k][l] are the outputs of kind k (cls, obj, bbox, kps).
 * Returns 0 or ARPG_ENOMEM. */
int yunet_decode(const float *out[4][DET_MAX_LEVELS], const int *strides, int nlevels,
		 int padw, int padh, float thr, struct det_vec *v);
/* OpenCV's dnn::NMSBoxes on the boxes truncated to int as FaceDetectorYN
 * passes them: faces scoring above score_thr (strictly), best first
 * (stable: equal scores keep their order), the first top_k (0: all), each
 * kept unless its IoU with a kept one is above nms_thr.  v keeps the kept
 * ones in that order.  0 or ARPG_ENOMEM (v unchanged). */
int yunet_nms(struct det_vec *v, float score_thr, float nms_thr, int top_k);

/* scrfd.c */

/* Whether m (prepared for an inw x inh input) has SCRFD's outputs: 6 or 9
 * (three levels, two anchors per cell, without or with keypoints) or 10 or
 * 15 (five levels, one anchor), scores then boxes then keypoints, each
 * level's with (inw/s)(inh/s)A rows of 1, 4 or 10, with or without a
 * leading batch dimension of 1.  Fills l and returns 1, else 0 with the
 * disagreement in why. */
int scrfd_recognise(const struct arpg_onnx *m, int inw, int inh, struct det_layout *l,
		    char *why, size_t whyn);
/* Appends the faces of an SCRFD input of inw x inh pixels scoring at
 * least thr, as insightface's scrfd.py decodes them (in float): anchor
 * centres (c s, r s), A per cell; distance2bbox and distance2kps of the
 * outputs times s; the box is x1 y1 x2 y2 then stored as x y w h.  score[l],
 * bbox[l], kps[l] (kps NULL: none) are level l's outputs; coordinates are
 * divided by det_scale (in double, then rounded to float) as scrfd.py does
 * before its NMS. */
int scrfd_decode(const float *const *score, const float *const *bbox, const float *const *kps,
		 const int *strides, int nlevels, int anchors, int inw, int inh, float thr,
		 double det_scale, struct det_vec *v);
/* insightface's nms: best first (equal scores keep their order, which
 * numpy's argsort leaves unspecified), areas and overlaps with the +1 of
 * pixel-inclusive boxes, in float; a face is dropped when its IoU with a
 * kept one is above thr.  0 or ARPG_ENOMEM (v unchanged). */
int scrfd_nms(struct det_vec *v, float thr);

/* detector.c: the order of faces by descending score, stable:
 * idx[0..v->n). */
void det_order(const struct det_vec *v, int *idx);

#endif
