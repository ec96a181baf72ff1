/* abaw.c - Aff-Wild2's expression annotation files (see abaw.h). */
#include "abaw.h"
#include "dataset.h"
#include "error.h"
#include "fileio.h"
#include "grow.h"

#include <errno.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *const abaw_class_names[ABAW_CLASSES] = {
	"Neutral", "Anger", "Disgust", "Fear", "Happiness", "Sadness", "Surprise", "Other"
};

/* [*s, *e) without the spaces and tabs around it. */
static void trim(const char **s, const char **e)
{
	while (*s < *e && (**s == ' ' || **s == '\t'))
		(*s)++;
	while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
		(*e)--;
}

/* Whether [s, e) is the eight class names in their order, joined by commas
 * (spaces around a name allowed). */
static int header_ok(const char *s, const char *e)
{
	for (int k = 0; k < ABAW_CLASSES; k++) {
		const char *c = memchr(s, ',', (size_t)(e - s)), *end = c ? c : e, *a = s;
		size_t len = strlen(abaw_class_names[k]);

		if ((c != NULL) != (k < ABAW_CLASSES - 1))
			return 0;
		trim(&a, &end);
		if ((size_t)(end - a) != len || memcmp(a, abaw_class_names[k], len))
			return 0;
		s = c ? c + 1 : e;
	}
	return 1;
}

/* The label of the frame line [s, e), trimmed and not empty: -1 to 7, or
 * -2 when it is not a whole number in that range (why says which). */
static int label_of(const char *s, const char *e, const char **why)
{
	const char *p = s;
	int neg = *p == '-', v = 0;

	p += neg;
	if (p == e) {
		*why = "not a number";
		return -2;
	}
	for (; p < e; p++) {
		if (*p < '0' || *p > '9') {
			*why = "not a whole number (a class index 0 to 7, or -1 for no label)";
			return -2;
		}
		if (v < 100)
			v = v * 10 + (*p - '0');
	}
	v = neg ? -v : v;
	if (v < -1 || v >= ABAW_CLASSES) {
		*why = "a label outside -1 to 7";
		return -2;
	}
	return v;
}

int abaw_parse(struct abaw_labels *a, const char *buf, size_t len, char *err, size_t errn)
{
	const char *p = buf, *end = buf + len, *why = NULL;
	long line = 0, blank = 0;

	memset(a, 0, sizeof *a);
	if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))	/* a UTF-8 byte order mark */
		p += 3;
	/* no more labels than lines: each takes at least two bytes but the last */
	if (!(a->label = malloc(len / 2 + 1)))
		return ARPG_ENOMEM;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl ? nl : end, *s = p;
		int v;

		line++;
		p = nl ? nl + 1 : end;
		if (e > s && e[-1] == '\r')
			e--;
		trim(&s, &e);
		if (line == 1) {
			if (!header_ok(s, e)) {
				why = "the header is not the class names "
				      "Neutral,Anger,Disgust,Fear,Happiness,Sadness,Surprise,Other";
				break;
			}
			continue;
		}
		if (s == e) {
			blank = blank ? blank : line;
			continue;
		}
		if (blank) {
			line = blank;
			why = "an empty line among the frame labels";
			break;
		}
		if ((v = label_of(s, e, &why)) < -1)
			break;
		a->label[a->n++] = (signed char)v;
		a->labelled += v >= 0;
	}
	if (!why && line == 0)
		why = "empty: no header line";
	else if (!why && a->n == 0) {
		why = "no frame labels after the header";
		line = 2;
	}
	if (why) {
		abaw_labels_free(a);
		return arpg_errf(err, errn, ARPG_EFORMAT, "line %ld: %s", line, why);
	}
	return 0;
}

void abaw_labels_free(struct abaw_labels *a)
{
	free(a->label);
	memset(a, 0, sizeof *a);
}

int abaw_file_name(const char *name, char *video, size_t n, int *side)
{
	size_t len = strlen(name), stem;

	if (len < 5 || strcmp(name + len - 4, ".txt"))
		return ARPG_EINVAL;
	stem = len - 4;
	*side = 0;
	if (stem > 5 && !memcmp(name + stem - 5, "_left", 5))
		*side = 'l', stem -= 5;
	else if (stem > 6 && !memcmp(name + stem - 6, "_right", 6))
		*side = 'r', stem -= 6;
	if (stem == 0 || stem >= n)
		return ARPG_EINVAL;
	memcpy(video, name, stem);
	video[stem] = 0;
	return 0;
}

/* An annotation file is at most this large (a label line per frame: days
 * of video at 30 frames per second). */
#define ABAW_FILE_MAX ((size_t)256 << 20)

/* The split of the file at path: its nearest folder that names one, up to
 * and including the top folder, whose path is root_len bytes long. */
static const char *split_of_path(const char *path, size_t root_len)
{
	const char *end = strrchr(path, '/'), *start;

	while (end && end >= path + root_len - (root_len > 0)) {
		const char *s;
		char name[256];

		for (start = end; start > path && start[-1] != '/'; start--)
			;
		snprintf(name, sizeof name, "%.*s", (int)(end - start < 255 ? end - start : 255),
			 start);
		if ((s = split_within(name)))
			return s;
		if (start == path)
			break;
		end = start - 1;
	}
	return NULL;
}

/* A walk over the annotation folder. */
struct walk {
	struct abaw_index *ix;
	size_t cap, root_len;
	void (*bad)(void *ctx, const char *file, const char *detail);
	void *ctx;
};

/* Reads the annotation file at path (name base) into the index, or reports
 * it.  0 or ARPG_ENOMEM. */
static int take_file(struct walk *w, const char *path, const char *base)
{
	struct abaw_person p;
	char err[300], video[1024];
	void *buf;
	size_t len;
	int rc, side;

	if (abaw_file_name(base, video, sizeof video, &side) < 0)
		return 0;
	memset(&p, 0, sizeof p);
	if (!(p.split = split_of_path(path, w->root_len))) {
		w->bad(w->ctx, path, "no split in its folders' names: put it in a Train_Set or "
		       "Validation_Set folder");
		return 0;
	}
	if ((rc = arpg_read_file(path, ABAW_FILE_MAX, &buf, &len)) < 0) {
		if (rc == ARPG_ENOMEM)
			return rc;
		snprintf(err, sizeof err, "cannot read: %s", rc == ARPG_EIO ? strerror(errno) :
			 "larger than 256 MiB");
		w->bad(w->ctx, path, err);
		return 0;
	}
	rc = abaw_parse(&p.labels, buf, len, err, sizeof err);
	free(buf);
	if (rc == ARPG_EFORMAT) {
		w->bad(w->ctx, path, err);
		return 0;
	}
	if (rc < 0 || ARPG_GROW(w->ix->p, &w->cap, w->ix->n + 1) < 0 ||
	    !(p.video = strdup(video)) || !(p.path = strdup(path)) ||
	    !(p.stem = strndup(base, strlen(base) - 4))) {
		free(p.video);
		free(p.path);
		abaw_labels_free(&p.labels);
		return ARPG_ENOMEM;
	}
	p.side = side;
	w->ix->p[w->ix->n++] = p;
	return 0;
}

/* Walks dir (links followed, at most 16 folders deep: a link loop ends
 * there) in byte order.  0, ARPG_ENOMEM, or ARPG_EIO for the top folder. */
static int walk_dir(struct walk *w, const char *dir, int depth)
{
	struct dirent **ents;
	char path[4096];
	struct stat st;
	int i, k, rc = 0;

	if ((k = scandir(dir, &ents, NULL, alphasort)) < 0) {
		if (!depth)
			return ARPG_EIO;
		snprintf(path, sizeof path, "cannot open folder: %s", strerror(errno));
		w->bad(w->ctx, dir, path);
		return 0;
	}
	for (i = 0; i < k; i++) {
		const char *name = ents[i]->d_name;

		if (!rc && name[0] != '.' &&
		    (size_t)snprintf(path, sizeof path, "%s/%s", dir, name) < sizeof path &&
		    stat(path, &st) == 0) {
			if (S_ISDIR(st.st_mode) && depth < 16)
				rc = walk_dir(w, path, depth + 1);
			else if (S_ISREG(st.st_mode))
				rc = take_file(w, path, name);
		}
		free(ents[i]);
	}
	free(ents);
	return rc;
}

static void no_report(void *ctx, const char *file, const char *detail)
{
	(void)ctx, (void)file, (void)detail;
}

static int by_video_side(const void *a, const void *b)
{
	const struct abaw_person *x = a, *y = b;
	int c = strcmp(x->video, y->video);

	return c ? c : x->side - y->side;
}

static void person_free(struct abaw_person *p)
{
	free(p->video);
	free(p->path);
	free(p->stem);
	abaw_labels_free(&p->labels);
}

int abaw_index_read(struct abaw_index *ix, const char *dir,
		    void (*bad)(void *ctx, const char *file, const char *detail), void *ctx,
		    char *err, size_t errn)
{
	struct walk w = { ix, 0, strlen(dir), bad ? bad : no_report, ctx };
	struct stat st;
	size_t i, k;
	int rc;

	memset(ix, 0, sizeof *ix);
	if (stat(dir, &st) < 0)
		return arpg_errf(err, errn, errno == ENOENT ? ARPG_ENOENT : ARPG_EIO,
				 "cannot open: %s", strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return arpg_errf(err, errn, ARPG_EFORMAT, "not a folder: --annotations names "
				 "the folder of the annotation files (EXPR_Set)");
	if ((rc = walk_dir(&w, dir, 0)) < 0)
		arpg_errf(err, errn, rc, "%s", rc == ARPG_ENOMEM ? "out of memory" :
			  "cannot read the folder: check its permissions");
	else if (!ix->n)
		rc = arpg_errf(err, errn, ARPG_ENOENT, "no annotation file (NAME.txt with the "
			       "class names on its first line) in it");
	if (rc < 0) {
		abaw_index_free(ix);
		return rc;
	}
	qsort(ix->p, ix->n, sizeof *ix->p, by_video_side);
	/* one file per person: a copy elsewhere in the folder is left out */
	for (i = k = 0; i < ix->n; i++) {
		if (k && !by_video_side(&ix->p[k - 1], &ix->p[i])) {
			char detail[1200];

			snprintf(detail, sizeof detail, "annotates the same person as %s: left "
				 "out; remove one of them", ix->p[k - 1].path);
			w.bad(ctx, ix->p[i].path, detail);
			person_free(&ix->p[i]);
			continue;
		}
		ix->p[k++] = ix->p[i];
	}
	ix->n = k;
	return (int)(ix->n > 0x7fffffff ? 0x7fffffff : ix->n);
}

size_t abaw_index_find(const struct abaw_index *ix, const char *video, size_t *first)
{
	size_t lo = 0, hi = ix->n, n = 0;

	while (lo < hi) {	/* the first whose video is not below */
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(ix->p[mid].video, video) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = lo;
	while (lo + n < ix->n && !strcmp(ix->p[lo + n].video, video))
		n++;
	return n;
}

void abaw_index_free(struct abaw_index *ix)
{
	for (size_t i = 0; i < ix->n; i++)
		person_free(&ix->p[i]);
	free(ix->p);
	memset(ix, 0, sizeof *ix);
}
