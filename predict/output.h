/* output.h - arpg-train's predictions as arpg-predict prints them.
 *
 * arpg-train --load MODEL --predict writes a header "clip_id split label
 * predicted p_LABEL..." and a line per clip; with a per-frame model
 * (arpg-train --per-frame) "clip_id split frame label predicted
 * p_LABEL..." and a line per frame, a clip's frames in order.
 * arpg-predict prints, per clip, its id, its source (the video, or
 * ARCHIVE:ENTRY / FOLDER/ENTRY, from the clip's origin.tsv), the predicted
 * label and the probability of each class: TSV with a header "clip source
 * predicted p_LABEL...", or a JSON object per line {"clip":..,"source":..,
 * "predicted":..,"probabilities":{"LABEL":P,...}}.  A per-frame model's
 * clip line holds the mean of its frames' probabilities, and the class of
 * the largest mean (the first of equals).  Per frame, each line has the
 * frame too: TSV "clip source frame predicted p_LABEL...", JSON
 * "frame":N after "source".
 */
#ifndef PREDICT_OUTPUT_H
#define PREDICT_OUTPUT_H

#include <stdio.h>

/* Returned when out's reader went away (EPIPE): not an error. */
enum { ARPG_EPIPE_QUIET = -1000 };

/* Reads arpg-train's predictions from the file preds and prints them to
 * out (json: JSON lines, else TSV; per_frame: a line per frame, which
 * needs a per-frame model's predictions), each line flushed; faces is the
 * crops' folder (OUT/<clip_id>/origin.tsv names the source).  Returns the
 * number of clips printed, ARPG_EPIPE_QUIET, or a negative code with the
 * reason in err (ARPG_EFORMAT: not arpg-train's predictions, or per clip
 * where per_frame asks for frames; ARPG_EIO), ARPG_ENOMEM. */
long output_predictions(FILE *out, const char *preds, const char *faces, int json, int per_frame,
			char *err, size_t errn);

#endif
