/* sweep.c - option lists, their combinations, the table of a sweep. */
#include "sweep.h"
#include "cli.h"
#include "error.h"
#include "grow.h"
#include "run.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;	/* option name, also the JSON key */
	const char *deflt;
	char sep;		/* separator of alternatives (',' or ':' for --edges) */
	const char *expect;	/* what a value must be, for messages (parse_value) */
} OPTIONS[SW_COUNT] = {
	[SW_GRID] = { "grid", SWEEP_FIRST_GRID, ',', "a grid the cache holds, 1 to 64" },
	[SW_TRS] = { "trs", "4", ',', "a number from 0 to 100000, or all" },
	[SW_EDGES] = { "edges", "self,adj,sym", ':', "a list of self, adj, sym and adj8" },
	[SW_FUSION] = { "fusion", "gat", ',', "gat or concat" },
	[SW_MODALITY] = { "modality", "both", ',', "both, app or rel" },
	[SW_DIM] = { "dim", "256", ',', "a number from 1 to 65536" },
	[SW_HEADS] = { "heads", "4", ',', "a number from 1 to 1024" },
	[SW_REL] = { "rel-layers", "2", ',', "a number from 0 to 8" },
	[SW_FUS] = { "fusion-layers", "1", ',', "a number from 0 to 8" },
	[SW_OPTIMIZER] = { "optimizer", "adam", ',', "adam or adamw" },
	[SW_LR] = { "lr", "0.001", ',', "a number from 1e-12 to 10" },
	[SW_SCHEDULE] = { "schedule", "constant", ',', "constant, step or cosine" },
	[SW_DROPOUT] = { "dropout", "0.1", ',', "a number from 0 to 0.99" },
	[SW_SMOOTHING] = { "label-smoothing", "0", ',', "a number from 0 to 0.99" },
	[SW_CLASS_WEIGHTS] = { "class-weights", "none", ',', "none or balanced" },
	[SW_AUGMENT] = { "augment", "jitter", ':', "none, or a list of jitter, flip, drop and mixup" },
	[SW_SEED] = { "seed", "1", ',', "a number from 0 to 2147483647" },
};

const char *sweep_name(enum sweep_option i)
{
	return OPTIONS[i].name;
}

const char *sweep_expect(enum sweep_option i)
{
	return OPTIONS[i].expect;
}

int sweep_init(struct sweep *sw)
{
	memset(sw, 0, sizeof *sw);
	for (int i = 0; i < SW_COUNT; i++) {
		int rc = sweep_set(sw, i, OPTIONS[i].deflt);

		if (rc < 0)
			return rc;
	}
	return 0;
}

void sweep_free(struct sweep *sw)
{
	for (int i = 0; i < SW_COUNT; i++)
		free(sw->opt[i].buf);
	memset(sw, 0, sizeof *sw);
}

int sweep_set(struct sweep *sw, enum sweep_option i, const char *arg)
{
	struct sweep_list l = { 0 };
	char *p, *q;

	if (!(l.buf = strdup(arg)))
		return ARPG_ENOMEM;
	for (p = l.buf; p; p = q ? q + 1 : NULL) {
		if ((q = strchr(p, OPTIONS[i].sep)))
			*q = 0;
		if (!*p || l.n == SWEEP_MAX_VALUES) {
			free(l.buf);
			return ARPG_EINVAL;
		}
		l.v[l.n++] = p;
	}
	free(sw->opt[i].buf);
	sw->opt[i] = l;
	return 0;
}

static int parse_edges(const char *s, int *out)
{
	char buf[128], *tok, *save = NULL;
	int e = 0;

	if (strlen(s) >= sizeof buf)
		return ARPG_EINVAL;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "self")) e |= EDGE_SELF;
		else if (!strcmp(tok, "adj")) e |= EDGE_ADJ;
		else if (!strcmp(tok, "sym")) e |= EDGE_SYM;
		else if (!strcmp(tok, "adj8")) e |= EDGE_ADJ8;
		else return ARPG_EINVAL;
	}
	*out = e;
	return e ? 0 : ARPG_EINVAL;
}

/* Reads v as a value of option i into c or t.  0 or ARPG_EINVAL. */
static int parse_value(enum sweep_option i, const char *v, struct model_config *c,
		       struct train_config *t)
{
	double d;
	int n;

	switch (i) {
	case SW_GRID:	/* the model's G comes from the cache loaded */
		return !strcmp(v, SWEEP_FIRST_GRID) ? 0 : arpg_parse_int(v, 1, 64, &n);
	case SW_TRS:
		if (!strcmp(v, "all")) {
			c->trs = -1;
			return 0;
		}
		return arpg_parse_int(v, 0, 100000, &c->trs);
	case SW_EDGES:
		return parse_edges(v, &c->edges);
	case SW_FUSION:
		c->fusion = !strcmp(v, "gat") ? FUSION_GAT : !strcmp(v, "concat") ? FUSION_CONCAT : -1;
		return c->fusion < 0 ? ARPG_EINVAL : 0;
	case SW_MODALITY:
		c->modality = !strcmp(v, "both") ? MOD_BOTH : !strcmp(v, "app") ? MOD_APP :
			      !strcmp(v, "rel") ? MOD_REL : -1;
		return c->modality < 0 ? ARPG_EINVAL : 0;
	case SW_DIM:
		return arpg_parse_int(v, 1, 65536, &c->D);
	case SW_HEADS:
		return arpg_parse_int(v, 1, 1024, &c->H);
	case SW_REL:
		return arpg_parse_int(v, 0, 8, &c->rel_layers);
	case SW_FUS:
		return arpg_parse_int(v, 0, 8, &c->fusion_layers);
	case SW_OPTIMIZER:
		return (t->optimizer = optimizer_parse(v)) < 0 ? ARPG_EINVAL : 0;
	case SW_LR:
		return arpg_parse_double(v, 1e-12, 10, &t->lr);
	case SW_SCHEDULE:
		return (t->schedule = schedule_parse(v)) < 0 ? ARPG_EINVAL : 0;
	case SW_SMOOTHING:
		if (arpg_parse_double(v, 0, 0.99, &d) < 0)
			return ARPG_EINVAL;
		t->smoothing = (float)d;
		return 0;
	case SW_CLASS_WEIGHTS:
		t->class_weights = !strcmp(v, "none") ? CW_NONE : !strcmp(v, "balanced") ? CW_BALANCED
										       : -1;
		return t->class_weights < 0 ? ARPG_EINVAL : 0;
	case SW_AUGMENT:
		return augment_parse(v, &t->augment);
	case SW_DROPOUT:
		if (arpg_parse_double(v, 0, 0.99, &d) < 0)
			return ARPG_EINVAL;
		c->dropout = (float)d;
		return 0;
	case SW_SEED:
		if (arpg_parse_int(v, 0, 2147483647, &n) < 0)
			return ARPG_EINVAL;
		t->seed = (uint64_t)n;
		return 0;
	default:
		return ARPG_EINVAL;
	}
}

int sweep_check(const struct sweep *sw, int *opt, int *val)
{
	struct model_config c;
	struct train_config t;

	model_config_default(&c);
	for (int first = 1; first >= 0; first--)
		for (int i = 0; i < SW_COUNT; i++)
			for (int j = first ? 0 : 1; j < (first ? 1 : sw->opt[i].n); j++)
				if (parse_value(i, sw->opt[i].v[j], &c, &t) < 0) {
					*opt = i;
					*val = j;
					return ARPG_EINVAL;
				}
	return 0;
}

long sweep_count(const struct sweep *sw)
{
	long n = 1;

	for (int i = 0; i < SW_COUNT; i++)
		n *= sw->opt[i].n;
	return n;
}

void sweep_combo(const struct sweep *sw, long combo, int *k)
{
	for (int i = SW_COUNT - 1; i >= 0; i--) {
		k[i] = (int)(combo % sw->opt[i].n);
		combo /= sw->opt[i].n;
	}
}

int sweep_config(const struct sweep *sw, const int *k, struct model_config *c,
		 struct train_config *t)
{
	model_config_default(c);
	memset(t, 0, sizeof *t);
	for (int i = 0; i < SW_COUNT; i++)
		if (parse_value(i, sw->opt[i].v[k[i]], c, t) < 0)
			return ARPG_EINVAL;
	return 0;
}

void sweep_json(FILE *f, const struct sweep *sw, const int *k, int with_seed)
{
	for (int i = 0, first = 1; i < SW_COUNT; i++) {
		const char *v = sw->opt[i].v[k[i]];
		char *end;

		if (i == SW_SEED && !with_seed)
			continue;
		if (!first)
			fputc(',', f);
		first = 0;
		json_string(f, OPTIONS[i].name);
		fputc(':', f);
		strtod(v, &end);
		if (*v && !*end && OPTIONS[i].sep != ':')
			fputs(v, f);
		else
			json_string(f, v);
	}
}

int sweep_table_add(struct sweep_table *t, const int *k, const struct sweep_result *res)
{
	struct sweep_row *row;
	int r;

	for (r = 0; r < t->n; r++) {
		int same = 1;

		for (int i = 0; i < SW_COUNT; i++)
			if (i != SW_SEED && t->rows[r].key[i] != k[i])
				same = 0;
		if (same)
			break;
	}
	if (r == t->n) {
		if (!(row = arpg_grow(t->rows, &t->cap, (size_t)t->n + 1, sizeof *row)))
			return ARPG_ENOMEM;
		t->rows = row;
		memset(&row[r], 0, sizeof *row);
		memcpy(row[r].key, k, sizeof row[r].key);
		t->n++;
	}
	row = &t->rows[r];
	if (row->n == SWEEP_MAX_VALUES)
		return ARPG_ERANGE;
	row->r[row->n++] = *res;
	return 0;
}

void sweep_table_free(struct sweep_table *t)
{
	free(t->rows);
	memset(t, 0, sizeof *t);
}

void sweep_mean_std(const double *v, int n, double *mean, double *sd)
{
	double s = 0, ss = 0;

	for (int i = 0; i < n; i++)
		s += v[i];
	*mean = n ? s / n : 0;
	for (int i = 0; i < n; i++)
		ss += (v[i] - *mean) * (v[i] - *mean);
	*sd = n > 1 ? sqrt(ss / (n - 1)) : 0;
}

/* The columns of the human table: the options with more than one value,
 * each as wide as its longest value ("flip,drop,mixup" included). */
static void human_settings(FILE *f, const struct sweep *sw, const int *key)
{
	for (int i = 0; i < SW_COUNT; i++) {
		int w = 14;

		if (sw->opt[i].n < 2 || i == SW_SEED)
			continue;
		for (int k = 0; k < sw->opt[i].n; k++)
			if ((int)strlen(sw->opt[i].v[k]) > w)
				w = (int)strlen(sw->opt[i].v[k]);
		fprintf(f, "%-*s ", w, key ? sw->opt[i].v[key[i]] : OPTIONS[i].name);
	}
}

/* The statistics of a row, in the order of the table: the best epoch's
 * number, WAR, UAR, F1, then the final epoch's WAR, UAR, F1. */
enum { ST_EPOCH, ST_BWAR, ST_BUAR, ST_BF1, ST_FWAR, ST_FUAR, ST_FF1, ST_COUNT };

static void row_stats(const struct sweep_row *row, double *mean, double *sd)
{
	double v[ST_COUNT][SWEEP_MAX_VALUES];

	for (int i = 0; i < row->n; i++) {
		const struct sweep_result *r = &row->r[i];

		v[ST_EPOCH][i] = r->best_epoch;
		v[ST_BWAR][i] = r->best_war;
		v[ST_BUAR][i] = r->best_uar;
		v[ST_BF1][i] = r->best_f1;
		v[ST_FWAR][i] = r->final_war;
		v[ST_FUAR][i] = r->final_uar;
		v[ST_FF1][i] = r->final_f1;
	}
	for (int s = 0; s < ST_COUNT; s++)
		sweep_mean_std(v[s], row->n, &mean[s], &sd[s]);
}

/* "name_mean":m,"name_std":s for statistics from to to (exclusive). */
static void json_stats(FILE *f, const double *mean, const double *sd, int from, int to)
{
	static const char *const names[ST_COUNT] = { "epoch", "war", "uar", "f1", "war", "uar",
						     "f1" };

	for (int s = from; s < to; s++)
		fprintf(f, "%s\"%s_mean\":%.6f,\"%s_std\":%.6f", s > from ? "," : "", names[s],
			mean[s], names[s], sd[s]);
}

void sweep_table_print(const struct sweep_table *t, const struct sweep *sw, FILE *json,
		       FILE *human)
{
	if (human) {
		fprintf(human, "\n");
		human_settings(human, sw, NULL);
		fprintf(human, "runs  best epoch    best WAR%%       best UAR%%       best F1%%"
			"        final WAR%%      final UAR%%      final F1%%\n");
	}
	fprintf(json, "{\"table\":[");
	for (int r = 0; r < t->n; r++) {
		const struct sweep_row *row = &t->rows[r];
		double m[ST_COUNT], sd[ST_COUNT];

		row_stats(row, m, sd);
		fprintf(json, "%s{", r ? "," : "");
		sweep_json(json, sw, row->key, 0);
		fprintf(json, ",\"runs\":%d,\"best\":{", row->n);
		json_stats(json, m, sd, ST_EPOCH, ST_FWAR);
		fprintf(json, "},\"final\":{");
		json_stats(json, m, sd, ST_FWAR, ST_COUNT);
		fprintf(json, "}}");
		if (human) {
			human_settings(human, sw, row->key);
			fprintf(human, "%4d  %5.1f +- %4.1f", row->n, m[ST_EPOCH], sd[ST_EPOCH]);
			for (int s = ST_BWAR; s < ST_COUNT; s++)
				fprintf(human, "  %6.2f +- %5.2f", 100 * m[s], 100 * sd[s]);
			fputc('\n', human);
		}
	}
	fprintf(json, "]}\n");
}
