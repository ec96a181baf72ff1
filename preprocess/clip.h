/* clip.h - one clip from bytes to OUT/<clip_id>/: frames, frames.tsv.
 *
 * A clip is written into OUT/<clip_id>.tmp (removed first if a former run
 * left one) and renamed to OUT/<clip_id> when every frame and frames.tsv
 * are written and closed, so that OUT/<clip_id> is complete or absent.
 *
 * OUT/<clip_id>/NNNNNN.png: frame N (from 000000), size x size RGB, PNG
 * (zlib level 1).  OUT/<clip_id>/frames.tsv: a line per frame (see
 * common/frames_tsv.h).  OUT/<clip_id>/origin.tsv: what the clip was made
 * from (origin.h).  A complete OUT/<clip_id> already there is replaced.
 */
#ifndef PREPROCESS_CLIP_H
#define PREPROCESS_CLIP_H

#include <signal.h>
#include <stddef.h>
#include "dataset.h"
#include "decode.h"

struct arpg_face_models;

struct clip_options {
	int size;				/* side of the crops */
	struct decode_options decode;
	const struct arpg_face_models *fm;	/* NULL: centre crops */
	size_t frame_memory;			/* bytes of decoded RGB frames an
						 * aligned clip may hold; a longer
						 * clip is decoded again (up to
						 * twice) instead */
	const volatile sig_atomic_t *stop;	/* set by a signal: give up (ARPG_EINTR) */
	const char *settings;			/* for origin.tsv */
};

struct clip_result {
	long frames, faces;
	/* seconds spent in this thread: reading and decoding (with the RGB
	 * conversion for alignment), centre crop and scale, face detection
	 * and alignment, PNG encoding and writing */
	double t_decode, t_scale, t_face, t_png;
};

/* Reads the clip (c->file or c->data), decodes it and writes its folder
 * under outdir.  Returns 0 with res filled, or a negative code with a reason
 * and hint in err (ARPG_EIO: unreadable file or write failure, ARPG_EDECODE,
 * ARPG_EFULL, ARPG_EINTR, ARPG_ENOMEM); then nothing of the clip is left. */
int clip_process(const struct clip *c, const char *outdir,
		      const struct clip_options *o, struct clip_result *res,
		      char *err, size_t errn);

/* 1 if outdir/id is a complete clip (res filled from its frames.tsv), 0 if
 * not there, or ARPG_EFORMAT if the folder exists but its frames.tsv cannot
 * be read (remove the folder to redo the clip). */
int clip_done(const char *outdir, const char *id, struct clip_result *res);

/* Removes a folder and everything in it; 0 or ARPG_EIO. */
int remove_tree(const char *path);

#endif
