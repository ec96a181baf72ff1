/* Fuzz the model file parser of arpg-train, and the reading of the model
 * settings and cache meta a parsed file holds.  The SHA-256 check rejects
 * nearly every mutation early, so a second pass re-seals the input with a
 * valid checksum to reach the layout checks behind it. */
#include <sha2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "checkpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse(const uint8_t *data, size_t size)
{
	struct checkpoint ck;
	struct model_config c;
	struct arpg_kv meta = ARPG_KV_INIT;
	char err[256];

	if (checkpoint_parse(&ck, data, size, err, sizeof err) == 0) {
		if (!ck.params || !ck.n || (ck.has_opt && (!ck.m || !ck.v)))
			__builtin_trap();
		if (checkpoint_config(&ck, &c) == 0 && model_config_check(&c, NULL, 0) < 0)
			__builtin_trap();
		(void)checkpoint_meta_mismatch(&ck, &meta, 1);
		(void)checkpoint_epoch(&ck);
		checkpoint_free(&ck);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *sealed;
	SHA2_CTX ctx;

	parse(data, size);
	if (size < 48 || !(sealed = malloc(size)))
		return 0;
	memcpy(sealed, data, size);
	SHA256Init(&ctx);
	SHA256Update(&ctx, sealed, size - 32);
	SHA256Final(sealed + size - 32, &ctx);
	parse(sealed, size);
	free(sealed);
	return 0;
}
