/* kv.h - a small list of text keys and values, in the order they were
 * first set: the cache's meta, a checkpoint's settings, the keys a reader
 * collected.  Lookups are linear: lists hold tens of keys, not thousands.
 */
#ifndef ARPG_KV_H
#define ARPG_KV_H

#include <stddef.h>

struct arpg_kv {
	int n;
	size_t cap;
	char **keys, **vals;	/* n each, malloc'd copies */
};

/* An empty list (all zero is one too). */
#define ARPG_KV_INIT { 0, 0, NULL, NULL }

/* Sets key to a copy of val, replacing an earlier value of key in place.
 * Returns 0 or ARPG_ENOMEM (the list unchanged). */
int arpg_kv_set(struct arpg_kv *kv, const char *key, const char *val);

/* The value of key, or NULL; valid until key is set again or kv freed. */
const char *arpg_kv_get(const struct arpg_kv *kv, const char *key);

/* Frees the copies; kv is empty afterwards and may be used again. */
void arpg_kv_free(struct arpg_kv *kv);

#endif
