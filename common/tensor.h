/* tensor.h - the tensor record of the arpg cache (arpg-cache(5)).
 *
 * Byte layout, version 1:
 *   0-3  "ARPT"        4  version (1)     5  dtype (1 = f32, 2 = f16)
 *   6    rank r (1-4)  7  zero
 *   8..  r dims, uint32 little-endian, each >= 1
 *   then prod(dims) values in C order, little-endian.
 * A record is exactly 8 + 4r + prod(dims) * size(dtype) bytes.
 */
#ifndef ARPG_TENSOR_H
#define ARPG_TENSOR_H

#include <stddef.h>
#include <stdint.h>

enum arpg_dtype { ARPG_F32 = 1, ARPG_F16 = 2 };
enum { ARPG_TENSOR_MAXRANK = 4, ARPG_TENSOR_VERSION = 1 };

/* A decoded record: shape plus a pointer into the caller's buffer. */
struct arpg_tensor_view {
	int dtype, rank;
	uint32_t dims[ARPG_TENSOR_MAXRANK];
	size_t count;		/* product of dims */
	const uint8_t *data;	/* count values, little-endian, unaligned */
};

/* Bytes needed to encode count values of dtype with this rank. */
size_t arpg_tensor_record_size(int dtype, int rank, size_t count);

/* Encodes values src (count = prod(dims) floats) as dtype into out, which
 * has room for arpg_tensor_record_size() bytes.  f16 rounds to nearest even;
 * values beyond the f16 range become Inf (callers check with arpg_f16_finite
 * where that matters).  Returns the bytes written, or ARPG_EINVAL for a bad
 * dtype, rank or a zero dim. */
long arpg_tensor_encode(void *out, int dtype, int rank, const uint32_t *dims,
			const float *src);

/* Validates and decodes a record header of buf[0..len).  Returns 0, or
 * ARPG_EFORMAT with a reason in err: bad magic, unknown version or dtype,
 * rank not 1-4, a zero dim, length not matching the shape. */
int arpg_tensor_decode(struct arpg_tensor_view *v, const void *buf, size_t len,
		       char *err, size_t errn);

/* Converts a view's values to float into dst (v->count floats). */
void arpg_tensor_to_f32(float *dst, const struct arpg_tensor_view *v);
/* The same for values first to first + n - 1 (C order) of the view, which
 * the caller has checked lie within it. */
void arpg_tensor_range_to_f32(float *dst, const struct arpg_tensor_view *v, size_t first,
			      size_t n);

/* IEEE binary16 <-> binary32, round to nearest even, NaN kept NaN. */
uint16_t arpg_f32_to_f16(float f);
float arpg_f16_to_f32(uint16_t h);

#endif
