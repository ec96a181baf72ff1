/* cascade.h - Viola-Jones face detection over OpenCV cascade XML files
 * (the opencv_storage format: HAAR, with tilted features, and LBP), read
 * with libxml2, evaluated as OpenCV's CascadeClassifier::detectMultiScale
 * does, including its rectangle grouping (minNeighbors).
 *
 * A loaded cascade is read-only and may be shared by threads.
 */
#ifndef ARPG_CASCADE_H
#define ARPG_CASCADE_H

#include <stddef.h>
#include <stdint.h>

struct arpg_cascade;

struct arpg_rect {
	int x, y, w, h;
};

/* Parses a cascade held in buf[0..len).  Returns 0, or ARPG_EFORMAT (not a
 * cascade, damaged) / ARPG_EUNSUPPORTED (an unknown feature type) with the
 * reason in err, ARPG_ENOMEM. */
int arpg_cascade_parse(struct arpg_cascade **c, const void *buf, size_t len,
		       char *err, size_t errn);
/* Reads and parses a file; ARPG_EIO if it cannot be read. */
int arpg_cascade_load(struct arpg_cascade **c, const char *path, char *err, size_t errn);
void arpg_cascade_free(struct arpg_cascade *c);

/* Detects objects in a grey image (w x h bytes, rows stride apart) as
 * detectMultiScale(img, scale_factor, min_neighbors, 0, (min_size,
 * min_size), (max_size, max_size)) does (max_size 0: no limit).  Allocates
 * *out (free() it) and returns the number of rectangles, or a negative
 * code.  Thread-safe. */
int arpg_cascade_detect(const struct arpg_cascade *c, const uint8_t *grey, int w, int h,
			int stride, double scale_factor, int min_neighbors, int min_size,
			int max_size, struct arpg_rect **out);

#endif
