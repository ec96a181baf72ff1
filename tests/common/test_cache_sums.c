/* test_cache_sums.c - every clip's records carry a CRC-32 in the sums
 * database: written with the clip, matched on every read (a changed byte
 * marks the clip bad, naming the record), absent from older caches (their
 * clips read, marked unchecked).  The cache is changed behind the API with
 * LMDB itself, as damage or an older arpg-features would leave it.  A held
 * snapshot (arpg_cache_hold) keeps the records checked in it. */
#include "harness.h"
#include "cache.h"
#include "cache_raw.h"
#include "error.h"

#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

struct got {
	int n, bad, unchecked;
	char why[300];
};

static int look(void *ctx, const struct arpg_cache_clip *clip)
{
	struct got *g = ctx;

	g->n++;
	g->bad += clip->bad != 0;
	g->unchecked += clip->unchecked;
	if (clip->bad)
		snprintf(g->why, sizeof g->why, "%.60s: %s", clip->id, clip->why);
	return 0;
}

/* A cache at dir with clips a and b. */
static void make(const char *dir)
{
	struct arpg_cache *c;
	struct arpg_clip_info info;
	struct arpg_kv kv = ARPG_KV_INIT;
	int src[2] = { 0, 5 };
	char faces[] = "10", err[200];
	uint32_t adims[2] = { 2, 3 }, pdims[3] = { 2, 4, 5 };
	float app[6] = { 1, 2, 3, 4, 5, 6 }, patch[40] = { 0 };
	uint8_t ab[128], pb[512];
	long an = arpg_tensor_encode(ab, ARPG_F32, 2, adims, app);
	long pn = arpg_tensor_encode(pb, ARPG_F32, 3, pdims, patch);

	memset(&info, 0, sizeof info);
	info.label = "Sad", info.split = "val", info.subject = "";
	info.frames = 2, info.src = src, info.faces = faces;
	expect_int(arpg_cache_open(&c, dir, ARPG_CACHE_WRITE, err, sizeof err), 0);
	expect_int(arpg_kv_set(&kv, "format", ARPG_CACHE_FORMAT), 0);
	expect_int(arpg_cache_meta_put(c, &kv), 0);
	expect_int(arpg_cache_put_clip(c, "a", &info, ab, (size_t)an, pb, (size_t)pn), 0);
	expect_int(arpg_cache_put_clip(c, "b", &info, ab, (size_t)an, pb, (size_t)pn), 0);
	arpg_cache_close(c);
	arpg_kv_free(&kv);
}

static void drop_sums(MDB_txn *txn, MDB_dbi unused)
{
	MDB_dbi dbi;

	expect_int(mdb_dbi_open(txn, "sums", 0, &dbi), 0);
	expect_int(mdb_drop(txn, dbi, 1), 0);
}

/* One bit of clip b's app record changed, its sums left. */
static void flip_app(MDB_txn *txn, MDB_dbi unused)
{
	MDB_dbi dbi;
	MDB_val k = { 1, "b" }, v, w;
	unsigned char buf[256];

	expect_int(mdb_dbi_open(txn, "app", 0, &dbi), 0);
	expect_int(mdb_get(txn, dbi, &k, &v), 0);
	expect(v.mv_size <= sizeof buf);
	memcpy(buf, v.mv_data, v.mv_size);
	buf[v.mv_size - 1] ^= 1;
	w.mv_size = v.mv_size;
	w.mv_data = buf;
	expect_int(mdb_put(txn, dbi, &k, &w, 0), 0);
}

/* The sums value is what Python's zlib.crc32 gives, as arpg-cache(5) says. */
static void check_line(MDB_txn *txn, MDB_dbi unused)
{
	MDB_dbi s, a, p, cl;
	MDB_val k = { 1, "a" }, vs, va, vp, vc;
	char want[80];

	expect_int(mdb_dbi_open(txn, "sums", 0, &s), 0);
	expect_int(mdb_dbi_open(txn, "app", 0, &a), 0);
	expect_int(mdb_dbi_open(txn, "patch", 0, &p), 0);
	expect_int(mdb_dbi_open(txn, "clips", 0, &cl), 0);
	expect_int(mdb_get(txn, s, &k, &vs), 0);
	expect_int(mdb_get(txn, a, &k, &va), 0);
	expect_int(mdb_get(txn, p, &k, &vp), 0);
	expect_int(mdb_get(txn, cl, &k, &vc), 0);
	snprintf(want, sizeof want, "clips:%08lx app:%08lx patch:%08lx",
		 crc32(0, vc.mv_data, (uInt)vc.mv_size), crc32(0, va.mv_data, (uInt)va.mv_size),
		 crc32(0, vp.mv_data, (uInt)vp.mv_size));
	expect_int((long)vs.mv_size, (long)strlen(want));
	expect(!memcmp(vs.mv_data, want, vs.mv_size));
}

static struct got walk(const char *dir)
{
	struct arpg_cache *c;
	struct got g = { 0 };
	char err[300];

	expect_int(arpg_cache_open(&c, dir, ARPG_CACHE_READ, err, sizeof err), 0);
	if (c)
		expect_int(arpg_cache_foreach(c, look, &g), 0);
	arpg_cache_close(c);
	return g;
}

ARPG_TEST(cache_sums_are_zlib_crc32_of_each_record)
{
	struct got g;

	make("c");
	cache_raw("c", NULL, check_line);
	g = walk("c");
	expect_int(g.n, 2);
	expect_int(g.bad, 0);
	expect_int(g.unchecked, 0);
}

ARPG_TEST(cache_sums_find_a_changed_bit_and_name_the_clip)
{
	struct got g;

	make("c");
	cache_raw("c", NULL, flip_app);
	g = walk("c");
	expect_int(g.n, 2);
	expect_int(g.bad, 1);
	if (strncmp(g.why, "b: app: the record does not match its checksum", 46))
		arpg_test_fail(__FILE__, __LINE__, "reason '%s'", g.why);
}

ARPG_TEST(cache_without_sums_reads_unchecked)
{
	struct got g;
	struct arpg_cache *c;
	char err[300];

	make("c");
	cache_raw("c", NULL, drop_sums);
	g = walk("c");
	expect_int(g.n, 2);
	expect_int(g.bad, 0);
	expect_int(g.unchecked, 2);
	/* a writer adds sums for the clips it writes from then on */
	expect_int(arpg_cache_open(&c, "c", ARPG_CACHE_WRITE, err, sizeof err), 0);
	arpg_cache_close(c);
	g = walk("c");
	expect_int(g.unchecked, 2);
}

/* The views of a held walk, kept past it. */
struct kept {
	struct arpg_tensor_view app[2];
	int n, bad;
};

static int keep(void *ctx, const struct arpg_cache_clip *clip)
{
	struct kept *k = ctx;

	k->bad += clip->bad != 0;
	if (k->n < 2)
		k->app[k->n++] = clip->app;
	return 0;
}

/* Rewrites clip a with other values, in a child process (LMDB wants an
 * environment opened once per process). */
static void rewrite_a(const char *dir)
{
	pid_t pid = fork();
	int status = -1;

	if (pid == 0) {
		struct arpg_cache *c;
		struct arpg_clip_info info = { 0 };
		int src[2] = { 0, 5 }, ok = 1;
		char faces[] = "10", err[200];
		uint32_t adims[2] = { 2, 3 }, pdims[3] = { 2, 4, 5 };
		float app[6] = { -1, -2, -3, -4, -5, -6 }, patch[40] = { 0 };
		uint8_t ab[128], pb[512];
		long an = arpg_tensor_encode(ab, ARPG_F32, 2, adims, app);
		long pn = arpg_tensor_encode(pb, ARPG_F32, 3, pdims, patch);

		info.label = "Sad", info.split = "val", info.subject = "";
		info.frames = 2, info.src = src, info.faces = faces;
		ok = arpg_cache_open(&c, dir, ARPG_CACHE_WRITE, err, sizeof err) == 0;
		for (int i = 0; ok && i < 20; i++)	/* pages freed and reused */
			ok = arpg_cache_put_clip(c, "a", &info, ab, (size_t)an, pb, (size_t)pn) == 0;
		arpg_cache_close(c);
		_exit(ok ? 0 : 1);
	}
	expect(pid > 0 && waitpid(pid, &status, 0) == pid);
	expect(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

ARPG_TEST(a_held_snapshot_keeps_its_views_past_the_walk_and_a_writer)
{
	struct arpg_cache *c;
	struct kept k = { 0 }, after = { 0 };
	float v[6];
	char err[300];

	make("c");
	expect_int(arpg_cache_open(&c, "c", ARPG_CACHE_READ, err, sizeof err), 0);
	if (!c)
		return;
	expect_int(arpg_cache_hold(c), 0);
	expect_int(arpg_cache_hold(c), 0);	/* again: the same snapshot */
	expect_int(arpg_cache_foreach(c, keep, &k), 0);
	expect_int(k.n, 2);
	expect_int(k.bad, 0);
	rewrite_a("c");
	/* the walk is over and the writer has committed: the held views
	 * still read what was checked */
	arpg_tensor_to_f32(v, &k.app[0]);
	for (int i = 0; i < 6; i++)
		expect(v[i] == (float)(i + 1));
	expect_int(arpg_cache_get_clip(c, "a", keep, &after), 0);
	arpg_tensor_to_f32(v, &after.app[0]);
	expect(v[0] == 1);	/* get_clip reads the held snapshot too */
	arpg_cache_release(c);
	memset(&after, 0, sizeof after);
	expect_int(arpg_cache_get_clip(c, "a", keep, &after), 0);
	arpg_tensor_to_f32(v, &after.app[0]);
	expect(v[0] == -1);	/* released: the new version */
	expect_int(after.bad, 0);
	arpg_cache_close(c);
}

ARPG_TEST(a_writer_cannot_hold)
{
	struct arpg_cache *c;
	char err[300];

	expect_int(arpg_cache_open(&c, "w", ARPG_CACHE_WRITE, err, sizeof err), 0);
	if (c)
		expect_int(arpg_cache_hold(c), ARPG_EINVAL);
	arpg_cache_close(c);
}
