/* inputs.h - arpg-predict's inputs sorted for arpg-preprocess.
 *
 * A video file, or a folder (walked for video files: byte-wise sorted,
 * hidden names skipped, links followed), goes into a list file for
 * arpg-preprocess -l list, as an unlabelled test clip.  An archive (by its
 * name: .zip .tar .tar.gz .tgz .tar.bz2 .tar.xz .7z), and a folder when a
 * layout is given (-l), is a dataset input: arpg-preprocess reads it with
 * that layout (dir when none is given).
 */
#ifndef PREDICT_INPUTS_H
#define PREDICT_INPUTS_H

#include <stdio.h>

#include "spawn.h"

/* The extensions taken as videos in a folder. */
extern const char *const VIDEO_EXTENSIONS[];	/* NULL-terminated */

/* Sorts the n inputs: videos (and, without layout, folders' videos) as
 * list lines "PATH\t\ttest\t" (absolute paths) into list, and archives
 * (and, with layout, folders) into datasets.  *nlist counts the list's
 * lines.  An input that is missing, or a folder without a video, is
 * reported and counted in *bad; the others go on.  Returns 0, or a
 * negative code (a write to list failed), reported. */
int inputs_sort(char *const *inputs, int n, int layout_given, FILE *list, long *nlist,
		struct args *datasets, long *bad);

#endif
