/* frames_tsv.h - frames.tsv, what arpg-preprocess knows of each frame of a
 * clip, written beside the clip's PNGs and read by arpg-features (face
 * flags) and by the contact sheet.  The one writer and the one reader.
 *
 * A header line (index detected box_x box_y box_w box_h x0 y0 ... x67 y67
 * m0 ... m5), then one line per frame, tab-separated: the frame index (0,
 * 1, 2...), detected (1 if a face was detected in the frame, 0 if not),
 * the box x y w h and 68 landmarks in source pixels (0 when none), and the
 * 2x3 source -> crop transform: x' = m0 x + m1 y + m2, y' = m3 x + m4 y + m5.
 * A run with a CNN face detector adds 11 columns at the end (score k0x k0y
 * ... k4x k4y): the detector's score and its five keypoints in source
 * pixels (0 when none), so that readers of the first 148 read both.
 * A clip labelled frame by frame (Aff-Wild2) has a last column, label: the
 * frame's class index, -1 for none; the line after the header,
 * "#label_classes<TAB>NAME,NAME,...", names the classes in index order.
 */
#ifndef ARPG_FRAMES_TSV_H
#define ARPG_FRAMES_TSV_H

#include <stddef.h>
#include <stdio.h>

/* One frame's line: what is known of the frame after alignment. */
struct arpg_frame_row {
	int detected;		/* 1 if a face was detected in this frame */
	float box[4];		/* x y w h of the followed face, source pixels; 0 if none */
	float landmarks[136];	/* x0 y0 ... x67 y67, source pixels; 0 if none */
	double M[6];		/* source -> crop: x' = M0 x + M1 y + M2, y' = M3 x + M4 y + M5 */
	float score;		/* the CNN detector's score; 0 if none */
	float kps[10];		/* its five keypoints, x y each (detector.h's order) */
	int label;		/* the frame's class index, -1: none (label column) */
};

/* The columns of a file, a set of bits: the 148 of a run with the cascade,
 * the detector's 11 (score and keypoints) after them, the label last. */
enum { ARPG_FRAMES_TSV_BASE = 0, ARPG_FRAMES_TSV_DETECTOR = 1, ARPG_FRAMES_TSV_LABEL = 2 };

/* Writes the header line, or frame index's line, with the columns cols.
 * 0, or -1 on a write error (errno set). */
int arpg_frames_tsv_write_header(FILE *f, int cols);
int arpg_frames_tsv_write_row(FILE *f, long index, const struct arpg_frame_row *r, int cols);
/* Writes the label classes line (after the header of a file with the label
 * column): classes is their names joined by ','.  0 or -1 (errno set). */
int arpg_frames_tsv_write_classes(FILE *f, const char *classes);

/* What a reader takes from a frames.tsv: the detected column. */
struct arpg_frames_tsv {
	long rows;		/* frame lines */
	long faces;		/* frame lines with detected 1 */
	long n;			/* 1 + the largest frame index */
	char *detected;		/* n flags by frame index, 0 or 1 (unlisted: 0); malloc'd */
	int cols;		/* the header's columns: ARPG_FRAMES_TSV_DETECTOR,
				 * ARPG_FRAMES_TSV_LABEL bits */
	/* with the label column: n labels by frame index (unlisted: -1), and
	 * the label classes line's names (NULL without that line); malloc'd */
	signed char *labels;
	char *label_classes;
};

/* Parses a frames.tsv held in buf[0..len) (not NUL-terminated).  Lines
 * after the header that are empty or start with '#' are skipped (but the
 * label classes line is read); only the first two fields and the label
 * are read.  Returns 0, ARPG_ENOMEM, or ARPG_EFORMAT with "line N: ..." in
 * err: no header, an index that is not a number below 2^24, detected not
 * 0 or 1, a label column without the classes line, a label that is not
 * -1 or a class index.  Free ft with arpg_frames_tsv_free. */
int arpg_frames_tsv_parse(struct arpg_frames_tsv *ft, const void *buf, size_t len,
			  char *err, size_t errn);

/* The same from the file at path.  Also ARPG_ENOENT (no such file),
 * ARPG_EIO (unreadable, errno in err), ARPG_ERANGE (over 1 GiB). */
int arpg_frames_tsv_read(struct arpg_frames_tsv *ft, const char *path, char *err, size_t errn);

void arpg_frames_tsv_free(struct arpg_frames_tsv *ft);

#endif
