/* cmds.h - arpg-features' subcommands over existing caches.  Each returns
 * 0 (done, all good), 1 (done, but bad clips were found and listed), or a
 * negative code with the detail in err.  Results go to stdout. */
#ifndef FEATURES_CMDS_H
#define FEATURES_CMDS_H

#include <stddef.h>

/* Meta keys, clip counts per split and per label, dims, frames per clip,
 * frames without a face, size on disk. */
int cmd_info(const char *dir, char *err, size_t errn);

/* Every clip's records decode, their shapes and dtype agree with meta, the
 * clips line parses (label among meta labels, split known); the meta keys
 * are present and numeric where they should be.  Lists bad clips as
 * "bad CLIP: reason" lines. */
int cmd_verify(const char *dir, char *err, size_t errn);

/* Copies every clip of each input into out (created if absent) after
 * checking that the inputs' meta agree with each other and with out's;
 * labels become the union.  A clip already in out is kept (and counted);
 * bad input clips are listed and make the result 1. */
int cmd_merge(const char *out, char *const *in, int nin, char *err, size_t errn);

/* Prints a clip's info and shapes; with npy_dir (created if absent) writes
 * app.npy (T, Da) and patch.npy (T, G*G, Dp), float32. */
int cmd_dump(const char *dir, const char *clip_id, const char *npy_dir,
		  char *err, size_t errn);

#endif
