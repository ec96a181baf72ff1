/* plan.c - a model's settings as the other programs' options (see plan.h). */
#include "config.h"
#include "plan.h"
#include "error.h"

#include <errno.h>
#include <sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How a preprocess setting becomes options: the option, and when it is
 * given (always; when the value is not "0"; only a flag when the value is
 * "1"; a file unless the value is "default"). */
enum when { ALWAYS, NONZERO, FLAG_IF_1, FLAG_IF_0, FILE_UNLESS_DEFAULT };

static const struct setting {
	const char *key, *option;
	enum when when;
} SETTINGS[] = {
	{ "size", "--size", ALWAYS },
	{ "fps", "--fps", NONZERO },
	{ "max-frames", "--max-frames", NONZERO },
	{ "align", "--no-align", FLAG_IF_0 },
	{ "detector", "--detector", ALWAYS },
	{ "det-size", "--det-size", NONZERO },
	{ "det-score", "--det-score", NONZERO },
	{ "landmarks", "--landmarks", FILE_UNLESS_DEFAULT },
	{ "smooth", "--smooth", ALWAYS },
	{ "cascade", "--cascade", FILE_UNLESS_DEFAULT },
	{ "equalize", "--equalize", FLAG_IF_1 },
	{ "scale-factor", "--scale-factor", ALWAYS },
	{ "min-neighbors", "--min-neighbors", ALWAYS },
	{ "min-size", "--min-size", ALWAYS },
};

int plan_preprocess(struct args *a, const char *settings, char *err, size_t errn)
{
	char *copy = strdup(settings), *word, *save = NULL;
	int rc = 0;

	if (!copy)
		return ARPG_ENOMEM;
	for (word = strtok_r(copy, " ", &save); word && !rc; word = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(word, '=');
		const struct setting *s = NULL;

		if (eq) {
			*eq = 0;
			for (size_t i = 0; i < sizeof SETTINGS / sizeof *SETTINGS; i++)
				if (!strcmp(SETTINGS[i].key, word))
					s = &SETTINGS[i];
		}
		if (!s) {
			rc = arpg_errf(err, errn, ARPG_EFORMAT, "'%s' is not a preprocess setting "
				       "this arpg-predict knows (KEY=VALUE, as origin.tsv has them)",
				       word);
			break;
		}
		switch (s->when) {
		case ALWAYS: args_opt(a, s->option, eq + 1); break;
		case NONZERO:
			if (strtod(eq + 1, NULL) != 0)
				args_opt(a, s->option, eq + 1);
			break;
		case FLAG_IF_1:
			if (!strcmp(eq + 1, "1"))
				args_add(a, s->option);
			break;
		case FLAG_IF_0:
			if (!strcmp(eq + 1, "0"))
				args_add(a, s->option);
			break;
		case FILE_UNLESS_DEFAULT:
			if (strcmp(eq + 1, "default"))
				args_opt(a, s->option, eq + 1);
			break;
		}
	}
	free(copy);
	return rc;
}

/* The value of cache.KEY in settings, or NULL with err set. */
static const char *need(const struct arpg_kv *settings, const char *key, char *err, size_t errn)
{
	char k[64];
	const char *v;

	snprintf(k, sizeof k, "cache.%s", key);
	if (!(v = arpg_kv_get(settings, k)) || !*v)
		arpg_errf(err, errn, ARPG_EFORMAT, "the model's settings lack %s", k);
	return v && *v ? v : NULL;
}

/* cache.input's normalisation ("rgb 112x112 mean=M,M,M std=S,S,S") as
 * --bgr, --mean and --std; "grey ..." (hog) needs none. */
static int plan_input(struct args *a, const char *input, char *err, size_t errn)
{
	char *copy = strdup(input), *word, *save = NULL;
	int rc = 0;

	if (!copy)
		return ARPG_ENOMEM;
	for (word = strtok_r(copy, " ", &save); word; word = strtok_r(NULL, " ", &save))
		if (!strcmp(word, "bgr"))
			args_add(a, "--bgr");
		else if (!strncmp(word, "mean=", 5))
			args_opt(a, "--mean", word + 5);
		else if (!strncmp(word, "std=", 4))
			args_opt(a, "--std", word + 4);
		else if (strcmp(word, "rgb") && strcmp(word, "grey") && !strchr(word, 'x'))
			rc = arpg_errf(err, errn, ARPG_EFORMAT, "cache.input '%s': '%s' is not "
				       "known to this arpg-predict", input, word);
	free(copy);
	return rc;
}

int plan_features(struct args *a, const struct arpg_kv *settings, const char *backbone,
		  char *err, size_t errn)
{
	const char *frames, *dtype, *node, *input, *grid, *name;

	if (!(name = need(settings, "backbone", err, errn)) ||
	    !(frames = need(settings, "frames", err, errn)) ||
	    !(dtype = need(settings, "dtype", err, errn)) ||
	    !(node = need(settings, "patch_node", err, errn)) ||
	    !(input = need(settings, "input", err, errn)))
		return ARPG_EFORMAT;
	if (!(grid = arpg_kv_get(settings, "model.G")))
		return arpg_errf(err, errn, ARPG_EFORMAT, "the model's settings lack model.G");
	args_opt(a, "-b", backbone);
	args_opt(a, "--grid", grid);
	args_opt(a, "--frames", frames);
	args_opt(a, "--dtype", dtype);
	if (strcmp(name, "hog"))	/* hog has one patch node, and no option for it */
		args_opt(a, "--patch-node", node);
	/* a tuned model (arpg-train --tune-backbone) computes its appearance
	 * vectors from the stride-8 maps, as it was trained */
	if (arpg_kv_get(settings, "tune.backbone_sha256")) {
		const char *maps = arpg_kv_get(settings, "cache.maps");
		char opt[32];

		if (!maps || (strcmp(maps, "f16") && strcmp(maps, "f32")))
			return arpg_errf(err, errn, ARPG_EFORMAT, "the model is tuned "
					 "(--tune-backbone) but its settings lack cache.maps");
		snprintf(opt, sizeof opt, "--maps=%s", maps);
		args_add(a, opt);
	}
	return plan_input(a, input, err, errn);
}

int plan_sha256(const char *path, char hex[65])
{
	return SHA256File(path, hex) ? 0 : ARPG_EIO;
}
