/* shape.h - facial landmarks by an ensemble of regression trees, read from
 * dlib's serialized shape_predictor (e.g. Debian's 68-point model,
 * /usr/share/dlib/shape_predictor_68_face_landmarks.dat, plain or
 * bzip2-compressed), run as dlib's shape_predictor::operator() does.
 *
 * A loaded predictor is read-only and may be shared by threads.
 */
#ifndef ARPG_FACE_SHAPE_H
#define ARPG_FACE_SHAPE_H

#include <stddef.h>
#include <stdint.h>

#include "cascade.h"

struct arpg_shape_predictor;

/* Parses a model held in buf[0..len) (decompresses bzip2 itself).  Returns
 * 0, or ARPG_EFORMAT with the reason in err, ARPG_ENOMEM. */
int arpg_shape_parse(struct arpg_shape_predictor **sp, const void *buf, size_t len,
		     char *err, size_t errn);
int arpg_shape_load(struct arpg_shape_predictor **sp, const char *path, char *err, size_t errn);
void arpg_shape_free(struct arpg_shape_predictor *sp);
/* Number of landmarks the model predicts (68 for Debian's). */
int arpg_shape_points(const struct arpg_shape_predictor *sp);

/* Predicts the landmarks in the box (x, y, w, h, as the detector gives it;
 * dlib's inclusive rectangle(x, y, x+w-1, y+h-1)) of a grey image, as dlib
 * reads an RGB image: grey = (R+G+B)/3.  Writes 2*points floats x0 y0 x1 y1
 * ... in image pixels.  Thread-safe. */
int arpg_shape_predict(const struct arpg_shape_predictor *sp, const uint8_t *grey, int w,
		       int h, int stride, const struct arpg_rect *box, float *xy);

#endif
