/* model_file.h - the frame of a model file arpg-train saves (its module
 * train/checkpoint.c writes and reads the parameters): magic, version, the
 * settings text, and the SHA-256 that ends the file.  Here because
 * arpg-predict reads a model's settings too.
 *
 * Layout (little-endian):
 *   "ARPGCKPT"  u32 version (1 or 2)  u32 text length L
 *   L bytes of text: "key\tvalue\n" lines, the settings
 *   ... the arrays (train/checkpoint.h) ...
 *   32 bytes: SHA-256 of everything before them
 */
#ifndef ARPG_MODEL_FILE_H
#define ARPG_MODEL_FILE_H

#include <stddef.h>

#include "kv.h"

#define ARPG_MODEL_MAGIC "ARPGCKPT"	/* 8 bytes, no NUL in the file */
/* Version 2 adds arrays after the head's (train/checkpoint.h: a tuned
 * backbone's tail); its frame and settings are version 1's. */
enum { ARPG_MODEL_VERSION = 1, ARPG_MODEL_VERSION_TUNED = 2 };

/* Checks the frame of the model file buf[0..len) (magic, version, the
 * closing SHA-256, the text length) and adds its settings to settings in
 * file order; *arrays is then the offset of the bytes after the text,
 * which run to len - 32.  Returns 0, or ARPG_EFORMAT with the reason in err
 * (not a model: no magic; another version; truncated; the checksum does
 * not match; a damaged settings block), ARPG_ENOMEM.  On failure settings
 * may hold some keys: the caller frees it either way. */
int arpg_model_file_parse(struct arpg_kv *settings, const void *buf, size_t len,
			  size_t *arrays, char *err, size_t errn);

/* Reads the file path and parses it as arpg_model_file_parse does
 * (arrays not returned); ARPG_EIO when it cannot be read (err: "cannot
 * read it: REASON").  settings is for the caller to free either way. */
int arpg_model_file_settings(struct arpg_kv *settings, const char *path, char *err,
			     size_t errn);

#endif
