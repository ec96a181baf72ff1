/* output.h - arpg-train's predictions as arpg-predict prints them.
 *
 * arpg-train --load MODEL --predict writes a header "clip_id split label
 * predicted p_LABEL..." and a line per clip.  arpg-predict prints, per
 * clip, its id, its source (the video, or ARCHIVE:ENTRY / FOLDER/ENTRY,
 * from the clip's origin.tsv), the predicted label and the probability of
 * each class: TSV with a header "clip source predicted p_LABEL...", or a
 * JSON object per line {"clip":..,"source":..,"predicted":..,
 * "probabilities":{"LABEL":P,...}}.
 */
#ifndef PREDICT_OUTPUT_H
#define PREDICT_OUTPUT_H

#include <stdio.h>

/* Returned when out's reader went away (EPIPE): not an error. */
enum { ARPG_EPIPE_QUIET = -1000 };

/* Reads arpg-train's predictions from the file preds and prints them to
 * out (json: JSON lines, else TSV), each line flushed; faces is the crops'
 * folder (OUT/<clip_id>/origin.tsv names the source).  Returns the number
 * of clips printed, ARPG_EPIPE_QUIET, or a negative code with the reason
 * in err (ARPG_EFORMAT: not arpg-train's predictions; ARPG_EIO). */
long output_predictions(FILE *out, const char *preds, const char *faces, int json, char *err,
			size_t errn);

#endif
