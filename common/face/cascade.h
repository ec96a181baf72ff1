/* cascade.h - Viola-Jones face detection over OpenCV cascade XML files
 * (the opencv_storage format: HAAR, with tilted features, and LBP), read
 * with libxml2, evaluated as OpenCV's CascadeClassifier::detectMultiScale
 * does, including its rectangle grouping (minNeighbors).
 *
 * cascade_xml.c reads a cascade; cascade_detect.c runs it, over the image
 * pyramid of cascade_pyramid.c, grouping with cascade_group.c.  A loaded
 * cascade is read-only and may be shared by threads.
 */
#ifndef ARPG_FACE_CASCADE_H
#define ARPG_FACE_CASCADE_H

#include <stddef.h>
#include <stdint.h>

struct arpg_cascade;

struct arpg_rect {
	int x, y, w, h;
};

/* Parses a cascade held in buf[0..len) into *c (NULL on failure; free
 * with arpg_cascade_free).  Returns 0, or with the reason in err:
 * ARPG_EFORMAT (not a cascade, damaged), ARPG_EUNSUPPORTED (the old
 * format, an unknown stage or feature type), ARPG_ERANGE (over 2 GiB),
 * ARPG_ENOMEM. */
int arpg_cascade_parse(struct arpg_cascade **c, const void *buf, size_t len,
		       char *err, size_t errn);
/* Reads and parses a file: as arpg_cascade_parse, and ARPG_ENOENT (no such
 * file) or ARPG_EIO (unreadable) with strerror's words in err. */
int arpg_cascade_load(struct arpg_cascade **c, const char *path, char *err, size_t errn);
/* Frees c; NULL is allowed. */
void arpg_cascade_free(struct arpg_cascade *c);

/* The settings of a detection, as detectMultiScale's arguments. */
struct arpg_cascade_params {
	double scale_factor;	/* > 1: each scale's window this much larger */
	int min_neighbors;	/* >= 0: a box needs more than this many raw windows
				 * grouped into it (0: raw windows, ungrouped) */
	int min_size;		/* >= 0: smallest window side, pixels */
	int max_size;		/* >= 0: largest window side, pixels (0: no limit) */
};

/* Fills p with detectMultiScale's defaults: scale_factor 1.1,
 * min_neighbors 3, min_size 0, max_size 0. */
void arpg_cascade_params_default(struct arpg_cascade_params *p);

/* Returns 0 if p is within the ranges above, else ARPG_EINVAL. */
int arpg_cascade_params_check(const struct arpg_cascade_params *p);

/* Detects objects in a grey image (w x h bytes, rows stride apart) as
 * detectMultiScale(img, scale_factor, min_neighbors, 0, (min_size,
 * min_size), (max_size, max_size)) does.  Allocates *out (free() it; NULL
 * when nothing is found) and returns the number of rectangles, or
 * ARPG_EINVAL (bad arguments or p), ARPG_ERANGE (a side above 32768, or
 * integral images beyond 32-bit offsets), ARPG_ENOMEM.  Thread-safe. */
int arpg_cascade_detect(const struct arpg_cascade *c, const uint8_t *grey, int w, int h,
			int stride, const struct arpg_cascade_params *p, struct arpg_rect **out);

#endif
