/* face.c - PLACEHOLDER until face detection, landmarks and alignment land
 * (issue 5): loading succeeds with *fm = NULL, which tells arpg-preprocess
 * that alignment is not built, and it writes centre crops as --no-align
 * does.  The real module never returns NULL models on success. */
#include "face.h"
#include "error.h"

#include <string.h>

void arpg_face_options_default(struct arpg_face_options *o)
{
	memset(o, 0, sizeof *o);
	o->scale_factor = 1.1;
	o->min_neighbors = 3;
	o->min_size = 30;
}

int arpg_face_models_load(struct arpg_face_models **fm, const struct arpg_face_options *o,
			  char *err, size_t errn)
{
	(void)o, (void)err, (void)errn;
	*fm = NULL;
	return 0;
}

void arpg_face_models_free(struct arpg_face_models *fm) { (void)fm; }

int arpg_face_align_clip(const struct arpg_face_models *fm, const struct arpg_image *frames,
			 int n, int size, struct arpg_image *crops, struct arpg_face_frame *out)
{
	(void)fm, (void)frames, (void)n, (void)size, (void)crops, (void)out;
	return ARPG_EUNSUPPORTED;
}
