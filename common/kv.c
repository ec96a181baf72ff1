/* kv.c - a list of text keys and values (see kv.h). */
#include "kv.h"
#include "error.h"
#include "grow.h"

#include <stdlib.h>
#include <string.h>

static int find(const struct arpg_kv *kv, const char *key)
{
	for (int i = 0; i < kv->n; i++)
		if (!strcmp(kv->keys[i], key))
			return i;
	return -1;
}

int arpg_kv_set(struct arpg_kv *kv, const char *key, const char *val)
{
	int i = find(kv, key);
	char *v = strdup(val), *k, **more;
	size_t cap;

	if (!v)
		return ARPG_ENOMEM;
	if (i >= 0) {
		free(kv->vals[i]);
		kv->vals[i] = v;
		return 0;
	}
	/* keys and values grow together: both arrays always have cap slots */
	cap = kv->cap;
	if (!(k = strdup(key)) || !(more = arpg_grow(kv->keys, &cap, (size_t)kv->n + 1,
						     sizeof *more))) {
		free(k);
		free(v);
		return ARPG_ENOMEM;
	}
	kv->keys = more;
	if (!(more = realloc(kv->vals, cap * sizeof *more))) {
		free(k);
		free(v);
		return ARPG_ENOMEM;	/* keys grew, harmlessly: cap stays as it was */
	}
	kv->vals = more;
	kv->cap = cap;
	kv->keys[kv->n] = k;
	kv->vals[kv->n++] = v;
	return 0;
}

const char *arpg_kv_get(const struct arpg_kv *kv, const char *key)
{
	int i = find(kv, key);

	return i < 0 ? NULL : kv->vals[i];
}

void arpg_kv_free(struct arpg_kv *kv)
{
	for (int i = 0; i < kv->n; i++) {
		free(kv->keys[i]);
		free(kv->vals[i]);
	}
	free(kv->keys);
	free(kv->vals);
	memset(kv, 0, sizeof *kv);
}
