/* ppm.h - binary PPM (P6, 8-bit RGB) images for the face tools, which the
 * Python side of their tests writes and reads without a codec. */
#ifndef ARPG_TESTS_FACE_PPM_H
#define ARPG_TESTS_FACE_PPM_H

#include "image.h"

/* Reads a P6 PPM of maxval 255 into im (allocated): 0, or -1. */
int ppm_read(const char *path, struct arpg_image *im);
/* Writes an RGB image as a P6 PPM: 0, or -1. */
int ppm_write(const char *path, const struct arpg_image *im);

#endif
