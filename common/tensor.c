/* tensor.c - tensor records: encode, validate, decode, f16 conversion. */
#include "tensor.h"
#include "error.h"
#include "le.h"

#include <string.h>

static const uint8_t magic[4] = { 'A', 'R', 'P', 'T' };

static size_t dtype_size(int dtype) { return dtype == ARPG_F16 ? 2 : 4; }

size_t arpg_tensor_record_size(int dtype, int rank, size_t count)
{
	return 8 + 4 * (size_t)rank + count * dtype_size(dtype);
}

static uint32_t f32_bits(float f)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	return u;
}

static float bits_f32(uint32_t u)
{
	float f;

	memcpy(&f, &u, 4);
	return f;
}

uint16_t arpg_f32_to_f16(float f)
{
	uint32_t x = f32_bits(f), sign = (x >> 16) & 0x8000, mant;
	int exp = (int)((x >> 23) & 0xff) - 127 + 15;
	uint32_t r;

	if (((x >> 23) & 0xff) == 0xff)	/* Inf or NaN (keep it a NaN) */
		return (uint16_t)(sign | 0x7c00 | ((x & 0x7fffff) ? 0x200 : 0));
	if (exp >= 31)
		return (uint16_t)(sign | 0x7c00);
	if (exp <= 0) {			/* subnormal half or zero */
		int shift;

		if (exp < -10)
			return (uint16_t)sign;
		mant = (x & 0x7fffff) | 0x800000;
		shift = 14 - exp;	/* 24-bit mantissa down to 10-(1-exp) bits */
		r = mant >> shift;
		{
			uint32_t rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);

			if (rem > half || (rem == half && (r & 1)))
				r++;
		}
		return (uint16_t)(sign | r);
	}
	mant = x & 0x7fffff;
	r = ((uint32_t)exp << 10) | (mant >> 13);
	/* round to nearest even; a carry into the exponent is correct, up to Inf */
	if ((mant & 0x1fff) > 0x1000 || ((mant & 0x1fff) == 0x1000 && (r & 1)))
		r++;
	return (uint16_t)(sign | r);
}

float arpg_f16_to_f32(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;

	if (exp == 0x1f)
		return bits_f32(sign | 0x7f800000 | (mant << 13));
	if (exp == 0) {
		/* zero or subnormal: mant * 2^-24, exact in float */
		float v = (float)mant * (1.0f / 16777216.0f);

		return sign ? -v : v;
	}
	return bits_f32(sign | ((exp + 112) << 23) | (mant << 13));
}

long arpg_tensor_encode(void *out, int dtype, int rank, const uint32_t *dims,
			const float *src)
{
	uint8_t *p = out;
	size_t count = 1, i;
	int k;

	if ((dtype != ARPG_F32 && dtype != ARPG_F16) || rank < 1 || rank > ARPG_TENSOR_MAXRANK)
		return ARPG_EINVAL;
	for (k = 0; k < rank; k++) {
		if (!dims[k])
			return ARPG_EINVAL;
		count *= dims[k];
	}
	memcpy(p, magic, 4);
	p[4] = ARPG_TENSOR_VERSION;
	p[5] = (uint8_t)dtype;
	p[6] = (uint8_t)rank;
	p[7] = 0;
	for (k = 0; k < rank; k++)
		arpg_le32_put(p + 8 + 4 * k, dims[k]);
	p += 8 + 4 * rank;
	if (dtype == ARPG_F32) {
		for (i = 0; i < count; i++)
			arpg_le32_put(p + 4 * i, f32_bits(src[i]));
	} else {
		for (i = 0; i < count; i++) {
			arpg_le16_put(p + 2 * i, arpg_f32_to_f16(src[i]));
		}
	}
	return (long)arpg_tensor_record_size(dtype, rank, count);
}

int arpg_tensor_decode(struct arpg_tensor_view *v, const void *buf, size_t len,
		       char *err, size_t errn)
{
	const uint8_t *p = buf;
	size_t count = 1;
	int k;

	memset(v, 0, sizeof *v);
	if (len < 8 || memcmp(p, magic, 4))
		return arpg_errf(err, errn, ARPG_EFORMAT, "not a tensor record (no ARPT magic)");
	if (p[4] != ARPG_TENSOR_VERSION)
		return arpg_errf(err, errn, ARPG_EFORMAT,
				 "tensor record version %d, this arpg reads version %d",
				 p[4], ARPG_TENSOR_VERSION);
	if (p[5] != ARPG_F32 && p[5] != ARPG_F16)
		return arpg_errf(err, errn, ARPG_EFORMAT, "unknown dtype %d", p[5]);
	if (p[6] < 1 || p[6] > ARPG_TENSOR_MAXRANK || p[7])
		return arpg_errf(err, errn, ARPG_EFORMAT, "rank %d is not 1 to 4", p[6]);
	v->dtype = p[5];
	v->rank = p[6];
	if (len < 8 + 4 * (size_t)v->rank)
		return arpg_errf(err, errn, ARPG_EFORMAT, "truncated header");
	for (k = 0; k < v->rank; k++) {
		v->dims[k] = arpg_le32_get(p + 8 + 4 * k);
		if (!v->dims[k])
			return arpg_errf(err, errn, ARPG_EFORMAT, "dimension %d is zero", k);
		/* a record's size is bounded by len, which bounds every product */
		if (count > len / v->dims[k])
			return arpg_errf(err, errn, ARPG_EFORMAT, "shape larger than the record");
		count *= v->dims[k];
	}
	if (arpg_tensor_record_size(v->dtype, v->rank, count) != len)
		return arpg_errf(err, errn, ARPG_EFORMAT,
				 "record is %zu bytes, its shape needs %zu", len,
				 arpg_tensor_record_size(v->dtype, v->rank, count));
	v->count = count;
	v->data = p + 8 + 4 * v->rank;
	return 0;
}

void arpg_tensor_to_f32(float *dst, const struct arpg_tensor_view *v)
{
	arpg_tensor_range_to_f32(dst, v, 0, v->count);
}

void arpg_tensor_range_to_f32(float *dst, const struct arpg_tensor_view *v, size_t first,
			      size_t n)
{
	size_t i;

	if (v->dtype == ARPG_F32)
		for (i = 0; i < n; i++)
			dst[i] = bits_f32(arpg_le32_get(v->data + 4 * (first + i)));
	else
		for (i = 0; i < n; i++)
			dst[i] = arpg_f16_to_f32(arpg_le16_get(v->data + 2 * (first + i)));
}
