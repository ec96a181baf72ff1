/* checkpoint.h - a trained model in one file.
 *
 * Layout (little-endian):
 *   "ARPGCKPT"  u32 version (1)  u32 text length L
 *   L bytes of text: "key\tvalue\n" lines: the model settings (model.*),
 *     the cache meta it was trained on (cache.*), the run (epoch, seed...)
 *   u64 n  n float32 parameters (arpg_model_params order)
 *   u32 has_optimizer  [u64 step, n float32 first moments, n second moments]
 *   32 bytes: SHA-256 of everything before them
 */
#ifndef ARPG_CHECKPOINT_H
#define ARPG_CHECKPOINT_H

#include <stddef.h>

struct arpg_checkpoint {
	int nkv;
	char **keys, **vals;	/* the text block, in file order */
	size_t n;
	float *params;
	int has_opt;
	long step;
	float *m, *v;		/* NULL without optimizer state */
};

/* Sets key to val (copies both); replaces an earlier value. */
int arpg_checkpoint_set(struct arpg_checkpoint *ck, const char *key, const char *val);
/* The value of key, or NULL. */
const char *arpg_checkpoint_get(const struct arpg_checkpoint *ck, const char *key);

/* Writes ck to path (to path.tmp, then renamed).  ARPG_EIO with errno. */
int arpg_checkpoint_save(const struct arpg_checkpoint *ck, const char *path);

/* Parses a checkpoint held in buf[0..len).  Returns 0, or ARPG_EFORMAT with
 * the reason in err (not a checkpoint, another version, truncated, the
 * checksum does not match), ARPG_ENOMEM. */
int arpg_checkpoint_parse(struct arpg_checkpoint *ck, const void *buf, size_t len,
			  char *err, size_t errn);
/* Reads and parses a file; ARPG_EIO if it cannot be read. */
int arpg_checkpoint_load(struct arpg_checkpoint *ck, const char *path, char *err, size_t errn);

void arpg_checkpoint_free(struct arpg_checkpoint *ck);

#endif
