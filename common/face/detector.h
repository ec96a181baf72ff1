/* detector.h - CNN face detectors with five keypoints on arpg's ONNX
 * engine (common/onnx): OpenCV's YuNet and InsightFace's SCRFD, each
 * recognised from the model's outputs, fed as its reference feeds it and
 * decoded as its reference decodes (yunet.c, scrfd.c).
 *
 *	arpg_detector_load(&d, "det_10g.onnx", &opts, err, errn);  (once)
 *	arpg_detector_session_new(&s, d, 720, 576, err, errn);  (per thread
 *								  and frame size)
 *	n = arpg_detector_detect(s, &frame, &faces, err, errn);
 *	free(faces);
 *	arpg_detector_session_free(s);
 *	arpg_detector_free(d);
 *
 * A loaded detector is read-only and may be shared by threads; a session
 * (the engine prepared for one frame size) belongs to one thread.
 */
#ifndef ARPG_FACE_DETECTOR_H
#define ARPG_FACE_DETECTOR_H

#include <stddef.h>
#include "image.h"

enum arpg_detector_kind { ARPG_DETECTOR_YUNET = 1, ARPG_DETECTOR_SCRFD = 2 };

/* A face found in a frame, in the frame's pixels (0,0 the top-left
 * pixel's top-left corner). */
struct arpg_face_det {
	float box[4];		/* x y w h */
	float score;		/* the detector's confidence, 0 to 1 */
	/* x y of: the eye on the image's left (the subject's right eye), the
	 * other eye, the nose tip, the mouth corner on the image's left, the
	 * other one: the order of the ArcFace template (align.h) */
	float kps[10];
};

struct arpg_detector_options {
	int det_size;		/* SCRFD: the side of its square input (letterbox);
				 * YuNet: frames with a longer side are scaled down to
				 * it.  A multiple of 32, 32 to 4096; 0: 640 */
	float score;		/* keep faces scoring at least this; 0: 0.5 (SCRFD's
				 * default; OpenCV's YuNet samples take 0.9, which loses
				 * faces a tracker keeps: arpg-preprocess(1)) */
	float nms;		/* suppress a face overlapping a better one by more than
				 * this IoU; 0: YuNet 0.3, SCRFD 0.4 */
	int threads;		/* the engine's threads per session (0: OpenMP's) */
};

struct arpg_detector;
struct arpg_detector_session;
struct arpg_onnx;

/* Reads the model at path, recognises it and checks it by preparing it
 * once (so that a bad model fails here, before any clip).  Returns 0, or
 * with "PATH: reason" in err: ARPG_EIO / ARPG_ENOENT (unreadable),
 * ARPG_EFORMAT (not ONNX, damaged), ARPG_EUNSUPPORTED (an operator the
 * engine lacks, or outputs of no known detector: the message names the
 * outputs each detector has), ARPG_ERANGE (tensors too large), ARPG_EINVAL
 * (options out of range), ARPG_ENOMEM. */
int arpg_detector_load(struct arpg_detector **d, const char *path,
		       const struct arpg_detector_options *o, char *err, size_t errn);
/* The same from len bytes at buf (copied), name standing for the file in
 * messages: for tests and the fuzz harness. */
int arpg_detector_load_buffer(struct arpg_detector **d, const char *name, const void *buf,
			      size_t len, const struct arpg_detector_options *o,
			      char *err, size_t errn);
void arpg_detector_free(struct arpg_detector *d);
enum arpg_detector_kind arpg_detector_kind(const struct arpg_detector *d);
/* What was recognised, for -v: "YuNet (12 outputs, strides 8 16 32)". */
const char *arpg_detector_describe(const struct arpg_detector *d);

/* The engine prepared for frames of w x h pixels.  0, or ARPG_EINVAL,
 * ARPG_ERANGE, ARPG_ENOMEM with the reason in err. */
int arpg_detector_session_new(struct arpg_detector_session **s, const struct arpg_detector *d,
			      int w, int h, char *err, size_t errn);
void arpg_detector_session_free(struct arpg_detector_session *s);
/* The input the session feeds the model: w x h pixels of which the frame
 * fills iw x ih at the top-left (the rest is padding). */
void arpg_detector_session_input(const struct arpg_detector_session *s, int *w, int *h,
				 int *iw, int *ih);

/* The session's engine, whose outputs (arpg_onnx_output) after a detect
 * are the model's raw outputs, for tests and diagnostics. */
const struct arpg_onnx *arpg_detector_session_engine(const struct arpg_detector_session *s);

/* Detects the faces of frame (RGB or grey, of the session's size): *faces
 * (malloc'd, best first; NULL when none) and their number, or a negative
 * code (ARPG_EINVAL: another size; the engine's errors) with err. */
int arpg_detector_detect(struct arpg_detector_session *s, const struct arpg_image *frame,
			 struct arpg_face_det **faces, char *err, size_t errn);

#endif
