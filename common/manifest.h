/* manifest.h - the clip manifest, a TSV file between arpg-preprocess and
 * arpg-features.
 *
 * A header line, then one line per clip with seven tab-separated fields:
 *   clip_id split label subject frames faces path
 * split is train, val or test; label is a canonical label name or empty (an
 * unlabelled test clip); subject may be empty; frames is the number of frame
 * PNGs written; faces the number of those frames where a face was detected
 * (0: no face in the clip, the frames are centre crops); path is the clip's
 * frame directory.  clip_id, label (empty: no label) and subject follow
 * the name rule of text.h (no control character, comma or slash; a parsed
 * row that breaks it is ARPG_EFORMAT).  In text fields a backslash escapes
 * \t \n \r and \\ so that any path survives.  Empty lines and lines beginning with '#' are
 * skipped; a repeated header line (concatenated manifests) is accepted.
 */
#ifndef ARPG_MANIFEST_H
#define ARPG_MANIFEST_H

#include <stddef.h>
#include <stdio.h>

#define ARPG_MANIFEST_HEADER "clip_id\tsplit\tlabel\tsubject\tframes\tfaces\tpath"

struct arpg_manifest_row {
	char *clip_id, *split, *label, *subject, *path;	/* unescaped, NUL-terminated */
	long frames, faces;
	char *storage;		/* owns the strings above */
};

/* Parses one line of len bytes (no newline) into r, replacing what r held.
 * Returns 0, ARPG_ENOMEM, or ARPG_EFORMAT with a reason in err (size errn).
 * r must be zeroed before its first use and freed with arpg_manifest_row_free. */
int arpg_manifest_parse(struct arpg_manifest_row *r, const char *line, size_t len,
			char *err, size_t errn);
void arpg_manifest_row_free(struct arpg_manifest_row *r);

/* Nonzero if split is "train", "val" or "test". */
int arpg_manifest_split_ok(const char *split);

/* Writes r as one escaped line with "\n" and flushes f, so that a reader at
 * the other end of a pipe sees each clip as it completes.  Returns 0 or
 * ARPG_EIO (errno set). */
int arpg_manifest_write_row(FILE *f, const struct arpg_manifest_row *r);
int arpg_manifest_write_header(FILE *f);

/* Reads a manifest from a stream line by line (a pipe works: each row is
 * returned as soon as its line is complete). */
struct arpg_manifest_reader {
	FILE *f;
	const char *name;	/* for messages; not copied */
	long line;		/* number of the line last read */
	int header_seen;
	char *buf;
	size_t cap;
	char err[256];		/* "line N: reason" after ARPG_EFORMAT */
};

void arpg_manifest_reader_init(struct arpg_manifest_reader *rd, FILE *f, const char *name);
/* Returns 1 with the next row in r, 0 at the end, or a negative code
 * (ARPG_EFORMAT: a bad line, with rd->err; the reader can go on past it with
 * another call; ARPG_EIO; ARPG_ENOMEM).  A missing header is ARPG_EFORMAT. */
int arpg_manifest_next(struct arpg_manifest_reader *rd, struct arpg_manifest_row *r);
void arpg_manifest_reader_free(struct arpg_manifest_reader *rd);

#endif
