/* test_cache_labels.c - per-frame labels (Aff-Wild2): a clip's own
 * frame_labels record, checked by its sum; a cache without labelled clips
 * has no such database (its bytes stay as before); a damaged, missing or
 * malformed record marks the clip bad, naming it; a clip written again
 * without labels loses its old ones. */
#include "harness.h"
#include "cache.h"
#include "cache_raw.h"
#include "error.h"

#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct seen {
	int n, bad, labelled;
	signed char labels[2][3];	/* clips a and b */
	char why[300];
};

static int look(void *ctx, const struct arpg_cache_clip *clip)
{
	struct seen *s = ctx;
	int i = clip->id[0] == 'b';

	s->n++;
	s->bad += clip->bad != 0;
	if (clip->bad)
		snprintf(s->why, sizeof s->why, "%.60s: %s", clip->id, clip->why);
	if (!clip->bad && clip->info.frame_labels) {
		s->labelled++;
		memcpy(s->labels[i], clip->info.frame_labels, 3);
	}
	return 0;
}

/* Writes clips a (labels la, or none) and b (lb) of 3 frames into dir. */
static void make(const char *dir, signed char *la, signed char *lb)
{
	struct arpg_cache *c;
	struct arpg_clip_info info;
	struct arpg_kv kv = ARPG_KV_INIT;
	int src[3] = { 0, 1, 2 };
	char faces[] = "111", err[200];
	uint32_t adims[2] = { 3, 2 }, pdims[3] = { 3, 1, 2 };
	float app[6] = { 1, 2, 3, 4, 5, 6 }, patch[6] = { 0 };
	uint8_t ab[128], pb[128];
	long an = arpg_tensor_encode(ab, ARPG_F32, 2, adims, app);
	long pn = arpg_tensor_encode(pb, ARPG_F32, 3, pdims, patch);

	memset(&info, 0, sizeof info);
	info.label = "", info.split = "train", info.subject = "";
	info.frames = 3, info.src = src, info.faces = faces;
	expect_int(arpg_cache_open(&c, dir, ARPG_CACHE_WRITE, err, sizeof err), 0);
	expect_int(arpg_kv_set(&kv, "format", ARPG_CACHE_FORMAT), 0);
	expect_int(arpg_cache_meta_put(c, &kv), 0);
	info.frame_labels = la;
	expect_int(arpg_cache_put_clip(c, "a", &info, ab, (size_t)an, pb, (size_t)pn), 0);
	info.frame_labels = lb;
	expect_int(arpg_cache_put_clip(c, "b", &info, ab, (size_t)an, pb, (size_t)pn), 0);
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

static void put_a(MDB_txn *txn, MDB_dbi dbi, const char *text)
{
	MDB_val k = { 1, "a" }, v = { strlen(text), (void *)text };

	expect_int(mdb_put(txn, dbi, &k, &v, 0), 0);
}

static void expect_record(MDB_txn *txn, MDB_dbi dbi)
{
	MDB_val k = { 1, "a" }, v;
	MDB_dbi sums;
	char want[40];

	expect_int(mdb_get(txn, dbi, &k, &v), 0);
	expect_int((long)v.mv_size, 6);
	expect(v.mv_size == 6 && !memcmp(v.mv_data, "0,-1,7", 6));
	snprintf(want, sizeof want, " frame_labels:%08lx", crc32(0, v.mv_data, (uInt)v.mv_size));
	expect_int(mdb_dbi_open(txn, "sums", 0, &sums), 0);
	expect_int(mdb_get(txn, sums, &k, &v), 0);
	expect(v.mv_size > strlen(want) &&
	       !memcmp((char *)v.mv_data + v.mv_size - strlen(want), want, strlen(want)));
}

static void damage(MDB_txn *txn, MDB_dbi dbi) { put_a(txn, dbi, "0,-1,6"); }
static void malformed(MDB_txn *txn, MDB_dbi dbi) { put_a(txn, dbi, "0,-1,"); }
static void drop(MDB_txn *txn, MDB_dbi dbi) { expect_int(mdb_drop(txn, dbi, 1), 0); }
static void remove_a(MDB_txn *txn, MDB_dbi dbi)
{
	MDB_val k = { 1, "a" };

	expect_int(mdb_del(txn, dbi, &k, NULL), 0);
}

ARPG_TEST(cache_without_labelled_clips_has_no_frame_labels)
{
	struct seen s;

	make("c", NULL, NULL);
	expect_int(cache_raw("c", "frame_labels", NULL), MDB_NOTFOUND);
	s = walk("c");
	expect_int(s.n, 2);
	expect_int(s.bad, 0);
	expect_int(s.labelled, 0);
}

ARPG_TEST(cache_frame_labels_round_trip_with_their_sum)
{
	signed char la[3] = { 0, -1, 7 }, lb[3] = { 127, 3, -1 };
	struct seen s;

	make("c", la, NULL);
	cache_raw("c", "frame_labels", expect_record);
	s = walk("c");
	expect_int(s.n, 2);
	expect_int(s.bad, 0);
	expect_int(s.labelled, 1);
	expect(!memcmp(s.labels[0], la, 3));
	make("d", la, lb);
	s = walk("d");
	expect_int(s.labelled, 2);
	expect(!memcmp(s.labels[1], lb, 3));
	/* a written again without labels: its record goes */
	make("d", NULL, lb);
	s = walk("d");
	expect_int(s.bad, 0);
	expect_int(s.labelled, 1);
}

ARPG_TEST(cache_frame_labels_damage_names_the_clip)
{
	signed char la[3] = { 0, -1, 7 };
	struct seen s;

	make("c", la, NULL);
	cache_raw("c", "frame_labels", damage);
	s = walk("c");
	expect_int(s.bad, 1);
	if (strncmp(s.why, "a: frame_labels: the record does not match its checksum", 54))
		arpg_test_fail(__FILE__, __LINE__, "reason '%s'", s.why);
	make("d", la, NULL);
	cache_raw("d", "frame_labels", remove_a);
	s = walk("d");
	expect_int(s.bad, 1);
	expect_str(s.why, "a: frame_labels: no record, but sums lists one");
	/* without sums (an unchecked cache) the record's form is still checked */
	make("e", la, NULL);
	cache_raw("e", "frame_labels", malformed);
	cache_raw("e", "sums", drop);
	s = walk("e");
	expect_int(s.bad, 1);
	expect_str(s.why, "a: frame_labels: not 3 labels (-1 to 127) joined by ','");
}
