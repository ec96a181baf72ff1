/* frames_tsv.h - the per-frame face flags of a clip, read from the
 * frames.tsv that arpg-preprocess writes beside the clip's PNGs.
 *
 * frames.tsv: a header line, then one line per frame, tab-separated:
 * index, detected (0/1), box x y w h, 136 landmark values, 6 transform
 * values.  Only the first two fields are read here.
 */
#ifndef FEATURES_FRAMES_TSV_H
#define FEATURES_FRAMES_TSV_H

#include <stddef.h>

/* Sets flags[i] to '0' or '1' for frame index i, 0 <= i < n, from the len
 * bytes of a frames.tsv in buf (not NUL-terminated); frames it does not
 * list are '0'.  Returns 0 or ARPG_EFORMAT with "line N: ..." in err (no
 * index, an index out of 0..n-1, detected not 0 or 1). */
int frames_tsv_parse(char *flags, int n, const char *buf, size_t len, char *err,
			  size_t errn);

/* The same from the file at path.  Also ARPG_ENOENT (no such file: the
 * caller falls back; flags all '0'), ARPG_EIO, ARPG_ERANGE, ARPG_ENOMEM. */
int frames_tsv_flags(char *flags, int n, const char *path, char *err, size_t errn);

#endif
