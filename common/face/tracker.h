/* tracker.h - face detection, 68 landmarks and ArcFace alignment of a clip.
 *
 * The contract between the decoding pipeline (preprocess/main.c and friends)
 * and the face modules (cascade, landmarks, alignment).  Models are loaded
 * once, are read-only afterwards and are shared by all worker threads.
 */
#ifndef ARPG_FACE_TRACKER_H
#define ARPG_FACE_TRACKER_H

#include <stddef.h>
#include "frames_tsv.h"
#include "image.h"
#include "cascade.h"

/* What is known of a frame after alignment is a struct arpg_frame_row
 * (frames_tsv.h): the row arpg-preprocess writes for it. */

struct arpg_face_options {
	const char *cascade;	/* OpenCV cascade XML; NULL: Debian's frontal default */
	const char *landmarks;	/* dlib shape predictor .dat; NULL: Debian's 68-point model */
	struct arpg_cascade_params detect;	/* scale factor 1.1, 3 neighbours,
						 * min size 30, no max size */
	int equalize;		/* histogram-equalise the grey frame before detection */
	int smooth;		/* frames of transform smoothing (0: none) */
};

struct arpg_face_models;

/* Fills o with the defaults above. */
void arpg_face_options_default(struct arpg_face_options *o);

/* Loads and checks both models into *fm (free with arpg_face_models_free).
 * Returns 0, ARPG_EINVAL (options out of range), or ARPG_ENOENT / ARPG_EIO
 * / ARPG_EFORMAT / ARPG_EUNSUPPORTED with "FILE: reason" in err, ARPG_ENOMEM;
 * meant to run before any clip is read. */
int arpg_face_models_load(struct arpg_face_models **fm, const struct arpg_face_options *o,
			  char *err, size_t errn);
void arpg_face_models_free(struct arpg_face_models *fm);

/* Aligns a clip: frames[0..n), RGB, all of one size.  Allocates crops[i]
 * (size x size RGB) and fills out[i] for every frame.  Follows the largest
 * face that stays consistent over frames; a frame without a detection takes
 * a neighbour's transform (detected = 0); a clip with no face at all gets
 * centre crops.  Returns the number of frames with a detection (0: no face
 * in the clip) or a negative code.  Thread-safe for distinct clips. */
int arpg_face_align_clip(const struct arpg_face_models *fm, const struct arpg_image *frames,
			 int n, int size, struct arpg_image *crops, struct arpg_frame_row *out);

/* As arpg_face_align_clip, with the detections given instead of running
 * the cascade: dets[i][0..ndet[i]) are frame i's boxes (dets may be NULL
 * when every ndet[i] is 0).  For tests and for callers with their own
 * detector; fm needs only its landmark model. */
int arpg_face_align_detections(const struct arpg_face_models *fm,
			       const struct arpg_image *frames, int n, int size,
			       struct arpg_rect *const *dets, const int *ndet,
			       struct arpg_image *crops, struct arpg_frame_row *out);

#endif
