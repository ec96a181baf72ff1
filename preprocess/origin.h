/* origin.h - what a clip folder was made from: OUT/<clip_id>/origin.tsv.
 *
 * A text file of "key<TAB>value" lines, written into the clip's folder
 * before it is renamed complete (clip.c):
 *   format    arpg-preprocess origin 1
 *   input     the real path of the input (folder, archive or list file)
 *   entry     the clip's file in the input: its path below the folder,
 *             the archive entry's name, or the list's path field
 *   size      its size in bytes (-1: unknown)
 *   mtime_ns  its modification time, nanoseconds since 1970
 *   settings  the options that shape the crops (settings_of in run.c)
 *   annotation, labels  (affwild2 only) the annotation file, and the
 *             number of its labels with their FNV-1a hash: changed labels
 *             redo the clip
 * Control characters in values are escaped (common/text.h).  A rerun
 * compares the file with the clip that now has the folder's id; readers
 * are in common/origin_tsv.h (arpg-features reads the settings too).
 */
#ifndef PREPROCESS_ORIGIN_H
#define PREPROCESS_ORIGIN_H

#include <stddef.h>
#include "dataset.h"

/* Writes dir/origin.tsv for clip c made with settings.  0 or ARPG_EIO /
 * ARPG_EFULL (errno set). */
int origin_write(const char *dir, const struct clip *c, const char *settings);

enum origin_verdict {
	ORIGIN_SAME,		/* made from this file, unchanged, with these settings */
	ORIGIN_NONE,		/* no origin.tsv: made by an older arpg-preprocess */
	ORIGIN_CHANGED,		/* made from another file or version of the same
				 * input, or of an input that is gone: redo */
	ORIGIN_FOREIGN		/* made from another input that still exists: refuse */
};

/* Compares dir/origin.tsv with the clip c and settings; the old entry
 * goes to old (size oldn) for messages. */
enum origin_verdict origin_check(const char *dir, const struct clip *c, const char *settings,
				 char *old, size_t oldn);

#endif
