/* tracker.h - face detection, landmarks and ArcFace alignment of a clip.
 *
 * The contract between the decoding pipeline (preprocess/main.c and friends)
 * and the face modules (cascade or CNN detector, landmarks, alignment).
 * Models are loaded once, are read-only afterwards and are shared by all
 * worker threads.
 */
#ifndef ARPG_FACE_TRACKER_H
#define ARPG_FACE_TRACKER_H

#include <stddef.h>
#include "frames_tsv.h"
#include "image.h"
#include "cascade.h"
#include "detector.h"

/* What is known of a frame after alignment is a struct arpg_frame_row
 * (frames_tsv.h): the row arpg-preprocess writes for it. */

struct arpg_face_options {
	const char *cascade;	/* OpenCV cascade XML; NULL: Debian's frontal default */
	const char *landmarks;	/* dlib shape predictor .dat; NULL: Debian's 68-point model */
	int no_landmarks;	/* with a detector: no 68 landmarks (frames.tsv has zeros) */
	const char *detector;	/* a CNN face detector .onnx (YuNet, SCRFD) instead of
				 * the cascade; NULL: the cascade */
	struct arpg_detector_options det;	/* its settings (zeros: its defaults) */
	struct arpg_cascade_params detect;	/* scale factor 1.1, 3 neighbours,
						 * min size 30, no max size */
	int equalize;		/* histogram-equalise the grey frame before detection */
	int smooth;		/* frames of transform smoothing (0: none) */
};

struct arpg_face_models;

/* Fills o with the defaults above. */
void arpg_face_options_default(struct arpg_face_options *o);

/* Loads and checks the models into *fm (free with arpg_face_models_free):
 * the cascade or the detector, and the landmark model unless no_landmarks
 * (which needs a detector).  Returns 0, ARPG_EINVAL (options out of
 * range), or ARPG_ENOENT / ARPG_EIO / ARPG_EFORMAT / ARPG_EUNSUPPORTED /
 * ARPG_ERANGE with "FILE: reason" in err, ARPG_ENOMEM; meant to run before
 * any clip is read. */
int arpg_face_models_load(struct arpg_face_models **fm, const struct arpg_face_options *o,
			  char *err, size_t errn);
void arpg_face_models_free(struct arpg_face_models *fm);
/* The CNN detector loaded (arpg_detector_describe's words), or NULL when
 * the cascade detects. */
const char *arpg_face_models_detector(const struct arpg_face_models *fm);

/* A clip aligned in steps, each needing a frame only while it is at hand,
 * so that a clip too long to hold decoded can be aligned in bounded
 * memory (preprocess/clip.c decodes it once per pass).  What is kept
 * between steps is small: per frame, the detections and the frames.tsv
 * row (under 1 KiB).  The steps, in this order:
 *
 *   arpg_face_clip_new      the clip's state: models, crop size, side
 *   1 arpg_face_clip_detect the faces of the next frame (every frame, in
 *                           order: frame i is the i-th call's)
 *   2 arpg_face_clip_follow the followed face (no pixels)
 *   3 arpg_face_clip_fit    its landmarks and transform in frame i (the
 *                           pixels only where arpg_face_clip_needs says)
 *   4 arpg_face_clip_finish smoothing, frames without the face (no pixels)
 *   5 arpg_face_clip_warp   frame i's crop; arpg_face_clip_row its row
 *
 * Steps 3 and 5 take frames in any order.  The results are those of
 * arpg_face_align_clip (which runs these steps) byte for byte, provided
 * each step is handed the same pixels for frame i.  3 and 5 cannot be one
 * pass: smoothing and filling read the transforms of later frames. */
struct arpg_face_clip;

/* A clip's state for crops of size x size (1..2048) following side ('l',
 * 'r', 0: see arpg_face_align_clip), into *t (free with
 * arpg_face_clip_free).  fm must outlive it.  Returns 0, ARPG_EINVAL,
 * ARPG_ENOMEM. */
int arpg_face_clip_new(struct arpg_face_clip **t, const struct arpg_face_models *fm,
		       int size, int side);
void arpg_face_clip_free(struct arpg_face_clip *t);

/* Step 1: detects the faces of frame (RGB or grey) as the clip's next
 * frame.  The first frame fixes the clip's size (and, with a CNN
 * detector, prepares its engine for it).  Returns the number of faces
 * kept (those of the side), ARPG_EINVAL (a frame of another size, or a
 * step out of order), ARPG_ENOMEM, or the detector's code with its reason
 * in err (which may be NULL). */
int arpg_face_clip_detect(struct arpg_face_clip *t, const struct arpg_image *frame,
			  char *err, size_t errn);

/* Step 2: chooses the face followed over the n frames detected (n >= 1).
 * Returns 0, ARPG_EINVAL (no frame, or out of order), ARPG_ENOMEM. */
int arpg_face_clip_follow(struct arpg_face_clip *t);

/* After step 2: 1 if step 3 needs frame i's pixels (the face is in it and
 * landmarks are loaded), else 0 (step 3 takes NULL then). */
int arpg_face_clip_needs(const struct arpg_face_clip *t, int i);

/* Step 3: the landmarks and transform of frame i (0 <= i < n); frame is
 * its pixels as step 1 had them, or NULL when not needed.  Returns 0,
 * ARPG_EINVAL (out of order, a needed frame missing or of another size),
 * ARPG_ENOMEM, or the landmark model's code. */
int arpg_face_clip_fit(struct arpg_face_clip *t, int i, const struct arpg_image *frame);

/* Step 4, once every frame had step 3: smoothing, and the transforms of
 * the frames without the face.  Returns the number of frames with a face
 * (0: none, centre crops), ARPG_EINVAL (out of order), ARPG_ENOMEM. */
int arpg_face_clip_finish(struct arpg_face_clip *t);

/* Step 5: frame i's crop into *crop (allocated; free with
 * arpg_image_free; whatever crop held is not freed), from frame as step 1
 * had it.  Returns 0, ARPG_EINVAL, ARPG_ENOMEM. */
int arpg_face_clip_warp(const struct arpg_face_clip *t, int i, const struct arpg_image *frame,
			struct arpg_image *crop);

/* After step 4: frame i's frames.tsv row (label 0: the caller's), valid
 * until arpg_face_clip_free; NULL when i is out of range. */
const struct arpg_frame_row *arpg_face_clip_row(const struct arpg_face_clip *t, int i);

/* The number of frames step 1 has seen. */
int arpg_face_clip_frames(const struct arpg_face_clip *t);

/* Aligns a clip: frames[0..n), RGB, all of one size.  Allocates crops[i]
 * (size x size RGB) and fills out[i] for every frame.  Follows the face
 * the clip is about (tracker.c: the track of consistent boxes with the
 * largest summed area, weighed by centrality with a CNN detector); a frame
 * without it takes a neighbour's transform (detected = 0); a clip with no
 * face at all gets centre crops.  With the cascade, the transform comes
 * from dlib's 68 landmarks; with a CNN detector, from its five keypoints
 * (the landmarks, if loaded, are only recorded).  Returns the number of
 * frames with a detection (0: no face in the clip) or a negative code (the
 * detector's with its reason in err, which may be NULL).  Thread-safe for
 * distinct clips.  side 'l' or 'r' follows one of two people (Aff-Wild2's
 * NAME_left and NAME_right annotations): only faces whose box centre lies
 * in the left or right half of the frame are followed; 0: any face. */
int arpg_face_align_clip(const struct arpg_face_models *fm, const struct arpg_image *frames,
			 int n, int size, int side, struct arpg_image *crops,
			 struct arpg_frame_row *out, char *err, size_t errn);

/* As arpg_face_align_clip, with the detections given instead of running
 * the cascade: dets[i][0..ndet[i]) are frame i's boxes (dets may be NULL
 * when every ndet[i] is 0).  For tests and for callers with their own
 * detector; fm needs only its landmark model. */
int arpg_face_align_detections(const struct arpg_face_models *fm,
			       const struct arpg_image *frames, int n, int size,
			       struct arpg_rect *const *dets, const int *ndet,
			       struct arpg_image *crops, struct arpg_frame_row *out);

/* As arpg_face_align_clip with a CNN detector, with its faces given:
 * faces[i][0..nfaces[i]) are frame i's.  fm (NULL: none) gives the
 * landmark model, if loaded, and the smoothing. */
int arpg_face_align_faces(const struct arpg_face_models *fm, const struct arpg_image *frames,
			  int n, int size, struct arpg_face_det *const *faces, const int *nfaces,
			  struct arpg_image *crops, struct arpg_frame_row *out);

#endif
