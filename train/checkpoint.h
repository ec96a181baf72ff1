/* checkpoint.h - a trained model in one file.
 *
 * Layout (little-endian):
 *   "ARPGCKPT"  u32 version (1)  u32 text length L
 *   L bytes of text: "key\tvalue\n" lines: the model settings (model.*),
 *     the cache meta it was trained on (cache.*), the run (epoch, seed...)
 *   u64 n  n float32 parameters (model_params order)
 *   u32 has_optimizer  [u64 step, n float32 first moments, n second moments]
 *   32 bytes: SHA-256 of everything before them
 */
#ifndef TRAIN_CHECKPOINT_H
#define TRAIN_CHECKPOINT_H

#include <stddef.h>

struct checkpoint {
	int nkv;
	char **keys, **vals;	/* the text block, in file order */
	size_t n;
	float *params;
	int has_opt;
	long step;
	float *m, *v;		/* NULL without optimizer state */
};

/* Sets key to val (copies both); replaces an earlier value. */
int checkpoint_set(struct checkpoint *ck, const char *key, const char *val);
/* The value of key, or NULL. */
const char *checkpoint_get(const struct checkpoint *ck, const char *key);

/* Writes ck to path (to path.tmp, then renamed).  ARPG_EIO with errno. */
int checkpoint_save(const struct checkpoint *ck, const char *path);

/* Parses a checkpoint held in buf[0..len).  Returns 0, or ARPG_EFORMAT with
 * the reason in err (not a checkpoint, another version, truncated, the
 * checksum does not match), ARPG_ENOMEM. */
int checkpoint_parse(struct checkpoint *ck, const void *buf, size_t len,
			  char *err, size_t errn);
/* Reads and parses a file; ARPG_EIO if it cannot be read. */
int checkpoint_load(struct checkpoint *ck, const char *path, char *err, size_t errn);

void checkpoint_free(struct checkpoint *ck);

#endif
