/* Growing arrays and little-endian fields. */
#include "harness.h"
#include "grow.h"
#include "le.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

ARPG_TEST(grow_keeps_items_and_doubles)
{
	size_t cap = 0, n;
	int *a = NULL, *more;

	for (n = 0; n < 1000; n++) {
		if (!(more = arpg_grow(a, &cap, n + 1, sizeof *a)))
			break;
		a = more;
		a[n] = (int)n * 3;
	}
	expect_int(n, 1000);
	expect_int(cap, 1024);	/* 16, 32, ... 1024 */
	for (n = 0; n < 1000; n++)
		if (a[n] != (int)n * 3)
			break;
	expect_int(n, 1000);
	expect(arpg_grow(a, &cap, 10, sizeof *a) == a);	/* no shrinking */
	free(a);
}

ARPG_TEST(grow_refuses_sizes_that_overflow)
{
	size_t cap = 0;
	char *a = NULL;

	expect(arpg_grow(a, &cap, SIZE_MAX / 4, 8) == NULL);
	expect_int(cap, 0);
	expect(arpg_grow(a, &cap, SIZE_MAX, 1) == NULL);
	expect_int(cap, 0);
}

ARPG_TEST(little_endian_fields)
{
	uint8_t b[8];

	arpg_le16_put(b, 0xBEEF);
	expect(b[0] == 0xEF && b[1] == 0xBE);
	expect_int(arpg_le16_get(b), 0xBEEF);
	arpg_le32_put(b, 0x01020304u);
	expect(b[0] == 4 && b[1] == 3 && b[2] == 2 && b[3] == 1);
	expect_int(arpg_le32_get(b), 0x01020304);
	arpg_le64_put(b, 0x8070605040302010ull);
	expect(b[0] == 0x10 && b[7] == 0x80);
	expect(arpg_le64_get(b) == 0x8070605040302010ull);
}
