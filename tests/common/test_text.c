/* The name rule and the escaping of control characters in messages. */
#include "harness.h"
#include "error.h"
#include "text.h"

#include <string.h>

ARPG_TEST(text_escape_makes_one_printable_line)
{
	char out[64];

	expect_str(arpg_escape(out, sizeof out, "plain name.avi"), "plain name.avi");
	expect_str(arpg_escape(out, sizeof out, "a\nb\tc\rd"), "a\\nb\\tc\\rd");
	expect_str(arpg_escape(out, sizeof out, "\033[31mred\x7f"), "\\x1b[31mred\\x7f");
	expect_str(arpg_escape(out, sizeof out, "caf\xc3\xa9"), "caf\xc3\xa9");
	/* cut whole: never half an escape */
	expect_str(arpg_escape(out, 5, "ab\ncd"), "ab\\n");
	expect_str(arpg_escape(out, 4, "ab\ncd"), "ab");
}

ARPG_TEST(text_name_rule)
{
	char why[160], big[ARPG_NAME_MAX + 2];

	expect_int(arpg_name_check("train_Happy_000123456", ARPG_NAME_CLIP_ID, why, sizeof why), 0);
	expect_int(arpg_name_check("Happy", ARPG_NAME_LABEL, why, sizeof why), 0);
	expect_int(arpg_name_check("", ARPG_NAME_LABEL, why, sizeof why), 0);
	expect_int(arpg_name_check("", ARPG_NAME_SUBJECT, why, sizeof why), 0);
	expect_int(arpg_name_check("", ARPG_NAME_CLIP_ID, why, sizeof why), ARPG_EFORMAT);
	expect_int(arpg_name_check("a\tb", ARPG_NAME_LABEL, why, sizeof why), ARPG_EFORMAT);
	expect(strstr(why, "0x09") != NULL);
	expect_int(arpg_name_check("a\nb", ARPG_NAME_CLIP_ID, why, sizeof why), ARPG_EFORMAT);
	expect_int(arpg_name_check("a,b", ARPG_NAME_LABEL, why, sizeof why), ARPG_EFORMAT);
	expect(strstr(why, "','") != NULL);
	expect_int(arpg_name_check("a/b", ARPG_NAME_CLIP_ID, why, sizeof why), ARPG_EFORMAT);
	expect_int(arpg_name_check("..", ARPG_NAME_CLIP_ID, why, sizeof why), ARPG_EFORMAT);
	expect_int(arpg_name_check("a\x7f", ARPG_NAME_SUBJECT, why, sizeof why), ARPG_EFORMAT);
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	expect_int(arpg_name_check(big, ARPG_NAME_LABEL, why, sizeof why), ARPG_EFORMAT);
	big[ARPG_NAME_MAX] = 0;
	expect_int(arpg_name_check(big, ARPG_NAME_LABEL, why, sizeof why), 0);
}
