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

/* The class names in index order, as the header line gives them; and
 * joined by ','. */
extern const char *const abaw_class_names[ABAW_CLASSES];
#define ABAW_CLASS_LIST "Neutral,Anger,Disgust,Fear,Happiness,Sadness,Surprise,Other"

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

/* One annotated person: an annotation file read. */
struct abaw_person {
	char *video;		/* the video's name: its file name without extension */
	int side;		/* 'l' (NAME_left.txt), 'r' (NAME_right.txt) or 0 */
	const char *split;	/* "train", "val" or "test" (static) */
	char *path;		/* the annotation file, as found under the folder */
	char *stem;		/* its name without ".txt": the clip's stem */
	struct abaw_labels labels;
	int matched;		/* set by the caller when a video was found for it */
};

/* The annotation files of a folder, sorted by video then side. */
struct abaw_index {
	struct abaw_person *p;
	size_t n;
};

/* Reads every annotation file (*.txt) under dir, following links.  A
 * file's split is the one its nearest folder names (the folder itself
 * included): Train_Set -> train, Validation_Set -> val, a name with
 * "train", "val" or "test" (any case).  A file that does not parse, has no
 * split or repeats an annotated person goes to bad(ctx, file, detail) and
 * is left out; the others are kept.  Returns the number read, or
 * ARPG_ENOENT / ARPG_EIO (dir missing or unreadable) or ARPG_ENOENT (no
 * annotation file in it) with the reason in err, or ARPG_ENOMEM. */
int abaw_index_read(struct abaw_index *ix, const char *dir,
		    void (*bad)(void *ctx, const char *file, const char *detail), void *ctx,
		    char *err, size_t errn);
/* The annotated people of video: *first is the index of the first in
 * ix->p; returns how many (0: none). */
size_t abaw_index_find(const struct abaw_index *ix, const char *video, size_t *first);
void abaw_index_free(struct abaw_index *ix);

#endif
