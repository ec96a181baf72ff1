/* runlog.c - arpg-train's JSON lines into struct rl_log (see runlog.h). */
#include "config.h"

#include "runlog.h"

#include "error.h"
#include "grow.h"

#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int get_int(json_object *o, const char *key, int deflt)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return deflt;
	return json_object_get_int(v);
}

/* A number; NaN if absent or not a number. */
static double get_num(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
		return NAN;
	return json_object_get_double(v);
}

static char *settings_string(json_object *o)
{
	json_object *s;

	if (!json_object_object_get_ex(o, "settings", &s) || !json_object_is_type(s, json_type_object))
		return strdup("{}");
	return strdup(json_object_to_json_string_ext(s, JSON_C_TO_STRING_PLAIN));
}

static int add_point(struct rl_log *log, json_object *o, int line, char *err, size_t errn)
{
	json_object *sp;
	const char *split;
	struct rl_series *s = NULL;
	struct rl_point *p;
	int run = get_int(o, "run", 1), fold = get_int(o, "fold", 0), k, i;

	json_object_object_get_ex(o, "split", &sp);
	if (!(split = json_object_get_string(sp)))
		return arpg_errf(err, errn, ARPG_EFORMAT, "line %d: \"split\" is null", line);
	if (!strcmp(split, "train"))
		k = 0;
	else if (!strcmp(split, "val"))
		k = 1;
	else
		return ARPG_OK;	/* a split the figures do not show (test) */
	if (!json_object_object_get_ex(o, "epoch", NULL))
		return arpg_errf(err, errn, ARPG_EFORMAT, "line %d: \"split\" without \"epoch\"", line);
	for (i = 0; i < log->nseries; i++)
		if (log->series[i].run == run && log->series[i].fold == fold)
			s = &log->series[i];
	if (!s) {
		if (ARPG_GROW(log->series, &log->capseries, (size_t)log->nseries + 1) < 0)
			return ARPG_ENOMEM;
		s = &log->series[log->nseries++];
		memset(s, 0, sizeof *s);
		s->run = run;
		s->fold = fold;
		if (!(s->settings = settings_string(o)))
			return ARPG_ENOMEM;
	}
	if (ARPG_GROW(s->pt[k], &s->cap[k], (size_t)s->n[k] + 1) < 0)
		return ARPG_ENOMEM;
	p = &s->pt[k][s->n[k]++];
	p->epoch = get_int(o, "epoch", s->n[k]);
	p->loss = get_num(o, "loss");
	p->war = get_num(o, "war");
	p->uar = get_num(o, "uar");
	p->f1 = get_num(o, "f1");
	return ARPG_OK;
}

static int add_summary(struct rl_log *log, json_object *o, int line, char *err, size_t errn)
{
	json_object *kind, *labels, *conf, *fin;
	struct rl_summary *s;
	size_t n, i, j;

	json_object_object_get_ex(o, "summary", &kind);
	if (ARPG_GROW(log->sum, &log->capsum, (size_t)log->nsum + 1) < 0)
		return ARPG_ENOMEM;
	s = &log->sum[log->nsum++];
	memset(s, 0, sizeof *s);
	s->run = get_int(o, "run", 1);
	s->fold = get_int(o, "fold", 0);
	if (!(s->kind = strdup(json_object_get_string(kind))) || !(s->settings = settings_string(o)))
		return ARPG_ENOMEM;
	s->war = s->uar = s->f1 = NAN;
	if ((json_object_object_get_ex(o, "final", &fin) ||
	     json_object_object_get_ex(o, "pooled", &fin)) && json_object_is_type(fin, json_type_object)) {
		s->war = get_num(fin, "war");
		s->uar = get_num(fin, "uar");
		s->f1 = get_num(fin, "f1");
	} else {
		s->war = get_num(o, "war");
		s->uar = get_num(o, "uar");
		s->f1 = get_num(o, "f1");
	}
	if (!json_object_object_get_ex(o, "labels", &labels) ||
	    !json_object_is_type(labels, json_type_array) ||
	    !json_object_object_get_ex(o, "confusion", &conf) ||
	    !json_object_is_type(conf, json_type_array))
		return ARPG_OK;	/* a summary without a matrix: nothing to draw */
	n = json_object_array_length(labels);
	if (n == 0 || n > 1000 || json_object_array_length(conf) != n)
		return arpg_errf(err, errn, ARPG_EFORMAT,
				 "line %d: %zu labels but a confusion matrix of %zu rows", line, n,
				 json_object_array_length(conf));
	if (!(s->labels = calloc(n, sizeof *s->labels)) ||
	    !(s->confusion = calloc(n * n, sizeof *s->confusion)))
		return ARPG_ENOMEM;
	s->nlabels = (int)n;
	for (i = 0; i < n; i++)
		if (!(s->labels[i] = strdup(json_object_get_string(json_object_array_get_idx(labels, i)))))
			return ARPG_ENOMEM;
	for (i = 0; i < n; i++) {
		json_object *row = json_object_array_get_idx(conf, i);

		if (!json_object_is_type(row, json_type_array) || json_object_array_length(row) != n)
			return arpg_errf(err, errn, ARPG_EFORMAT,
					 "line %d: confusion row %zu is not an array of %zu counts",
					 line, i + 1, n);
		for (j = 0; j < n; j++) {
			long v = (long)json_object_get_int64(json_object_array_get_idx(row, j));

			if (v < 0)
				return arpg_errf(err, errn, ARPG_EFORMAT,
						 "line %d: negative count in the confusion matrix", line);
			s->confusion[i * n + j] = v;
		}
	}
	return ARPG_OK;
}

/* The statistics of a table row: "best" and "final" objects, or (tables
 * of older arpg-train versions, which had the final epoch only) the
 * numbers at the top level. */
static const char *const table_stats[] = {
	"runs", "best", "final", "war_mean", "war_std", "uar_mean", "uar_std", "f1_mean",
	"f1_std", NULL
};

static int is_stat(const char *key)
{
	for (int i = 0; table_stats[i]; i++)
		if (!strcmp(key, table_stats[i]))
			return 1;
	return 0;
}

/* Does the value of key differ between any two of the n objects? */
static int key_varies(json_object **objs, int n, const char *key)
{
	const char *first = NULL;

	for (int i = 0; i < n; i++) {
		json_object *v = NULL;
		const char *s;

		json_object_object_get_ex(objs[i], key, &v);
		s = v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN) : "";
		if (i == 0)
			first = s;
		else if (strcmp(first, s))
			return 1;
	}
	return 0;
}

/* "k=v k=v" of the keys of objs[i] that vary among objs (stats left out). */
static char *vary_caption(json_object **objs, int n, int i)
{
	char buf[512] = "";
	size_t len = 0;

	json_object_object_foreach(objs[i], key, val) {
		const char *s;

		if (is_stat(key) || !key_varies(objs, n, key))
			continue;
		s = json_object_is_type(val, json_type_string) ? json_object_get_string(val)
			: json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN);
		len += (size_t)snprintf(buf + len, len < sizeof buf ? sizeof buf - len : 0, "%s%s=%s",
					len ? " " : "", key, s);
		if (len >= sizeof buf)
			break;
	}
	return strdup(buf);
}

static int add_table(struct rl_log *log, json_object *o, int line, char *err, size_t errn)
{
	json_object *tab, **objs = NULL;
	int n, i, rc = ARPG_OK;

	json_object_object_get_ex(o, "table", &tab);
	if (!json_object_is_type(tab, json_type_array))
		return arpg_errf(err, errn, ARPG_EFORMAT, "line %d: \"table\" is not an array", line);
	n = (int)json_object_array_length(tab);
	for (i = 0; i < log->nrows; i++)
		free(log->rows[i].caption);
	free(log->rows);	/* a later table replaces an earlier one */
	log->nrows = 0;
	if (!(log->rows = calloc((size_t)n + 1, sizeof *log->rows)) ||
	    !(objs = calloc((size_t)n + 1, sizeof *objs)))
		return ARPG_ENOMEM;
	for (i = 0; i < n; i++) {
		objs[i] = json_object_array_get_idx(tab, i);
		if (!json_object_is_type(objs[i], json_type_object)) {
			rc = arpg_errf(err, errn, ARPG_EFORMAT, "line %d: table row %d is not an object",
				       line, i + 1);
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		struct rl_row *r = &log->rows[i];
		json_object *fin = objs[i];

		json_object_object_get_ex(objs[i], "final", &fin);
		if (!json_object_is_type(fin, json_type_object))
			fin = objs[i];
		r->runs = get_int(objs[i], "runs", 1);
		r->war_mean = get_num(fin, "war_mean");
		r->war_std = get_num(fin, "war_std");
		r->uar_mean = get_num(fin, "uar_mean");
		r->uar_std = get_num(fin, "uar_std");
		if (!(r->caption = vary_caption(objs, n, i))) {
			rc = ARPG_ENOMEM;
			goto out;
		}
		log->nrows++;
	}
out:
	free(objs);
	return rc;
}

/* Captions of series and summaries: run (fold) and the settings that vary. */
static int make_captions(struct rl_log *log)
{
	int n = log->nseries + log->nsum, i, rc = ARPG_OK;
	json_object **objs = calloc((size_t)n + 1, sizeof *objs);

	if (!objs)
		return ARPG_ENOMEM;
	for (i = 0; i < n; i++) {
		const char *s = i < log->nseries ? log->series[i].settings
			: log->sum[i - log->nseries].settings;

		if (!(objs[i] = json_tokener_parse(s)) || !json_object_is_type(objs[i], json_type_object)) {
			json_object_put(objs[i]);
			objs[i] = json_object_new_object();
		}
	}
	for (i = 0; i < n && rc == 0; i++) {
		char *vary = vary_caption(objs, n, i), buf[700];
		int run, fold;
		const char *kind = NULL;

		if (!vary) {
			rc = ARPG_ENOMEM;
			break;
		}
		if (i < log->nseries) {
			run = log->series[i].run;
			fold = log->series[i].fold;
		} else {
			run = log->sum[i - log->nseries].run;
			fold = log->sum[i - log->nseries].fold;
			kind = log->sum[i - log->nseries].kind;
		}
		if (kind && !strcmp(kind, "folds"))
			snprintf(buf, sizeof buf, "run %d, all folds pooled%s%s", run, *vary ? "  " : "", vary);
		else if (fold)
			snprintf(buf, sizeof buf, "run %d fold %d%s%s", run, fold, *vary ? "  " : "", vary);
		else
			snprintf(buf, sizeof buf, "run %d%s%s", run, *vary ? "  " : "", vary);
		free(vary);
		if (i < log->nseries)
			log->series[i].caption = strdup(buf);
		else
			log->sum[i - log->nseries].caption = strdup(buf);
		if (!(i < log->nseries ? log->series[i].caption : log->sum[i - log->nseries].caption))
			rc = ARPG_ENOMEM;
	}
	for (i = 0; i < n; i++)
		json_object_put(objs[i]);
	free(objs);
	return rc;
}

int rl_log_read(struct rl_log *log, FILE *f, char *err, size_t errn)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0, rc = ARPG_OK;

	while ((len = getline(&line, &cap, f)) >= 0) {
		json_object *o;
		enum json_tokener_error jerr;
		const char *p = line;

		lineno++;
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (!*p)
			continue;
		if (!(o = json_tokener_parse_verbose(p, &jerr))) {
			rc = arpg_errf(err, errn, ARPG_EFORMAT, "line %d: not JSON (%s)", lineno,
				       json_tokener_error_desc(jerr));
			break;
		}
		log->lines++;
		if (!json_object_is_type(o, json_type_object))
			rc = arpg_errf(err, errn, ARPG_EFORMAT, "line %d: not a JSON object", lineno);
		else if (json_object_object_get_ex(o, "split", NULL))
			rc = add_point(log, o, lineno, err, errn);
		else if (json_object_object_get_ex(o, "summary", NULL))
			rc = add_summary(log, o, lineno, err, errn);
		else if (json_object_object_get_ex(o, "table", NULL))
			rc = add_table(log, o, lineno, err, errn);
		else
			rc = arpg_errf(err, errn, ARPG_EFORMAT,
				       "line %d: an object with none of \"split\", \"summary\", \"table\"",
				       lineno);
		json_object_put(o);
		if (rc < 0)
			break;
	}
	if (rc == 0 && ferror(f))
		rc = arpg_errf(err, errn, ARPG_EIO, "read error");
	if (rc == 0 && !log->lines)
		rc = arpg_errf(err, errn, ARPG_EFORMAT,
			       "no JSON lines: is this arpg-train's standard output?");
	if (rc == 0)
		rc = make_captions(log);
	free(line);
	return rc;
}

void rl_log_free(struct rl_log *log)
{
	int i, j;

	for (i = 0; i < log->nseries; i++) {
		free(log->series[i].settings);
		free(log->series[i].caption);
		free(log->series[i].pt[0]);
		free(log->series[i].pt[1]);
	}
	free(log->series);
	for (i = 0; i < log->nsum; i++) {
		struct rl_summary *s = &log->sum[i];

		free(s->kind);
		free(s->settings);
		free(s->caption);
		for (j = 0; s->labels && j < s->nlabels; j++)
			free(s->labels[j]);
		free(s->labels);
		free(s->confusion);
	}
	free(log->sum);
	for (i = 0; i < log->nrows; i++)
		free(log->rows[i].caption);
	free(log->rows);
	memset(log, 0, sizeof *log);
}
