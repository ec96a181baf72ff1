/* golden.c - see golden.h. */
#include "golden.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int golden_read(FILE *f, struct golden *g)
{
	char name[16];
	int c;

	memset(g, 0, sizeof *g);
	while ((c = fgetc(f)) == '#' || c == '\n' || c == ' ')
		if (c == '#')
			while ((c = fgetc(f)) != '\n' && c != EOF)
				;
	if (c == EOF)
		return 0;
	ungetc(c, f);
	if (fscanf(f, "case") != 0 || !fgets(g->line, sizeof g->line, f))
		return -1;
	g->line[strcspn(g->line, "\n")] = 0;
	while (fscanf(f, "%15s", name) == 1) {
		struct golden_arr *a;

		if (!strcmp(name, "end"))
			return 1;
		if (g->na == (int)(sizeof g->a / sizeof g->a[0]))
			return -1;
		a = &g->a[g->na++];
		snprintf(a->name, sizeof a->name, "%s", name);
		if (fscanf(f, "%ld", &a->n) != 1 || a->n < 1 || !(a->v = malloc(sizeof(double) * a->n)))
			return -1;
		for (long i = 0; i < a->n; i++)
			if (fscanf(f, "%lf", &a->v[i]) != 1)
				return -1;
	}
	return -1;
}

void golden_free(struct golden *g)
{
	for (int i = 0; i < g->na; i++)
		free(g->a[i].v);
	g->na = 0;
}

const struct golden_arr *golden_find(const struct golden *g, const char *name)
{
	for (int i = 0; i < g->na; i++)
		if (!strcmp(g->a[i].name, name))
			return &g->a[i];
	return NULL;
}

int golden_int(const struct golden *g, const char *key)
{
	char pat[40];
	const char *p;

	snprintf(pat, sizeof pat, " %s=", key);
	p = strstr(g->line, pat);
	return p ? atoi(p + strlen(pat)) : -1;
}

float *golden_f32(const struct golden_arr *a)
{
	float *f = malloc(sizeof *f * a->n);

	for (long i = 0; f && i < a->n; i++)
		f[i] = (float)a->v[i];
	return f;
}

double golden_relerr(const float *got, const double *want, long n)
{
	double md = 0, mw = 0;

	for (long i = 0; i < n; i++) {
		double d = fabs(got[i] - want[i]);

		md = isnan(d) || isnan(md) ? INFINITY : fmax(md, d);
		mw = fmax(mw, fabs(want[i]));
	}
	return mw > 0 ? md / mw : md;
}
