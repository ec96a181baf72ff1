/* dataset.h - finding the clips of a dataset: directories, archives, lists.
 *
 * An input is a directory (walked in byte-wise sorted order), an archive
 * (zip, tar, tar.gz, tar.bz2, tar.xz, 7z: read through libarchive as a
 * stream, never extracted to disk; a clip's bytes are read into memory), or,
 * for the list layout, a TSV file ("-" is standard input).  The layout says
 * how a file's path gives its split, label and subject:
 *
 *   afew  .../<Emotion>/<clip>    Emotion one of Angry Disgust Fear Happy
 *         Neutral Sad Surprise; split from the first of the input's name and
 *         the entry's folders containing "train", "val" or "test" (any case);
 *         in a test split, clips outside emotion folders have no label.
 *   rml   .../sN/[<language>/]<code>*.<ext>   subject sN, label from the
 *         two-letter code the file name begins with: an di fe ha sa su ->
 *         Angry Disgust Fear Happy Sad Surprise; split train.
 *   dir   ROOT/<split>/<label>/<clip> or ROOT/<label>/<clip> (split train);
 *         split is train, val or test (also "validation", any case).
 *   list  TSV lines "path label split subject" (label and subject may be
 *         empty; a first line starting with "path" is a header; '#' starts a
 *         comment); a relative path is taken from the list file's folder.
 *   affwild2  videos anywhere in folders or archives, each matched by its
 *         name without extension to the annotation files of
 *         dataset_set_annotations (abaw.h): one clip per annotated person
 *         (NAME.txt, or NAME_left.txt and NAME_right.txt), its split from
 *         the annotation's folder, no clip label, the labels per frame
 *         carried by the clip.  Videos without an annotation are counted
 *         and noted once per input, not reported one by one: the release's
 *         videos serve several tasks, and its EXPR set annotates some.
 *
 * Labels are made canonical whatever the layout (anger, angry, AN -> Angry;
 * happiness -> Happy; ...); other labels are kept as written if they follow
 * the name rule of common/text.h (else the file is reported, not taken).
 *
 * A clip id is split_label_[subject_]stem: stem is the clip's path below its
 * label (afew, dir) or subject (rml) folder, or its file name (list),
 * without the extension, '/' turned into '-'; characters outside
 * [A-Za-z0-9.+-] become '_' (the label is empty for unlabelled clips).
 * An id is cut to 192 bytes.  Should two clips of one run still get the
 * same id (a.avi and a.mkv), the later gets "~2", "~3"... and a note says
 * so; ids are stable as long as the inputs are the same.
 * Hidden files (".name") and __MACOSX folders are ignored.
 *
 * Links: in folders, symbolic links to files and folders are followed;
 * links leading out of the input are counted and noted once per input; a
 * folder met a second time (a link loop, two links to one folder) and the
 * output folder (dataset_set_output) are noted and not walked.  In
 * archives, link entries (hard or symbolic) that would be clips are
 * reported as problems: a stream cannot go back for their data.
 */
#ifndef PREPROCESS_DATASET_H
#define PREPROCESS_DATASET_H

#include <stddef.h>

struct abaw_index;

enum layout { LAYOUT_AFEW, LAYOUT_RML, LAYOUT_DIR, LAYOUT_LIST, LAYOUT_AFFWILD2 };

/* Parses "afew", "rml", "dir", "list" or "affwild2"; ARPG_EINVAL otherwise. */
int layout_parse(enum layout *l, const char *name);
const char *layout_name(enum layout l);

/* The split a name mentions, "train", "val" or "test" (Train_AFEW.zip,
 * Val_AFEW, Validation_Set; any case), or NULL. */
const char *split_within(const char *name);

/* The canonical form of a label (a static string), or NULL if label is not
 * one of the known emotions. */
const char *label_canonical(const char *label);

/* One clip found in an input.  All strings are owned by the clip (free with
 * clip_free).  Exactly one of file and data is set when the clip is
 * handed over: file names a file to read, data holds the bytes read from an
 * archive (malloc'd, size len). */
struct clip {
	long seq;		/* 0, 1, 2... in the order clips are found */
	char *id, *split, *label, *subject;
	char *source;		/* for messages: "DIR/a/b.avi" or "X.zip:a/b.avi" */
	/* what the clip is made from, set before want() (see origin.h): the
	 * input's real path, the file's path in it (the archive entry's name,
	 * the list's path field), its size and modification time */
	char *input, *entry;
	long long size, mtime_ns;
	char *file;
	void *data;
	size_t len;
	/* affwild2: the annotated person's labels by video frame (nlabels,
	 * -1: none; malloc'd), their class names joined by ',' (static), the
	 * side ('l', 'r', 0: the main face) and the annotation file */
	signed char *frame_labels;
	long nlabels;
	const char *label_classes;
	int side;
	char *annotation;
};
void clip_free(struct clip *c);

/* What the enumeration calls.  want(ctx, c) is asked before a clip's data
 * is read (c->data NULL): return 0 to skip it (already complete), 1 to get
 * it.  take(ctx, c) then receives the clip and owns it from there (must
 * clip_free it); a negative return stops the enumeration with that
 * code.  problem(ctx, object, code, detail) reports a file that does not
 * fit, cannot be read, or a damaged archive entry; enumeration goes on. */
struct dataset_sink {
	void *ctx;
	int (*want)(void *ctx, const struct clip *c);
	int (*take)(void *ctx, struct clip *c);
	void (*problem)(void *ctx, const char *object, int code, const char *detail);
	/* a note that is no failure (a renamed id, a folder not walked, links
	 * out of the input); may be NULL */
	void (*note)(void *ctx, const char *object, const char *detail);
};

struct dataset;

/* A dataset enumerator for one run (it remembers ids across inputs). */
int dataset_new(struct dataset **ds, enum layout layout);
void dataset_free(struct dataset *ds);

/* The annotation files of layout affwild2 (read by abaw_index_read; the
 * caller keeps ix until dataset_free and after, and reads which people a
 * video was found for in their matched flags). */
void dataset_set_annotations(struct dataset *ds, struct abaw_index *ix);

/* The folder that the run writes into: walks skip it.  0 or ARPG_EIO. */
int dataset_set_output(struct dataset *ds, const char *outdir);

/* Enumerates one input.  Returns the number of clips found (taken or not
 * wanted), or a negative code for the input as a whole with a reason and
 * a hint in err: ARPG_ENOENT (missing), ARPG_EIO (unreadable),
 * ARPG_EFORMAT (not a directory/archive/list; archive damaged: clips before
 * the damage were handed over; no file fits the layout: the hint suggests
 * a layout that fits), ARPG_ENOENT also for an input without any clip.  Problems with single files go to sink->problem and
 * are counted in *problems. */
int dataset_scan(struct dataset *ds, const char *input,
		      const struct dataset_sink *sink, long *problems,
		      char *err, size_t errn);

/* Enumerates an archive held in memory (name is used for the split and
 * messages): as dataset_scan, for fuzzing and tests. */
int dataset_scan_memory(struct dataset *ds, const char *name, const void *buf,
			     size_t len, const struct dataset_sink *sink, long *problems,
			     char *err, size_t errn);

#endif
