/* origin.c - OUT/<clip_id>/origin.tsv (see origin.h). */
#include "origin.h"
#include "error.h"
#include "fileio.h"
#include "origin_tsv.h"
#include "text.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define ORIGIN_FORMAT "arpg-preprocess origin 1"

/* The file's text for c (malloc'd) or NULL. */
static char *origin_text(const struct clip *c, const char *settings)
{
	char input[4200], source[4200], set[2200], ann[4200] = "", *s;
	uint64_t h = 1469598103934665603ull;	/* FNV-1a of the labels */
	size_t n;

	arpg_escape(input, sizeof input, c->input ? c->input : "");
	arpg_escape(source, sizeof source, c->entry ? c->entry : "");
	arpg_escape(set, sizeof set, settings);
	if (c->annotation) {	/* its real path: a rerun from elsewhere is the same */
		char *real = realpath(c->annotation, NULL);

		arpg_escape(ann, sizeof ann, real ? real : c->annotation);
		free(real);
	}
	n = strlen(input) + strlen(source) + strlen(set) + strlen(ann) + 300;
	if (!(s = malloc(n)))
		return NULL;
	snprintf(s, n, "format\t" ORIGIN_FORMAT "\ninput\t%s\nentry\t%s\nsize\t%lld\n"
		 "mtime_ns\t%lld\nsettings\t%s\n", input, source, c->size, c->mtime_ns, set);
	if (c->annotation) {
		for (long i = 0; i < c->nlabels; i++)
			h = (h ^ (uint8_t)c->frame_labels[i]) * 1099511628211ull;
		snprintf(s + strlen(s), n - strlen(s), "annotation\t%s\nlabels\t%ld %016llx\n",
			 ann, c->nlabels, (unsigned long long)h);
	}
	return s;
}

int origin_write(const char *dir, const struct clip *c, const char *settings)
{
	char path[4300], *text = origin_text(c, settings);
	FILE *f;
	int rc = 0;

	if (!text)
		return ARPG_ENOMEM;
	snprintf(path, sizeof path, "%s/origin.tsv", dir);
	if (!(f = fopen(path, "w")))
		rc = ARPG_EIO;
	else if ((fputs(text, f) == EOF) | fclose(f))
		rc = errno == ENOSPC ? ARPG_EFULL : ARPG_EIO;
	free(text);
	return rc;
}

enum origin_verdict origin_check(const char *dir, const struct clip *c, const char *settings,
				 char *old, size_t oldn)
{
	char *have = arpg_origin_read(dir), *want, input[4200], mine[4200];
	enum origin_verdict v;
	struct stat st;

	old[0] = 0;
	if (!have)
		return ORIGIN_NONE;
	want = origin_text(c, settings);
	arpg_origin_value(have, "entry", old, oldn);
	if (want && !strcmp(have, want)) {
		v = ORIGIN_SAME;
	} else {
		/* this run's enumeration decides for its own inputs, and for
		 * inputs that are gone; a clip of another input that still
		 * exists is not replaced */
		arpg_origin_value(have, "input", input, sizeof input);
		arpg_escape(mine, sizeof mine, c->input ? c->input : "");
		v = !strcmp(input, mine) || stat(input, &st) < 0 ? ORIGIN_CHANGED : ORIGIN_FOREIGN;
	}
	free(want);
	free(have);
	return v;
}
