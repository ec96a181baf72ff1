/* abaw.c - Aff-Wild2's expression annotation files (see abaw.h). */
#include "abaw.h"
#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
