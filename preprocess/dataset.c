/* dataset.c - layouts, clip ids, directory walks, archive streams, lists.
 * See dataset.h for the layouts and the id rule. */
#include "dataset.h"
#include "abaw.h"
#include "error.h"
#include "grow.h"
#include "manifest.h"
#include "text.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_ENTRY ((size_t)2 << 30)	/* a clip above 2 GiB is refused */
#define MAX_DEPTH 32
#define MAX_MISFITS 64			/* misfits kept while no clip fitted yet */

/* An id given out and the source it went to (for the collision message). */
struct given {
	char *id, *source;
};

struct dataset {
	enum layout layout;
	struct abaw_index *abaw;	/* affwild2's annotations */
	struct given *ids;	/* open-addressing set of the ids given out */
	size_t cap, n;
	long seq;
	int has_out;		/* out_dev/out_ino: the -o folder, never walked */
	dev_t out_dev;
	ino_t out_ino;
};

/* A folder walked in this input: loops and second visits are refused. */
struct seen_dir {
	dev_t dev;
	ino_t ino;
	char *path;
};

/* What one input's scan keeps: the sink, counts, misfits held back until a
 * clip fits (so that a wrong layout gives one message, not one per file). */
struct scan {
	struct dataset *ds;
	const struct dataset_sink *sink;
	const char *input, *base;	/* base: the input's file name, for the split */
	long found, fitted, *problems;
	char *misfit[MAX_MISFITS];	/* "object\tdetail" */
	int nmisfit;
	long misfits;
	char *real;			/* the input's real path (NULL: a list, memory) */
	struct seen_dir *seen;		/* folders walked (directories only) */
	size_t nseen, capseen;
	long links_out;			/* symbolic links that leave the input */
	char first_out[512];		/* "LINK -> TARGET" of the first */
	long unannotated;		/* affwild2: videos without an annotation */
	char first_unannotated[512];
};

static const char *const afew_labels[] = {
	"Angry", "Disgust", "Fear", "Happy", "Neutral", "Sad", "Surprise"
};

static const struct { const char *alias, *canon; } label_alias[] = {
	{ "angry", "Angry" }, { "anger", "Angry" }, { "an", "Angry" },
	{ "disgust", "Disgust" }, { "disgusted", "Disgust" }, { "di", "Disgust" },
	{ "fear", "Fear" }, { "fearful", "Fear" }, { "fe", "Fear" },
	{ "happy", "Happy" }, { "happiness", "Happy" }, { "ha", "Happy" },
	{ "neutral", "Neutral" }, { "ne", "Neutral" },
	{ "sad", "Sad" }, { "sadness", "Sad" }, { "sa", "Sad" },
	{ "surprise", "Surprise" }, { "surprised", "Surprise" }, { "su", "Surprise" },
};

int layout_parse(enum layout *l, const char *name)
{
	static const char *const names[] = { "afew", "rml", "dir", "list", "affwild2" };
	int i;

	for (i = 0; i < 5; i++)
		if (!strcmp(name, names[i])) {
			*l = (enum layout)i;
			return 0;
		}
	return ARPG_EINVAL;
}

const char *layout_name(enum layout l)
{
	static const char *const names[] = { "afew", "rml", "dir", "list", "affwild2" };

	return (unsigned)l < 5 ? names[l] : "?";
}

const char *label_canonical(const char *label)
{
	size_t i;

	for (i = 0; i < sizeof label_alias / sizeof *label_alias; i++)
		if (!strcasecmp(label, label_alias[i].alias))
			return label_alias[i].canon;
	return NULL;
}

/* The AFEW emotion a folder name is (exact names, any case), or NULL. */
static const char *afew_label(const char *s)
{
	int i;

	for (i = 0; i < 7; i++)
		if (!strcasecmp(s, afew_labels[i]))
			return afew_labels[i];
	return NULL;
}

/* "train", "val" or "test" for a split folder name, or NULL. */
static const char *split_exact(const char *s)
{
	if (!strcasecmp(s, "train"))
		return "train";
	if (!strcasecmp(s, "val") || !strcasecmp(s, "validation"))
		return "val";
	if (!strcasecmp(s, "test"))
		return "test";
	return NULL;
}

const char *split_within(const char *s)
{
	if (strcasestr(s, "train"))
		return "train";
	if (strcasestr(s, "val"))
		return "val";
	if (strcasestr(s, "test"))
		return "test";
	return NULL;
}

void clip_free(struct clip *c)
{
	if (!c)
		return;
	free(c->id);
	free(c->split);
	free(c->label);
	free(c->subject);
	free(c->source);
	free(c->input);
	free(c->entry);
	free(c->file);
	free(c->data);
	free(c->frame_labels);
	free(c->annotation);
	memset(c, 0, sizeof *c);
}

int dataset_new(struct dataset **ds, enum layout layout)
{
	if (!(*ds = calloc(1, sizeof **ds)))
		return ARPG_ENOMEM;
	(*ds)->layout = layout;
	return 0;
}

void dataset_free(struct dataset *ds)
{
	size_t i;

	if (!ds)
		return;
	for (i = 0; i < ds->cap; i++) {
		free(ds->ids[i].id);
		free(ds->ids[i].source);
	}
	free(ds->ids);
	free(ds);
}

static size_t hash(const char *s)
{
	size_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

void dataset_set_annotations(struct dataset *ds, struct abaw_index *ix)
{
	ds->abaw = ix;
}

int dataset_set_output(struct dataset *ds, const char *outdir)
{
	struct stat st;

	if (stat(outdir, &st) < 0)
		return ARPG_EIO;
	ds->has_out = 1;
	ds->out_dev = st.st_dev;
	ds->out_ino = st.st_ino;
	return 0;
}

/* Adds id (given to source) to the set; 1 if added, 0 if it was there
 * (*first: the source it went to), ARPG_ENOMEM. */
static int id_add(struct dataset *ds, const char *id, const char *source, const char **first)
{
	size_t i;

	if (2 * (ds->n + 1) > ds->cap) {
		size_t cap = ds->cap ? 2 * ds->cap : 256, j;
		struct given *ids = calloc(cap, sizeof *ids);

		if (!ids)
			return ARPG_ENOMEM;
		for (j = 0; j < ds->cap; j++)
			if (ds->ids[j].id) {
				for (i = hash(ds->ids[j].id) & (cap - 1); ids[i].id;
				     i = (i + 1) & (cap - 1))
					;
				ids[i] = ds->ids[j];
			}
		free(ds->ids);
		ds->ids = ids;
		ds->cap = cap;
	}
	for (i = hash(id) & (ds->cap - 1); ds->ids[i].id; i = (i + 1) & (ds->cap - 1))
		if (!strcmp(ds->ids[i].id, id)) {
			*first = ds->ids[i].source;
			return 0;
		}
	if (!(ds->ids[i].id = strdup(id)) || !(ds->ids[i].source = strdup(source))) {
		free(ds->ids[i].id);
		ds->ids[i].id = NULL;
		return ARPG_ENOMEM;
	}
	ds->n++;
	return 1;
}

/* Appends s to the id being built, mapping characters outside
 * [A-Za-z0-9.+-] to '_' and '/' to '-'. */
static void id_put(char *id, size_t n, size_t *at, const char *s)
{
	for (; *s && *at + 1 < n; s++) {
		unsigned char ch = (unsigned char)*s;

		id[(*at)++] = ch == '/' ? '-' :
			isalnum(ch) || ch == '.' || ch == '+' || ch == '-' ? (char)ch : '_';
	}
	id[*at] = 0;
}

/* Fields of a clip before it gets an id: pointers into the path's copy. */
struct fit {
	const char *split, *label, *subject;
	char stem[1024];
};

/* Joins comps[from..n) with '/' into stem, without the last one's extension. */
static void stem_of(struct fit *f, char **comps, int from, int n)
{
	size_t at = 0;
	char *dot;
	int i;

	f->stem[0] = 0;
	for (i = from; i < n; i++)
		at += (size_t)snprintf(f->stem + at, at < sizeof f->stem ? sizeof f->stem - at : 0,
				       "%s%s", i > from ? "/" : "", comps[i]);
	if (at >= sizeof f->stem)
		f->stem[sizeof f->stem - 1] = 0;
	dot = strrchr(f->stem, '.');
	if (dot && dot > f->stem && dot[-1] != '/' && !strchr(dot, '/'))
		*dot = 0;
}

static int is_subject(const char *s)
{
	if ((s[0] != 's' && s[0] != 'S') || !s[1])
		return 0;
	for (s++; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

/* Tries layout on a file at comps[0..n) (the last is the file name) of an
 * input named base.  0 with f filled, or ARPG_EMISMATCH with why. */
static int classify(enum layout layout, const char *base, char **comps, int n,
		    struct fit *f, const char **why)
{
	const char *s;
	char code[3];
	int i;

	memset(f, 0, sizeof *f);
	switch (layout) {
	case LAYOUT_AFEW:
		f->split = split_within(base);
		for (i = 0; i < n - 1 && !f->split; i++)
			f->split = split_within(comps[i]);
		if (!f->split) {
			*why = "no split in the name: expected Train, Val or Test in the archive's "
			       "or a folder's name (Train_AFEW.zip); rename it or use -l list";
			return ARPG_EMISMATCH;
		}
		/* the emotion folders as named, or a name that label_canonical
		 * knows (happiness, anger...), as arpg-preprocess(1) says */
		if (n >= 2 && ((f->label = afew_label(comps[n - 2])) ||
			       (f->label = label_canonical(comps[n - 2])))) {
			stem_of(f, comps, n - 1, n);
			return 0;
		}
		if (!strcmp(f->split, "test")) {
			f->label = "";
			stem_of(f, comps, n - 1, n);
			return 0;
		}
		*why = "not in an emotion folder (Angry Disgust Fear Happy Neutral Sad Surprise)";
		return ARPG_EMISMATCH;
	case LAYOUT_RML:
		for (i = n - 2; i >= 0 && !is_subject(comps[i]); i--)
			;
		if (i < 0) {
			*why = "not in a speaker folder s1, s2, ...";
			return ARPG_EMISMATCH;
		}
		f->subject = comps[i];
		snprintf(code, sizeof code, "%s", comps[n - 1]);
		if (strlen(code) < 2 || !(s = label_canonical(code)) || !strcmp(s, "Neutral")) {
			*why = "the file name does not begin with an emotion code "
			       "(an di fe ha sa su)";
			return ARPG_EMISMATCH;
		}
		f->label = s;
		f->split = "train";
		stem_of(f, comps, i + 1, n);
		return 0;
	case LAYOUT_DIR:
		if (n < 2 || split_exact(comps[n - 2])) {
			*why = "not in a label folder: expected ROOT/<split>/<label>/<clip> "
			       "or ROOT/<label>/<clip>";
			return ARPG_EMISMATCH;
		}
		f->split = n >= 3 && split_exact(comps[n - 3]) ? split_exact(comps[n - 3]) : "train";
		f->label = label_canonical(comps[n - 2]);
		if (!f->label)
			f->label = comps[n - 2];
		stem_of(f, comps, n - 1, n);
		return 0;
	case LAYOUT_LIST:
		break;
	case LAYOUT_AFFWILD2:
		*why = "not a video (.avi, .mp4, ...)";
		return ARPG_EMISMATCH;
	}
	*why = "the list layout takes a TSV file";
	return ARPG_EMISMATCH;
}

/* Splits a relative path (modified in place) into components, dropping
 * empty ones and "."; returns the count, -1 if too deep or has "..". */
static int split_path(char *p, char **comps)
{
	int n = 0;
	char *s, *save = NULL;

	for (s = strtok_r(p, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
		if (!strcmp(s, "."))
			continue;
		if (!strcmp(s, "..") || n == MAX_DEPTH)
			return -1;
		comps[n++] = s;
	}
	return n;
}

static int ignored(char **comps, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (comps[i][0] == '.' || !strcmp(comps[i], "__MACOSX"))
			return 1;
	return 0;
}

static void problem(struct scan *sc, const char *object, int code, const char *detail)
{
	(*sc->problems)++;
	if (sc->sink->problem)
		sc->sink->problem(sc->sink->ctx, object, code, detail);
}

/* Reports misfits held back, now that the layout is known to fit. */
static void flush_misfits(struct scan *sc)
{
	int i;

	for (i = 0; i < sc->nmisfit; i++) {
		char *tab = strchr(sc->misfit[i], '\t');

		char buf[4096];

		*tab = 0;
		snprintf(buf, sizeof buf, "does not fit layout %s: %s",
			 layout_name(sc->ds->layout), tab + 1);
		problem(sc, sc->misfit[i], ARPG_EFORMAT, buf);
		free(sc->misfit[i]);
	}
	sc->nmisfit = 0;
}

static void misfit(struct scan *sc, const char *object, const char *why)
{
	char buf[4096];

	sc->misfits++;
	snprintf(buf, sizeof buf, "does not fit layout %s: %s", layout_name(sc->ds->layout),
		 why);
	if (sc->fitted) {
		problem(sc, object, ARPG_EFORMAT, buf);
	} else if (sc->nmisfit < MAX_MISFITS) {
		size_t n = strlen(object) + strlen(why) + 2;
		char *m = malloc(n);

		if (m) {
			snprintf(m, n, "%s\t%s", object, why);
			sc->misfit[sc->nmisfit++] = m;
		}
	}
}

/* Makes the clip for a file at rel (a path inside the input) that fitted as
 * f; gives it a unique id and a sequence number. */
static int make_clip(struct scan *sc, const struct fit *f, const char *source,
		     struct clip *c)
{
	char id[1200], base[1200], note[4500];
	const char *first = NULL;
	size_t at = 0;
	int k, rc;

	memset(c, 0, sizeof *c);
	id_put(id, sizeof id, &at, f->split);
	id_put(id, sizeof id, &at, "_");
	id_put(id, sizeof id, &at, f->label);
	id_put(id, sizeof id, &at, "_");
	if (f->subject && *f->subject) {
		id_put(id, sizeof id, &at, f->subject);
		id_put(id, sizeof id, &at, "_");
	}
	id_put(id, sizeof id, &at, f->stem);
	if (at > ARPG_NAME_MAX - 8)	/* room for "~N" and ".tmp" */
		at = ARPG_NAME_MAX - 8;
	id[at] = 0;
	memcpy(base, id, at + 1);
	for (k = 2; (rc = id_add(sc->ds, id, source, &first)) == 0; k++)
		snprintf(id, sizeof id, "%.180s~%d", base, k);
	if (rc < 0)
		return rc;
	if (k > 2 && sc->sink->note) {
		/* a.avi and a.mkv: both kept, the later renamed, and said so */
		snprintf(note, sizeof note, "gives clip id %s, as %s does: named %s "
			 "(rename one of the files to choose)", base, first, id);
		sc->sink->note(sc->sink->ctx, source, note);
	}
	c->seq = sc->ds->seq++;
	if (!(c->id = strdup(id)) || !(c->split = strdup(f->split)) ||
	    !(c->label = strdup(f->label ? f->label : "")) ||
	    !(c->subject = strdup(f->subject ? f->subject : "")) ||
	    !(c->source = strdup(source))) {
		clip_free(c);
		return ARPG_ENOMEM;
	}
	return 0;
}

/* The name rule (common/text.h) where names enter: a label or subject that
 * breaks it is a problem of that file, reported; 0 or ARPG_EFORMAT. */
static int name_rule(struct scan *sc, const struct fit *f, const char *source)
{
	char why[160], detail[300];

	if (arpg_name_check(f->label ? f->label : "", ARPG_NAME_LABEL, why, sizeof why) < 0 ||
	    arpg_name_check(f->subject ? f->subject : "", ARPG_NAME_SUBJECT, why,
			    sizeof why) < 0) {
		snprintf(detail, sizeof detail, "%s: rename it (see IDS AND LABELS in "
			 "arpg-preprocess(1))", why);
		problem(sc, source, ARPG_EFORMAT, detail);
		return ARPG_EFORMAT;
	}
	return 0;
}

/* Whether a file name ends in a video extension. */
static int is_video_name(const char *name)
{
	static const char *const video[] = { ".avi", ".mp4", ".mkv", ".mov", ".webm",
					     ".mpg", ".mpeg", ".flv", ".wmv", ".m4v" };
	const char *dot = strrchr(name, '.');

	for (size_t i = 0; dot && i < sizeof video / sizeof *video; i++)
		if (!strcasecmp(dot, video[i]))
			return 1;
	return 0;
}

/* affwild2: the k-th annotated person of the video named comps[n - 1]:
 * fills f and *person and returns 0; 1 when there is none (k past the
 * last; a video without annotation is counted at k 0); ARPG_EMISMATCH
 * with why for a file that is not a video. */
static int affwild2_fit(struct scan *sc, char **comps, int n, int k, struct fit *f,
			struct abaw_person **person, const char **why)
{
	const char *name = comps[n - 1];
	char video[1024];
	size_t first, count;

	if (!is_video_name(name)) {
		*why = "not a video (.avi, .mp4, ...)";
		return ARPG_EMISMATCH;
	}
	snprintf(video, sizeof video, "%.*s", (int)(strrchr(name, '.') - name), name);
	count = sc->ds->abaw ? abaw_index_find(sc->ds->abaw, video, &first) : 0;
	if (!count && k == 0 && !sc->unannotated++)
		snprintf(sc->first_unannotated, sizeof sc->first_unannotated, "%s", name);
	if ((size_t)k >= count)
		return 1;
	*person = &sc->ds->abaw->p[first + (size_t)k];
	memset(f, 0, sizeof *f);
	f->split = (*person)->split;
	f->label = "";
	snprintf(f->stem, sizeof f->stem, "%s", (*person)->stem);
	return 0;
}

/* The annotated person p's labels and side onto clip c.  0 or ARPG_ENOMEM. */
static int attach_person(struct clip *c, struct abaw_person *p)
{
	if (!(c->frame_labels = malloc((size_t)p->labels.n)) ||
	    !(c->annotation = strdup(p->path)))
		return ARPG_ENOMEM;
	memcpy(c->frame_labels, p->labels.label, (size_t)p->labels.n);
	c->nlabels = p->labels.n;
	c->label_classes = ABAW_CLASS_LIST;
	c->side = p->side;
	p->matched = 1;
	return 0;
}

/* Classifies the file rel of the input for its k-th clip (k > 0: a video
 * of two annotated people, affwild2); on a fit, fills c and returns 1; 0 if
 * the file is ignored, does not fit (noted) or has no k-th clip;
 * ARPG_ENOMEM. */
static int consider(struct scan *sc, const char *rel, const char *source, struct clip *c, int k)
{
	char *copy, *comps[MAX_DEPTH];
	const char *why = NULL;
	struct abaw_person *person = NULL;
	struct fit f;
	int n, rc;

	if (k > 0 && sc->ds->layout != LAYOUT_AFFWILD2)
		return 0;
	if (!(copy = strdup(rel)))
		return ARPG_ENOMEM;
	n = split_path(copy, comps);
	if (n <= 0 || ignored(comps, n)) {
		free(copy);
		if (n < 0 && k == 0)
			misfit(sc, source, "a path with \"..\" or too deep");
		return 0;
	}
	sc->found += k == 0;
	rc = sc->ds->layout == LAYOUT_AFFWILD2 ? affwild2_fit(sc, comps, n, k, &f, &person, &why)
	     : classify(sc->ds->layout, sc->base, comps, n, &f, &why);
	if (rc) {
		if (rc < 0)
			misfit(sc, source, why);
		free(copy);
		return 0;
	}
	if (name_rule(sc, &f, source) < 0) {
		free(copy);
		return 0;
	}
	if (!sc->fitted++)
		flush_misfits(sc);
	rc = make_clip(sc, &f, source, c);
	if (rc == 0 && person && (rc = attach_person(c, person)) < 0)
		clip_free(c);
	free(copy);
	return rc < 0 ? rc : 1;
}

/* --- directories --- */

static int byte_order(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Hands a clip read from the file at path to the sink, unless the sink
 * does not want it.  Returns 0 or the sink's code; c is consumed either way. */
static int offer_file(struct scan *sc, struct clip *c, const char *path)
{
	if (sc->sink->want && !sc->sink->want(sc->sink->ctx, c)) {
		clip_free(c);
		return 0;
	}
	if (!(c->file = strdup(path))) {
		clip_free(c);
		return ARPG_ENOMEM;
	}
	return sc->sink->take(sc->sink->ctx, c);
}

/* The origin facts of a clip (clip.h): the input, the file's size and time. */
static int set_origin(struct scan *sc, struct clip *c, const char *entry, long long size,
		      long long sec, long nsec)
{
	c->size = size;
	c->mtime_ns = sec * 1000000000LL + nsec;
	if (!(c->input = strdup(sc->real ? sc->real : sc->input)) || !(c->entry = strdup(entry)))
		return ARPG_ENOMEM;
	return 0;
}

/* Does the folder hold a manifest.tsv that arpg-preprocess wrote (its
 * first line the manifest header)? */
static int is_output(const char *dir)
{
	static const char header[] = ARPG_MANIFEST_HEADER "\n";
	char path[4200], line[sizeof header];
	FILE *f;
	int yes;

	snprintf(path, sizeof path, "%s/manifest.tsv", dir);
	if (!(f = fopen(path, "r")))
		return 0;
	yes = fgets(line, sizeof line, f) && !strcmp(line, header);
	fclose(f);
	return yes;
}

/* Is the folder (st) one to walk?  Not the -o folder (its crops are not
 * clips), not a folder met before in this input (a symbolic link loop or a
 * second way to the same folder would invent clips and classes): those are
 * noted and skipped.  1 to walk, 0 to skip, ARPG_ENOMEM. */
static int dir_to_walk(struct scan *sc, const char *path, const struct stat *st)
{
	struct seen_dir *d;
	char note[4500];
	size_t i;

	if (sc->ds->has_out && st->st_dev == sc->ds->out_dev && st->st_ino == sc->ds->out_ino) {
		if (sc->sink->note)
			sc->sink->note(sc->sink->ctx, path, "the output folder (-o) is inside the "
				       "input: skipped, its crops are not clips");
		return 0;
	}
	if (is_output(path)) {
		if (sc->sink->note)
			sc->sink->note(sc->sink->ctx, path, "an output folder of arpg-preprocess "
				       "(it holds its manifest.tsv): skipped, its crops are not clips");
		return 0;
	}
	for (i = 0; i < sc->nseen; i++)
		if (sc->seen[i].dev == st->st_dev && sc->seen[i].ino == st->st_ino) {
			snprintf(note, sizeof note, "the same folder as %s (through a symbolic "
				 "link): not walked again", sc->seen[i].path);
			if (sc->sink->note)
				sc->sink->note(sc->sink->ctx, path, note);
			return 0;
		}
	if (ARPG_GROW(sc->seen, &sc->capseen, sc->nseen + 1) < 0)
		return ARPG_ENOMEM;
	d = &sc->seen[sc->nseen];
	d->dev = st->st_dev;
	d->ino = st->st_ino;
	if (!(d->path = strdup(path)))
		return ARPG_ENOMEM;
	sc->nseen++;
	return 1;
}

/* A symbolic link at path: counted when its target lies outside the input
 * (followed all the same; the count is noted at the end of the input). */
static void link_out(struct scan *sc, const char *path)
{
	char *target = sc->real ? realpath(path, NULL) : NULL;
	size_t n = sc->real ? strlen(sc->real) : 0;

	if (target && !(strncmp(target, sc->real, n) == 0 &&
			(target[n] == '/' || target[n] == 0 || n == 1))) {
		if (!sc->links_out++)
			snprintf(sc->first_out, sizeof sc->first_out, "%.240s -> %.240s", path,
				 target);
	}
	free(target);
}

static int walk(struct scan *sc, const char *dir, const char *rel, int depth)
{
	struct dirent **ents = NULL;
	char path[4096], relp[4096], detail[512];
	struct stat st, lst;
	int i, k, rc = 0;

	if ((k = scandir(dir, &ents, NULL, byte_order)) < 0) {
		snprintf(detail, sizeof detail, "cannot open folder: %s: check its permissions",
			 strerror(errno));
		problem(sc, dir, ARPG_EIO, detail);
		return 0;
	}
	for (i = 0; i < k; i++) {
		const char *name = ents[i]->d_name;
		struct clip c;

		if (rc < 0 || name[0] == '.' || !strcmp(name, "__MACOSX"))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, name);
		snprintf(relp, sizeof relp, "%s%s%s", rel, *rel ? "/" : "", name);
		if (stat(path, &st) < 0) {
			int e = errno, dangling = e == ENOENT && lstat(path, &lst) == 0;

			snprintf(detail, sizeof detail, e == ELOOP ? "a symbolic link loop: not "
				 "followed: remove the link" : dangling ? "a symbolic link to a "
				 "missing file: fix or remove it" : "cannot read: %s: fix or "
				 "remove it", strerror(e));
			problem(sc, path, e == ELOOP || dangling ? ARPG_EFORMAT : ARPG_EIO, detail);
			continue;
		}
		if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode))
			link_out(sc, path);
		if (S_ISDIR(st.st_mode)) {
			if ((rc = dir_to_walk(sc, path, &st)) == 1 && depth < MAX_DEPTH)
				rc = walk(sc, path, relp, depth + 1);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		/* one clip per file, but one per annotated person (affwild2) */
		for (int kth = 0; rc >= 0 && (rc = consider(sc, relp, path, &c, kth)) > 0; kth++) {
			if ((rc = set_origin(sc, &c, relp, (long long)st.st_size,
					     (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec)) < 0) {
				clip_free(&c);
				break;
			}
			rc = offer_file(sc, &c, path);
		}
	}
	for (i = 0; i < k; i++)
		free(ents[i]);
	free(ents);
	return rc;
}

/* --- archives --- */

/* Reads the current entry's data into c (or skips it when unwanted).
 * 0 on success, 1 if the entry is damaged (reported), ARPG_EFORMAT if the
 * archive cannot go on, ARPG_ENOMEM. */
static int read_entry(struct scan *sc, struct archive *a, struct archive_entry *e,
		      struct clip *c)
{
	size_t cap = 0, n = 0;
	la_ssize_t got;
	char *buf = NULL, detail[512];

	if (archive_entry_size_is_set(e) && archive_entry_size(e) >= 0) {
		if ((size_t)archive_entry_size(e) > MAX_ENTRY) {
			problem(sc, c->source, ARPG_ERANGE, "entry larger than 2 GiB: skipped");
			return 1;
		}
		cap = (size_t)archive_entry_size(e) + 1;
	}
	for (;;) {
		if (n == cap) {
			char *nb;

			if (cap >= MAX_ENTRY) {
				free(buf);
				problem(sc, c->source, ARPG_ERANGE, "entry larger than 2 GiB: skipped");
				return 1;
			}
			cap = cap ? 2 * cap : 1 << 20;
			if (!(nb = realloc(buf, cap))) {
				free(buf);
				return ARPG_ENOMEM;
			}
			buf = nb;
		} else if (!buf && !(buf = malloc(cap))) {
			return ARPG_ENOMEM;
		}
		got = archive_read_data(a, buf + n, cap - n);
		if (got == 0)
			break;
		if (got < 0) {
			free(buf);
			snprintf(detail, sizeof detail, "damaged archive entry: %s: re-download "
				 "the archive or check it with '7z t'", archive_error_string(a) ?
				 archive_error_string(a) : "read error");
			problem(sc, c->source, ARPG_EFORMAT, detail);
			return got == ARCHIVE_FATAL ? ARPG_EFORMAT : 1;
		}
		n += (size_t)got;
	}
	c->data = buf;
	c->len = n;
	return 0;
}

/* The message for an input that is neither a folder nor an archive; a
 * plain video gets a hint, as it is the usual mistake. */
static int not_archive(const char *input, struct archive *a, char *err, size_t errn)
{
	if (is_video_name(input))
		return arpg_errf(err, errn, ARPG_EFORMAT, "a video, not a folder or an "
				 "archive: an input is a dataset; give the folder that "
				 "holds the video (-l dir: ROOT/<label>/<clip>), or list "
				 "it in a TSV file (-l list)");
	return arpg_errf(err, errn, ARPG_EFORMAT, "not a folder or an archive (zip, tar, "
			 "tar.gz, tar.xz, 7z): %s", archive_error_string(a) ?
			 archive_error_string(a) : "?");
}

/* The clips of the archive entry e (name, source): first, already made,
 * and the other annotated people of its video (affwild2), each with a copy
 * of the entry's data, read once if any is wanted.  0, ARPG_EFORMAT (the
 * archive cannot go on), ARPG_ENOMEM or the sink's code. */
static int entry_clips(struct scan *sc, struct archive *a, struct archive_entry *e,
		       struct clip *first, const char *name, const char *source)
{
	struct clip cl[4];
	int n = 0, k, kw, rc = 0, want[4] = { 0 }, gone[4] = { 0 };

	cl[n++] = *first;
	while (n < 4 && (rc = consider(sc, name, source, &cl[n], n)) > 0)
		n++;
	for (k = 0; k < n && rc >= 0; k++)
		if ((rc = set_origin(sc, &cl[k], name, archive_entry_size_is_set(e) ?
				     (long long)archive_entry_size(e) : -1,
				     (long long)archive_entry_mtime(e),
				     archive_entry_mtime_nsec(e))) >= 0)
			want[k] = !sc->sink->want || sc->sink->want(sc->sink->ctx, &cl[k]);
	for (kw = 0; kw < n && !want[kw]; kw++)
		;
	if (rc < 0 || kw == n)
		goto out;
	/* the entry's data, read once into the first clip wanted, copied to
	 * the others */
	if ((rc = read_entry(sc, a, e, &cl[kw])) != 0) {
		rc = rc == 1 ? 0 : rc;	/* 1: damaged, reported */
		goto out;
	}
	for (k = kw + 1; k < n && rc >= 0; k++) {
		if (!want[k])
			continue;
		if (!(cl[k].data = malloc(cl[kw].len ? cl[kw].len : 1)))
			rc = ARPG_ENOMEM;
		else
			memcpy(cl[k].data, cl[kw].data, cl[k].len = cl[kw].len);
	}
	for (k = 0; k < n && rc >= 0; k++)
		if (want[k]) {
			gone[k] = 1;	/* the sink owns it, even when it fails */
			rc = sc->sink->take(sc->sink->ctx, &cl[k]);
		}
out:
	for (k = 0; k < n; k++)
		if (!gone[k])
			clip_free(&cl[k]);
	return rc;
}

static int scan_archive(struct scan *sc, struct archive *a, char *err, size_t errn)
{
	struct archive_entry *e;
	char source[4096], detail[4600];
	int r, rc = 0;

	while ((r = archive_read_next_header(a, &e)) != ARCHIVE_EOF) {
		struct clip c;
		const char *name, *link;

		if (r == ARCHIVE_FATAL || r == ARCHIVE_RETRY) {
			if (!sc->found && !sc->misfits)
				return not_archive(sc->input, a, err, errn);
			return arpg_errf(err, errn, ARPG_EFORMAT, "damaged archive after %ld "
					 "entries: %s: re-download it or check it with '7z t'",
					 sc->found, archive_error_string(a) ? archive_error_string(a) :
					 "read error");
		}
		if (r == ARCHIVE_FAILED)
			continue;
		name = archive_entry_pathname(e);
		link = archive_entry_hardlink(e);
		if (!link && archive_entry_filetype(e) == AE_IFLNK)
			link = archive_entry_symlink(e);
		if (!name || (archive_entry_filetype(e) != AE_IFREG && !link))
			continue;
		snprintf(source, sizeof source, "%s:%s", sc->input, name);
		if ((rc = consider(sc, name, source, &c, 0)) < 0)
			return rc;
		if (rc == 0)
			continue;
		if (link) {
			/* a link entry holds no data; a stream cannot go back for its
			 * target: the clip is reported, never dropped in silence */
			snprintf(detail, sizeof detail, "a %s link to %s: archives are read as a "
				 "stream and links in them are not followed: extract the archive "
				 "and give the folder", archive_entry_hardlink(e) ? "hard" :
				 "symbolic", link);
			problem(sc, source, ARPG_EUNSUPPORTED, detail);
			clip_free(&c);
			continue;
		}
		if ((rc = entry_clips(sc, a, e, &c, name, source)) < 0)
			return rc == ARPG_EFORMAT ? arpg_errf(err, errn, rc, "damaged archive: "
							      "reading stopped after %ld entries",
							      sc->found) : rc;
	}
	return 0;
}

static struct archive *archive_new(void)
{
	struct archive *a = archive_read_new();

	if (a) {
		archive_read_support_filter_all(a);
		archive_read_support_format_all(a);
	}
	return a;
}

/* --- lists --- */

static int scan_list(struct scan *sc, FILE *f, const char *dir, char *err, size_t errn)
{
	char *line = NULL, *field[5], *s, object[4200], path[4096];
	struct stat st;
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;
	int nf, rc = 0;

	while (rc >= 0 && (len = getline(&line, &cap, f)) >= 0) {
		struct clip c;
		struct fit fi;
		const char *why = NULL;

		lineno++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		if (!len || line[0] == '#' || (lineno == 1 && !strncasecmp(line, "path", 4)))
			continue;
		snprintf(object, sizeof object, "%s:%ld", sc->input, lineno);
		sc->found++;
		for (nf = 0, s = line; nf < 5; nf++) {
			field[nf] = s;
			if (!(s = strchr(s, '\t'))) {
				nf++;
				break;
			}
			*s++ = 0;
		}
		memset(&fi, 0, sizeof fi);
		if (nf < 3 || nf > 4 || s) {
			why = "expected 4 tab-separated fields: path label split subject";
		} else if (!field[0][0]) {
			why = "empty path";
		} else if (!(fi.split = split_exact(field[2]))) {
			why = "split must be train, val or test";
		}
		if (why) {
			misfit(sc, object, why);
			continue;
		}
		fi.label = label_canonical(field[1]) ? label_canonical(field[1]) : field[1];
		fi.subject = nf > 3 ? field[3] : "";
		if (name_rule(sc, &fi, object) < 0)
			continue;
		if (field[0][0] == '/' || !dir)
			snprintf(path, sizeof path, "%s", field[0]);
		else
			snprintf(path, sizeof path, "%s/%s", dir, field[0]);
		s = strrchr(field[0], '/');
		stem_of(&fi, &field[0], 0, 1);
		if (s) {
			char tmp[1024];

			snprintf(tmp, sizeof tmp, "%s", s + 1);
			s = tmp;
			stem_of(&fi, &s, 0, 1);
		}
		if (!sc->fitted++)
			flush_misfits(sc);
		if ((rc = make_clip(sc, &fi, path, &c)) < 0)
			break;
		/* a file that cannot be stat'd fails later, when it is read */
		if (stat(path, &st) < 0)
			memset(&st, 0, sizeof st);
		if ((rc = set_origin(sc, &c, field[0], (long long)st.st_size,
				     (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec)) < 0) {
			clip_free(&c);
			break;
		}
		rc = offer_file(sc, &c, path);
	}
	if (rc >= 0 && ferror(f))
		rc = arpg_errf(err, errn, ARPG_EIO, "read error: %s", strerror(errno));
	free(line);
	return rc;
}

/* --- one input --- */

/* The layout that fits most of the misfits held back, for the hint. */
static const char *guess_layout(struct scan *sc)
{
	static const enum layout try[] = { LAYOUT_AFEW, LAYOUT_RML, LAYOUT_DIR };
	int i, j, best = -1, bestn = 0;

	for (j = 0; j < 3; j++) {
		int fits = 0;

		if (try[j] == sc->ds->layout)
			continue;
		for (i = 0; i < sc->nmisfit; i++) {
			char *copy = strdup(sc->misfit[i]), *comps[MAX_DEPTH], *rel, *tab;
			const char *why;
			struct fit f;
			int n;

			if (!copy)
				continue;
			tab = strchr(copy, '\t');
			*tab = 0;
			rel = strrchr(copy, ':');	/* archive entries: "X.zip:a/b" */
			rel = rel ? rel + 1 : copy;
			if (rel == copy && !strncmp(copy, sc->input, strlen(sc->input)))
				rel = copy + strlen(sc->input);
			n = split_path(rel, comps);
			if (n > 0 && classify(try[j], sc->base, comps, n, &f, &why) == 0)
				fits++;
			free(copy);
		}
		/* dir fits almost anything: prefer the specific layouts on a tie */
		if (fits > bestn) {
			best = j;
			bestn = fits;
		}
	}
	return best < 0 ? NULL : layout_name(try[best]);
}

static int finish(struct scan *sc, int rc, char *err, size_t errn)
{
	int i;

	if (rc >= 0 && !sc->fitted && sc->misfits) {
		const char *guess = guess_layout(sc);
		char *tab = sc->nmisfit ? strchr(sc->misfit[0], '\t') : NULL;

		rc = arpg_errf(err, errn, ARPG_EFORMAT, "no file fits layout %s (%ld files; "
			       "first: %.*s): %s%s", layout_name(sc->ds->layout), sc->misfits,
			       tab ? (int)(tab - sc->misfit[0]) : 1, tab ? sc->misfit[0] : "?",
			       tab ? tab + 1 : "", guess ? "; try -l " : "");
		if (guess)
			snprintf(err + strlen(err), errn - strlen(err), "%s", guess);
	} else if (rc >= 0 && !sc->found) {
		rc = arpg_errf(err, errn, ARPG_ENOENT, "no clips found in it: check the path and -l");
	}
	/* a batch may hold no video of this task: said, not failed (the
	 * annotations no input had a video for are the run's to report) */
	if (rc >= 0 && sc->unannotated && sc->sink->note) {
		char note[800];

		snprintf(note, sizeof note, "%s%ld video%s without an annotation file (first: "
			 "%s): skipped; the release's videos serve several tasks, and a task's "
			 "annotations cover some of them", sc->fitted ? "" : "no video of it has "
			 "an annotation: ", sc->unannotated, sc->unannotated > 1 ? "s" : "",
			 sc->first_unannotated);
		sc->sink->note(sc->sink->ctx, sc->input, note);
	}
	if (sc->links_out && sc->sink->note) {
		char note[700];

		snprintf(note, sizeof note, "%ld symbolic link%s lead%s out of the input "
			 "(first: %s): followed, as every link to a file or a folder is",
			 sc->links_out, sc->links_out > 1 ? "s" : "", sc->links_out > 1 ? "" : "s",
			 sc->first_out);
		sc->sink->note(sc->sink->ctx, sc->input, note);
	}
	for (i = 0; i < sc->nmisfit; i++)
		free(sc->misfit[i]);
	sc->nmisfit = 0;
	for (i = 0; i < (int)sc->nseen; i++)
		free(sc->seen[i].path);
	free(sc->seen);
	free(sc->real);
	return rc < 0 ? rc : (int)(sc->fitted > 0x7fffffff ? 0x7fffffff : sc->fitted);
}

int dataset_scan(struct dataset *ds, const char *input,
		      const struct dataset_sink *sink, long *problems,
		      char *err, size_t errn)
{
	struct scan sc = { .ds = ds, .sink = sink, .input = input, .problems = problems };
	struct archive *a = NULL;
	struct stat st;
	char trimmed[4096];
	int rc = 0;

	if (err && errn)
		err[0] = 0;
	snprintf(trimmed, sizeof trimmed, "%s", input);
	while (strlen(trimmed) > 1 && trimmed[strlen(trimmed) - 1] == '/')
		trimmed[strlen(trimmed) - 1] = 0;
	sc.base = strrchr(trimmed, '/') ? strrchr(trimmed, '/') + 1 : trimmed;

	if (ds->layout == LAYOUT_LIST) {
		FILE *f;
		char *dir = NULL, *slash;

		if (!strcmp(input, "-"))
			return finish(&sc, scan_list(&sc, stdin, NULL, err, errn), err, errn);
		if (stat(input, &st) == 0 && S_ISDIR(st.st_mode))
			return arpg_errf(err, errn, ARPG_EFORMAT, "is a folder: -l list takes a TSV "
					 "file (path label split subject); try -l dir");
		if (!(f = fopen(input, "r")))
			return arpg_errf(err, errn, errno == ENOENT ? ARPG_ENOENT : ARPG_EIO,
					 "cannot open: %s", strerror(errno));
		if ((slash = strrchr(trimmed, '/')) && (dir = strdup(trimmed)))
			dir[slash - trimmed] = 0;
		if (slash && slash == trimmed && dir)
			strcpy(dir, "/");
		rc = scan_list(&sc, f, dir, err, errn);
		free(dir);
		fclose(f);
		return finish(&sc, rc, err, errn);
	}
	if (stat(input, &st) < 0)
		return arpg_errf(err, errn, errno == ENOENT ? ARPG_ENOENT : ARPG_EIO,
				 "cannot open: %s", strerror(errno));
	sc.real = realpath(input, NULL);
	if (S_ISDIR(st.st_mode)) {
		if ((rc = dir_to_walk(&sc, trimmed, &st)) == 1)
			rc = walk(&sc, trimmed, "", 0);
		return finish(&sc, rc, err, errn);
	}
	if (!(a = archive_new()))
		return ARPG_ENOMEM;
	if (archive_read_open_filename(a, input, 1 << 16) != ARCHIVE_OK)
		rc = archive_errno(a) == EILSEQ ?	/* libarchive: not an archive */
		     not_archive(input, a, err, errn)
		   : arpg_errf(err, errn, ARPG_EIO, "cannot open: %s",
			       archive_error_string(a) ? archive_error_string(a) : "?");
	else
		rc = scan_archive(&sc, a, err, errn);
	archive_read_free(a);
	return finish(&sc, rc, err, errn);
}

int dataset_scan_memory(struct dataset *ds, const char *name, const void *buf,
			     size_t len, const struct dataset_sink *sink, long *problems,
			     char *err, size_t errn)
{
	struct scan sc = { .ds = ds, .sink = sink, .input = name, .base = name,
			   .problems = problems };
	struct archive *a = archive_new();
	int rc;

	if (!a)
		return ARPG_ENOMEM;
	if (archive_read_open_memory(a, buf, len) != ARCHIVE_OK)
		rc = arpg_errf(err, errn, ARPG_EFORMAT, "not an archive: %s",
			       archive_error_string(a) ? archive_error_string(a) : "?");
	else
		rc = scan_archive(&sc, a, err, errn);
	archive_read_free(a);
	return finish(&sc, rc, err, errn);
}
