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
} OPTIONS[SW_COUNT] = {
	[SW_TRS] = { "trs", "4", ',' },
	[SW_EDGES] = { "edges", "self,adj,sym", ':' },
	[SW_FUSION] = { "fusion", "gat", ',' },
	[SW_MODALITY] = { "modality", "both", ',' },
	[SW_DIM] = { "dim", "256", ',' },
	[SW_HEADS] = { "heads", "4", ',' },
	[SW_REL] = { "rel-layers", "2", ',' },
	[SW_FUS] = { "fusion-layers", "1", ',' },
	[SW_LR] = { "lr", "0.001", ',' },
	[SW_DROPOUT] = { "dropout", "0.1", ',' },
	[SW_SEED] = { "seed", "1", ',' },
};

const char *sweep_name(enum sweep_option i)
{
	return OPTIONS[i].name;
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

/* Reads v as a value of option i into c, *lr or *seed.  0 or ARPG_EINVAL. */
static int parse_value(enum sweep_option i, const char *v, struct model_config *c, double *lr,
		       uint64_t *seed)
{
	double d;
	int n;

	switch (i) {
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
	case SW_LR:
		return arpg_parse_double(v, 1e-12, 10, lr);
	case SW_DROPOUT:
		if (arpg_parse_double(v, 0, 0.99, &d) < 0)
			return ARPG_EINVAL;
		c->dropout = (float)d;
		return 0;
	case SW_SEED:
		if (arpg_parse_int(v, 0, 2147483647, &n) < 0)
			return ARPG_EINVAL;
		*seed = (uint64_t)n;
		return 0;
	default:
		return ARPG_EINVAL;
	}
}

const char *sweep_expected(enum sweep_option i)
{
	/* the ranges of parse_value, in words */
	switch (i) {
	case SW_TRS: return "an integer from 0 to 100000, or all";
	case SW_EDGES: return "self, adj, sym and adj8 joined by ','";
	case SW_FUSION: return "gat or concat";
	case SW_MODALITY: return "both, app or rel";
	case SW_DIM: return "an integer from 1 to 65536";
	case SW_HEADS: return "an integer from 1 to 1024";
	case SW_REL: case SW_FUS: return "an integer from 0 to 8";
	case SW_LR: return "a number from 1e-12 to 10";
	case SW_DROPOUT: return "a number from 0 to 0.99";
	case SW_SEED: return "an integer from 0 to 2147483647";
	default: return "see --help";
	}
}

int sweep_check(const struct sweep *sw, int *opt, int *val)
{
	struct model_config c;
	double lr;
	uint64_t seed;

	model_config_default(&c);
	for (int first = 1; first >= 0; first--)
		for (int i = 0; i < SW_COUNT; i++)
			for (int j = first ? 0 : 1; j < (first ? 1 : sw->opt[i].n); j++)
				if (parse_value(i, sw->opt[i].v[j], &c, &lr, &seed) < 0) {
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

int sweep_config(const struct sweep *sw, const int *k, struct model_config *c, double *lr,
		 uint64_t *seed)
{
	model_config_default(c);
	for (int i = 0; i < SW_COUNT; i++)
		if (parse_value(i, sw->opt[i].v[k[i]], c, lr, seed) < 0)
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
		if (*v && !*end && i != SW_EDGES)
			fputs(v, f);
		else
			json_string(f, v);
	}
}

int sweep_table_add(struct sweep_table *t, const int *k, double war, double uar, double f1)
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
	row->war[row->n] = war;
	row->uar[row->n] = uar;
	row->f1[row->n] = f1;
	row->n++;
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

/* The columns of the human table: the options with more than one value. */
static void human_settings(FILE *f, const struct sweep *sw, const int *key)
{
	for (int i = 0; i < SW_COUNT; i++)
		if (sw->opt[i].n > 1 && i != SW_SEED)
			fprintf(f, "%-14s ", key ? sw->opt[i].v[key[i]] : OPTIONS[i].name);
}

void sweep_table_print(const struct sweep_table *t, const struct sweep *sw, FILE *json,
		       FILE *human)
{
	if (human) {
		fprintf(human, "\n");
		human_settings(human, sw, NULL);
		fprintf(human, "runs  WAR%%          UAR%%          F1%%\n");
	}
	fprintf(json, "{\"table\":[");
	for (int r = 0; r < t->n; r++) {
		const struct sweep_row *row = &t->rows[r];
		double wm, ws, um, us, fm, fs;

		sweep_mean_std(row->war, row->n, &wm, &ws);
		sweep_mean_std(row->uar, row->n, &um, &us);
		sweep_mean_std(row->f1, row->n, &fm, &fs);
		fprintf(json, "%s{", r ? "," : "");
		sweep_json(json, sw, row->key, 0);
		fprintf(json, ",\"runs\":%d,\"war_mean\":%.6f,\"war_std\":%.6f,\"uar_mean\":%.6f,"
			"\"uar_std\":%.6f,\"f1_mean\":%.6f,\"f1_std\":%.6f}", row->n, wm, ws, um, us,
			fm, fs);
		if (human) {
			human_settings(human, sw, row->key);
			fprintf(human, "%4d  %5.2f +- %5.2f  %5.2f +- %5.2f  %5.2f +- %5.2f\n", row->n,
				100 * wm, 100 * ws, 100 * um, 100 * us, 100 * fm, 100 * fs);
		}
	}
	fprintf(json, "]}\n");
}
