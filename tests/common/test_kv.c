/* The key/value list: set, replace, get, order kept, free and reuse. */
#include "harness.h"
#include "error.h"
#include "kv.h"

#include <stdio.h>
#include <string.h>

ARPG_TEST(set_get_and_replace)
{
	struct arpg_kv kv = ARPG_KV_INIT;

	expect(arpg_kv_get(&kv, "grid") == NULL);
	expect_int(arpg_kv_set(&kv, "grid", "6"), 0);
	expect_int(arpg_kv_set(&kv, "dtype", "f16"), 0);
	expect_int(arpg_kv_set(&kv, "grid", "4"), 0);
	expect_int(kv.n, 2);
	expect_str(arpg_kv_get(&kv, "grid"), "4");
	expect_str(arpg_kv_get(&kv, "dtype"), "f16");
	expect_str(kv.keys[0], "grid");	/* first set, first kept */
	arpg_kv_free(&kv);
	expect_int(kv.n, 0);
	expect(arpg_kv_get(&kv, "grid") == NULL);
	expect_int(arpg_kv_set(&kv, "a", ""), 0);
	expect_str(arpg_kv_get(&kv, "a"), "");
	arpg_kv_free(&kv);
}

ARPG_TEST(many_keys_keep_their_values)
{
	struct arpg_kv kv = ARPG_KV_INIT;
	char k[16], v[16];
	int i, bad = 0;

	for (i = 0; i < 300; i++) {
		snprintf(k, sizeof k, "k%d", i);
		snprintf(v, sizeof v, "v%d", i * 7);
		expect_int(arpg_kv_set(&kv, k, v), 0);
	}
	for (i = 0; i < 300; i++) {
		const char *got;

		snprintf(k, sizeof k, "k%d", i);
		snprintf(v, sizeof v, "v%d", i * 7);
		got = arpg_kv_get(&kv, k);
		bad += !got || strcmp(got, v);
	}
	expect_int(bad, 0);
	expect_int(kv.n, 300);
	arpg_kv_free(&kv);
}
