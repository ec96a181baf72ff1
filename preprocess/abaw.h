/* abaw.h - Aff-Wild2's expression annotation files (the ABAW challenges'
 * EXPR set): the first step of issue 18's -l affwild2.
 *
 * A file names one annotated person of one video: VIDEO.txt, or
 * VIDEO_left.txt and VIDEO_right.txt for the two people of a video with
 * two.  Its first line is the class names joined by commas,
 *   Neutral,Anger,Disgust,Fear,Happiness,Sadness,Surprise,Other
 * then one integer per video frame, in frame order: the class index 0 to 7,
 * or -1 where the frame has no label.  Lines may end in CRLF, the last one
 * may lack its newline, and spaces around a number are allowed; nothing
 * else is.
 */
#ifndef PREPROCESS_ABAW_H
#define PREPROCESS_ABAW_H

#include <stddef.h>

#define ABAW_CLASSES 8

/* The class names in index order, as the header line gives them. */
extern const char *const abaw_class_names[ABAW_CLASSES];

struct abaw_labels {
	long n;			/* frames annotated */
	signed char *label;	/* n labels, -1 to 7; malloc'd */
	long labelled;		/* of them, not -1 */
};

/* Parses an annotation file of len bytes.  Returns 0 with *a filled (free
 * it with abaw_labels_free), ARPG_ENOMEM, or ARPG_EFORMAT with "line N:
 * what is wrong" in err (size errn): a header that is not the eight names
 * in their order, a line that is not a whole number, a number outside -1
 * to 7, an empty line before the last, no frame line at all. */
int abaw_parse(struct abaw_labels *a, const char *buf, size_t len, char *err, size_t errn);
void abaw_labels_free(struct abaw_labels *a);

/* Which video and which person a file name is for: "VIDEO_left.txt" gives
 * video "VIDEO" and side 'l', "VIDEO_right.txt" 'r', "VIDEO.txt" 0.  The
 * video name goes into video (size n).  Returns 0, or ARPG_EINVAL when
 * name does not end in ".txt", leaves no video name, or does not fit. */
int abaw_file_name(const char *name, char *video, size_t n, int *side);

#endif
