/* meta.c - meta keys of a features cache (see meta.h). */
#include "config.h"
#include "meta.h"
#include "error.h"
#include "hog.h"
#include "tensor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const meta_core[] = {
	"backbone", "backbone_sha256", "patch_node", "grid", "frames",
	"app_dim", "patch_dim", "dtype", "input", "flip", "maps", NULL
};

/* The value a core key has when a cache lacks it (it came later), or NULL
 * when it is required. */
static const char *absent_value(const char *key)
{
	return !strcmp(key, "flip") || !strcmp(key, "maps") ? "no" : NULL;
}

/* Sets key = s, or key = v in decimal when s is NULL. */
static int put(struct arpg_kv *m, const char *key, const char *s, long v)
{
	char num[32];

	snprintf(num, sizeof num, "%ld", v);
	return arpg_kv_set(m, key, s ? s : num);
}

int meta_build(struct arpg_kv *m, const struct backbone *b, const struct arpg_cache_layout *grids,
	       int frames, int dtype, int flip, int maps, const char *input)
{
	char grid[ARPG_CACHE_MAX_GRIDS * 4], shape[64];
	int rc = 0;

	grid[0] = 0;
	for (int i = 0; i < grids->ngrids; i++)
		snprintf(grid + strlen(grid), sizeof grid - strlen(grid), "%s%d", i ? "," : "",
			 grids->grids[i]);

	rc |= put(m, "format", ARPG_CACHE_FORMAT, 0);
	rc |= put(m, "backbone", b->name, 0);
	rc |= put(m, "backbone_sha256", b->sha256, 0);
	rc |= put(m, "patch_node", b->patch_node, 0);
	rc |= put(m, "grid", grid, 0);
	rc |= put(m, "frames", frames > 0 ? NULL : "all", frames);
	rc |= put(m, "app_dim", NULL, b->app_dim);
	rc |= put(m, "patch_dim", NULL, b->patch_c);
	rc |= put(m, "dtype", dtype == ARPG_F16 ? "f16" : "f32", 0);
	rc |= put(m, "input", input, 0);
	if (flip)
		rc |= put(m, "flip", "yes", 0);
	/* absent without --maps: such a cache keeps its bytes */
	if (maps) {
		snprintf(shape, sizeof shape, "%d,%d,%d", b->patch_c, b->patch_h, b->patch_w);
		rc |= put(m, "maps", maps == ARPG_F16 ? "f16" : "f32", 0);
		rc |= put(m, "maps_shape", shape, 0);
	}
	if (!strcmp(b->name, "hog"))
		rc |= put(m, "hog", HOG_SETTINGS, 0);
	rc |= put(m, "writer", PACKAGE_NAME "-features " PACKAGE_VERSION, 0);
	return rc ? ARPG_ENOMEM : 0;	/* the only failure of put */
}

int meta_check(struct arpg_cache *c, const struct arpg_kv *m, char *err, size_t errn)
{
	char *have = NULL;
	int rc, i;

	rc = arpg_cache_meta_get(c, "format", &have);
	free(have);
	if (rc < 0)
		return rc;
	for (i = 0; meta_core[i]; i++) {
		const char *want = arpg_kv_get(m, meta_core[i]), *dflt = absent_value(meta_core[i]);

		if (!want)
			want = dflt;
		rc = arpg_cache_meta_get(c, meta_core[i], &have);
		if (rc == ARPG_ENOENT && dflt && (have = strdup(dflt)))
			rc = 0;
		if (rc == ARPG_ENOENT)
			return arpg_errf(err, errn, ARPG_EMISMATCH, "%s: the cache has none, this "
					 "run '%s'", meta_core[i], want ? want : "");
		if (rc < 0 || !have)
			return rc < 0 ? rc : ARPG_ENOMEM;
		if (!want || strcmp(have, want)) {
			rc = arpg_errf(err, errn, ARPG_EMISMATCH,
				       "%s: the cache has '%s', this run '%s'",
				       meta_core[i], have, want ? want : "");
			free(have);
			return rc;
		}
		free(have);
	}
	return 0;
}

int meta_check_caches(struct arpg_cache *a, struct arpg_cache *b, char *err, size_t errn)
{
	char *va = NULL, *vb = NULL;
	int i, ra, rb, rc = 0;

	for (i = 0; !rc && meta_core[i]; i++) {
		const char *dflt = absent_value(meta_core[i]);

		ra = arpg_cache_meta_get(a, meta_core[i], &va);
		rb = arpg_cache_meta_get(b, meta_core[i], &vb);
		if (ra == ARPG_ENOENT && dflt && (va = strdup(dflt)))
			ra = 0;
		if (rb == ARPG_ENOENT && dflt && (vb = strdup(dflt)))
			rb = 0;
		if ((ra < 0 && ra != ARPG_ENOENT) || (rb < 0 && rb != ARPG_ENOENT))
			rc = ra < 0 && ra != ARPG_ENOENT ? ra : rb;
		else if ((ra < 0) != (rb < 0) || (va && vb && strcmp(va, vb)))
			rc = arpg_errf(err, errn, ARPG_EMISMATCH, "%s: '%s' and '%s'",
				       meta_core[i], va ? va : "(none)", vb ? vb : "(none)");
		free(va);
		free(vb);
		va = vb = NULL;
	}
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int labels_add(char **list, const char *add)
{
	char *all, **v = NULL, *p, *out = NULL;
	size_t n = 0, i, len;
	int rc;

	len = (*list ? strlen(*list) : 0) + strlen(add) + 2;
	if (!(all = malloc(len)))
		return ARPG_ENOMEM;
	snprintf(all, len, "%s,%s", *list ? *list : "", add);
	if (!(v = calloc(len, sizeof *v))) {
		free(all);
		return ARPG_ENOMEM;
	}
	for (p = strtok(all, ","); p; p = strtok(NULL, ","))
		v[n++] = p;
	qsort(v, n, sizeof *v, cmp_str);
	if (!(out = malloc(len))) {
		rc = ARPG_ENOMEM;
		goto done;
	}
	out[0] = 0;
	for (i = 0; i < n; i++) {
		if (i && !strcmp(v[i], v[i - 1]))
			continue;
		if (out[0])
			strcat(out, ",");
		strcat(out, v[i]);
	}
	rc = !*list ? out[0] != 0 : strcmp(*list, out) != 0;
	free(*list);
	*list = out;
	out = NULL;
done:
	free(out);
	free(v);
	free(all);
	return rc;
}
