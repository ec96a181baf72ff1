/* test_cache_maps.c - the maps record (arpg-features --maps): a cache
 * without maps has no maps database (its bytes stay as before); a clip's
 * maps round-trip and are checked by their sum; damage names the clip; a
 * clip written again without maps loses them. */
#include "harness.h"
#include "cache.h"
#include "cache_raw.h"
#include "error.h"

#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct seen {
	int n, bad, mapped;
	float first;		/* clip a's first map value */
	uint32_t dims[4];
	char why[300];
};

static int look(void *ctx, const struct arpg_cache_clip *clip)
{
	struct seen *s = ctx;

	s->n++;
	s->bad += clip->bad != 0;
	if (clip->bad)
		snprintf(s->why, sizeof s->why, "%.60s: %s", clip->id, clip->why);
	if (!clip->bad && clip->has_maps) {
		s->mapped++;
		memcpy(s->dims, clip->maps.dims, sizeof s->dims);
		if (clip->id[0] == 'a')
			arpg_tensor_range_to_f32(&s->first, &clip->maps, 0, 1);
	}
	return 0;
}

/* Writes clips a (with maps when ma) and b (with maps when mb), 3 frames,
 * maps (3, 2, 2, 2) f16. */
static void make(const char *dir, int ma, int mb)
{
	struct arpg_cache *c;
	struct arpg_clip_info info;
	struct arpg_kv kv = ARPG_KV_INIT;
	int src[3] = { 0, 1, 2 };
	char faces[] = "111", err[200];
	uint32_t adims[2] = { 3, 2 }, pdims[3] = { 3, 1, 2 }, mdims[4] = { 3, 2, 2, 2 };
	float app[6] = { 1, 2, 3, 4, 5, 6 }, patch[6] = { 0 }, maps[24];
	uint8_t ab[128], pb[128], mb16[128];
	long an = arpg_tensor_encode(ab, ARPG_F32, 2, adims, app);
	long pn = arpg_tensor_encode(pb, ARPG_F32, 3, pdims, patch), mn;

	for (int i = 0; i < 24; i++)
		maps[i] = 0.5f * (float)i - 3;
	mn = arpg_tensor_encode(mb16, ARPG_F16, 4, mdims, maps);
	memset(&info, 0, sizeof info);
	info.label = "", info.split = "train", info.subject = "";
	info.frames = 3, info.src = src, info.faces = faces;
	expect_int(arpg_cache_open(&c, dir, ARPG_CACHE_WRITE, err, sizeof err), 0);
	expect_int(arpg_kv_set(&kv, "format", ARPG_CACHE_FORMAT), 0);
	expect_int(arpg_cache_meta_put(c, &kv), 0);
	expect_int(arpg_cache_put_clip_maps(c, "a", &info, ab, (size_t)an, pb, (size_t)pn,
					    ma ? mb16 : NULL, (size_t)mn), 0);
	expect_int(arpg_cache_put_clip_maps(c, "b", &info, ab, (size_t)an, pb, (size_t)pn,
					    mb ? mb16 : NULL, (size_t)mn), 0);
	arpg_cache_close(c);
	arpg_kv_free(&kv);
}

static struct seen walk(const char *dir)
{
	struct arpg_cache *c;
	struct seen s;
	char err[300];

	memset(&s, 0, sizeof s);
	expect_int(arpg_cache_open(&c, dir, ARPG_CACHE_READ, err, sizeof err), 0);
	if (c)
		expect_int(arpg_cache_foreach(c, look, &s), 0);
	arpg_cache_close(c);
	return s;
}

static void damage(MDB_txn *txn, MDB_dbi dbi)
{
	MDB_val k = { 1, "a" }, v;
	uint8_t buf[128];

	expect_int(mdb_get(txn, dbi, &k, &v), 0);
	if (v.mv_size > sizeof buf)
		return;
	memcpy(buf, v.mv_data, v.mv_size);
	buf[v.mv_size - 1] ^= 1;
	v.mv_data = buf;
	expect_int(mdb_put(txn, dbi, &k, &v, 0), 0);
}

static void remove_a(MDB_txn *txn, MDB_dbi dbi)
{
	MDB_val k = { 1, "a" };

	expect_int(mdb_del(txn, dbi, &k, NULL), 0);
}

ARPG_TEST(cache_without_maps_has_no_maps_database)
{
	struct seen s;

	make("c", 0, 0);
	expect_int(cache_raw("c", "maps", NULL), MDB_NOTFOUND);
	s = walk("c");
	expect_int(s.n, 2);
	expect_int(s.bad, 0);
	expect_int(s.mapped, 0);
}

ARPG_TEST(cache_maps_round_trip_with_their_sum)
{
	struct seen s;

	make("c", 1, 1);
	s = walk("c");
	expect_int(s.n, 2);
	expect_int(s.bad, 0);
	expect_int(s.mapped, 2);
	expect_int((long)s.dims[0], 3);
	expect_int((long)s.dims[3], 2);
	expect(s.first == -3.0f);
	/* a written again without maps: its record goes */
	make("c", 0, 1);
	s = walk("c");
	expect_int(s.bad, 0);
	expect_int(s.mapped, 1);
}

ARPG_TEST(cache_maps_damage_names_the_clip)
{
	struct seen s;

	make("c", 1, 0);
	cache_raw("c", "maps", damage);
	s = walk("c");
	expect_int(s.bad, 1);
	if (strncmp(s.why, "a: maps: the record does not match its checksum", 47))
		arpg_test_fail(__FILE__, __LINE__, "reason '%s'", s.why);
	make("d", 1, 0);
	cache_raw("d", "maps", remove_a);
	s = walk("d");
	expect_int(s.bad, 1);
	expect_str(s.why, "a: maps: no record, but sums lists one");
}
