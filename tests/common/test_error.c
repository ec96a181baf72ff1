/* Error codes: every code has its own message; unknown codes are safe. */
#include "harness.h"
#include "error.h"

#include <math.h>
#include <string.h>

ARPG_TEST(every_code_has_a_distinct_message)
{
	int a, b;

	for (a = ARPG_ENOMEM; a > ARPG_ELAST; a--) {
		expect(strcmp(arpg_strerror(a), "unknown error") != 0);
		for (b = a - 1; b > ARPG_ELAST; b--)
			expect(strcmp(arpg_strerror(a), arpg_strerror(b)) != 0);
	}
}

ARPG_TEST(unknown_codes_say_so)
{
	expect_str(arpg_strerror(ARPG_ELAST), "unknown error");
	expect_str(arpg_strerror(-1000), "unknown error");
	expect_str(arpg_strerror(5), "unknown error");
}

ARPG_TEST(errf_formats_detail_and_returns_code)
{
	char buf[32];

	expect_int(arpg_errf(buf, sizeof buf, ARPG_EFORMAT, "line %d", 7), ARPG_EFORMAT);
	expect_str(buf, "line 7");
	expect_int(arpg_errf(NULL, 0, ARPG_EIO, "x"), ARPG_EIO);
	arpg_errf(buf, 4, ARPG_EIO, "truncated text");
	expect_str(buf, "tru");
}
