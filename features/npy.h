/* npy.h - NumPy .npy files (format version 1.0), float32 little-endian,
 * C order: magic "\x93NUMPY", version 1 0, header length (uint16 LE), a
 * Python dict literal padded with spaces to a multiple of 64 bytes and
 * ended by '\n', then the data. */
#ifndef FEATURES_NPY_H
#define FEATURES_NPY_H

#include <stddef.h>
#include <stdint.h>

/* Writes data (prod(dims) floats, rank 1-4) to path.  Returns 0 or ARPG_EIO
 * (errno set) / ARPG_EFULL (ENOSPC). */
int npy_write_f32(const char *path, const float *data, int rank, const uint32_t *dims);

#endif
