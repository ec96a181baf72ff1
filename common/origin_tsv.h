/* origin_tsv.h - reading OUT/<clip_id>/origin.tsv, the file arpg-preprocess
 * writes into each clip's folder to say what the clip was made from and
 * with which settings (preprocess/origin.h writes it and documents its
 * keys).  arpg-preprocess reads it back on a rerun; arpg-features copies
 * its settings into the cache's meta (key preprocess).
 *
 * A text file of "key<TAB>value" lines; control characters in values are
 * escaped (arpg_escape, common/text.h), so that a value is one line.
 */
#ifndef ARPG_ORIGIN_TSV_H
#define ARPG_ORIGIN_TSV_H

#include <stddef.h>

/* The text of dir/origin.tsv (malloc'd, NUL-terminated, at most 1 MiB), or
 * NULL when there is none or it cannot be read. */
char *arpg_origin_read(const char *dir);

/* The value of key in text, copied (cut to n - 1 bytes) into buf, or ""
 * when text has no such key; returns buf. */
const char *arpg_origin_value(const char *text, const char *key, char *buf, size_t n);

/* The settings line of dir/origin.tsv, as written (escaped), into buf;
 * 0, or ARPG_ENOENT when there is no file or no settings in it. */
int arpg_origin_settings(const char *dir, char *buf, size_t n);

#endif
