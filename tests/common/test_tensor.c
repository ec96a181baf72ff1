/* Tensor records: byte layout, round trips, f16 exactness, bad records. */
#include "harness.h"
#include "error.h"
#include "tensor.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

ARPG_TEST(tensor_header_bytes_are_as_documented)
{
	static const uint8_t want[] = { 'A', 'R', 'P', 'T', 1, 1, 2, 0, 2, 0, 0, 0, 1, 0, 0, 0,
					0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0 };
	uint32_t dims[2] = { 2, 1 };
	float v[2] = { 1.0f, -2.0f };
	uint8_t buf[64];

	expect_int(arpg_tensor_encode(buf, ARPG_F32, 2, dims, v), sizeof want);
	expect(memcmp(buf, want, sizeof want) == 0);
}

ARPG_TEST(tensor_round_trips_f32_and_f16)
{
	uint32_t dims[3] = { 3, 4, 5 };
	float v[60], back[60];
	struct arpg_tensor_view tv;
	uint8_t buf[512];
	char err[200];
	long n;
	int i;

	for (i = 0; i < 60; i++)
		v[i] = (float)(i - 30) / 7.0f;
	n = arpg_tensor_encode(buf, ARPG_F32, 3, dims, v);
	expect_int(n, 8 + 12 + 240);
	expect_int(arpg_tensor_decode(&tv, buf, (size_t)n, err, sizeof err), 0);
	expect_int(tv.rank, 3);
	expect_int(tv.dims[2], 5);
	expect_int(tv.count, 60);
	arpg_tensor_to_f32(back, &tv);
	expect(memcmp(v, back, sizeof v) == 0);
	n = arpg_tensor_encode(buf, ARPG_F16, 3, dims, v);
	expect_int(n, 8 + 12 + 120);
	expect_int(arpg_tensor_decode(&tv, buf, (size_t)n, err, sizeof err), 0);
	arpg_tensor_to_f32(back, &tv);
	for (i = 0; i < 60; i++)
		expect_near(back[i], v[i], fabs(v[i]) / 1024 + 1e-7);
}

ARPG_TEST(f16_every_value_round_trips)
{
	unsigned h;
	int bad = 0;

	for (h = 0; h < 65536; h++) {
		float f = arpg_f16_to_f32((uint16_t)h);
		uint16_t back = arpg_f32_to_f16(f);

		if (isnan(f) ? !((back & 0x7c00) == 0x7c00 && (back & 0x3ff)) : back != h)
			bad++;
	}
	expect_int(bad, 0);
}

ARPG_TEST(f16_rounds_to_nearest_even)
{
	expect_int(arpg_f32_to_f16(1.0f), 0x3c00);
	expect_int(arpg_f32_to_f16(65504.0f), 0x7bff);
	expect_int(arpg_f32_to_f16(65520.0f), 0x7c00);		/* rounds up to Inf */
	expect_int(arpg_f32_to_f16(1.0f + 1.0f / 2048), 0x3c00);	/* tie to even */
	expect_int(arpg_f32_to_f16(1.0f + 3.0f / 2048), 0x3c02);	/* tie to even, up */
	expect_int(arpg_f32_to_f16(5.960464477539063e-08f), 0x0001);	/* smallest subnormal */
	expect_int(arpg_f32_to_f16(2.98e-08f), 0x0000);
	expect_int(arpg_f32_to_f16(-0.0f), 0x8000);
	expect_int(arpg_f32_to_f16(-INFINITY), 0xfc00);
	expect(isnan(arpg_f16_to_f32(arpg_f32_to_f16(NAN))));
	expect_near(arpg_f16_to_f32(0x0400), 6.103515625e-05, 0);
}

ARPG_TEST(tensor_bad_records_are_refused)
{
	uint32_t dims[2] = { 2, 3 };
	float v[6] = { 0 };
	uint8_t buf[64];
	struct arpg_tensor_view tv;
	char err[200];
	long n = arpg_tensor_encode(buf, ARPG_F32, 2, dims, v);

	expect_int(arpg_tensor_decode(&tv, buf, (size_t)n - 1, err, sizeof err), ARPG_EFORMAT);
	expect(strstr(err, "needs") != NULL);
	expect_int(arpg_tensor_decode(&tv, buf, 5, err, sizeof err), ARPG_EFORMAT);
	buf[4] = 2;
	expect_int(arpg_tensor_decode(&tv, buf, (size_t)n, err, sizeof err), ARPG_EFORMAT);
	expect(strstr(err, "version 2") != NULL);
	buf[4] = 1;
	buf[5] = 3;
	expect_int(arpg_tensor_decode(&tv, buf, (size_t)n, err, sizeof err), ARPG_EFORMAT);
	buf[5] = 1;
	buf[6] = 5;
	expect_int(arpg_tensor_decode(&tv, buf, (size_t)n, err, sizeof err), ARPG_EFORMAT);
	buf[6] = 2;
	buf[8] = 0;
	expect_int(arpg_tensor_decode(&tv, buf, (size_t)n, err, sizeof err), ARPG_EFORMAT);
	buf[8] = 0xff, buf[9] = 0xff, buf[10] = 0xff, buf[11] = 0xff;
	buf[12] = 0xff, buf[13] = 0xff, buf[14] = 0xff, buf[15] = 0xff;
	expect_int(arpg_tensor_decode(&tv, buf, (size_t)n, err, sizeof err), ARPG_EFORMAT);
	buf[0] = 'X';
	expect_int(arpg_tensor_decode(&tv, buf, (size_t)n, err, sizeof err), ARPG_EFORMAT);
	expect_int(arpg_tensor_encode(buf, 3, 2, dims, v), ARPG_EINVAL);
	expect_int(arpg_tensor_encode(buf, ARPG_F32, 0, dims, v), ARPG_EINVAL);
}
