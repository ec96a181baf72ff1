/* sheet.h - a contact sheet of the crops of a preprocessing run (cairo).
 *
 * One PNG: a row per label (labels in byte order; clips without a label
 * under "(none)"), in each row up to clips_per_label clips spread evenly over
 * the label's clips, and of each clip up to frames_per_clip frames spread
 * evenly over its frames, each shown thumb pixels wide.  A frame whose
 * frames.tsv line says detected = 0 (the transform of a neighbour reused, or
 * a centre crop) has a red border; a clip with no face at all (faces = 0 in
 * the manifest) is framed in orange and captioned "no face".  The clip id is
 * written under each clip, the label at the start of its row, and a header
 * gives the counts of clips, frames and flagged frames over the whole run.
 */
#ifndef PREPROCESS_SHEET_H
#define PREPROCESS_SHEET_H

#include <stddef.h>

struct sheet_options {
	int clips_per_label;	/* 4 */
	int frames_per_clip;	/* 6 */
	int thumb;		/* 72: thumbnail side in pixels */
};

void sheet_options_default(struct sheet_options *o);

/* Reads outdir/manifest.tsv and each shown clip's frames.tsv and frame PNGs
 * (outdir/<clip_id>/NNNNNN.png, numbered from 000000 in frames.tsv order)
 * and writes the sheet to png (through png.tmp, then renamed).
 * Frames that cannot be read are drawn as grey boxes with a cross and
 * counted in *unreadable (may be NULL); a clip folder that is missing is not
 * an error (a failed clip), it is left out.  Returns 0, ARPG_EIO (the
 * manifest or the sheet file; reason in err), ARPG_EFORMAT (a bad manifest
 * line; err says which), ARPG_ENOMEM. */
int sheet_write(const char *png, const char *outdir, const struct sheet_options *o,
		     long *unreadable, char *err, size_t errn);

#endif
