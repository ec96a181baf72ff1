/* The LMDB cache: clips round trip, meta, growth, limits, bad values. */
#include "harness.h"
#include "cache.h"
#include "error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void make_info(struct arpg_clip_info *info, int T, int *src, char *faces)
{
	int t;

	memset(info, 0, sizeof *info);
	info->label = "Happy";
	info->split = "train";
	info->subject = "s1";
	info->frames = T;
	info->src = src;
	info->faces = faces;
	for (t = 0; t < T; t++) {
		src[t] = 3 * t;
		faces[t] = t == 1 ? '0' : '1';
	}
	faces[T] = 0;
}

static void put_meta(struct arpg_cache *c)
{
	struct arpg_kv kv = ARPG_KV_INIT;

	expect_int(arpg_kv_set(&kv, "format", ARPG_CACHE_FORMAT), 0);
	expect_int(arpg_kv_set(&kv, "grid", "6"), 0);
	expect_int(arpg_cache_meta_put(c, &kv), 0);
	arpg_kv_free(&kv);
}

struct seen {
	int n, bad;
	float app0;
	char id[64];
};

static int count_clip(void *ctx, const struct arpg_cache_clip *clip)
{
	struct seen *s = ctx;
	float v[4];

	s->n++;
	s->bad += clip->bad != 0;
	if (!clip->bad && clip->app.count >= 1) {
		arpg_tensor_to_f32(v, &(struct arpg_tensor_view){ clip->app.dtype, 1, { 1 }, 1,
								   clip->app.data });
		s->app0 = v[0];
		snprintf(s->id, sizeof s->id, "%s/%s/%d", clip->id, clip->info.label,
			 clip->info.src[2]);
	}
	return 0;
}

ARPG_TEST(cache_round_trips_a_clip)
{
	struct arpg_cache *c;
	struct arpg_clip_info info;
	struct seen s = { 0 };
	int src[4];
	char faces[5], err[200], *val;
	uint32_t adims[2] = { 4, 3 }, pdims[3] = { 4, 2, 5 };
	float app[12], patch[40];
	uint8_t ab[256], pb[512];
	long an, pn, count;
	int i;

	for (i = 0; i < 40; i++)
		patch[i] = (float)i;
	for (i = 0; i < 12; i++)
		app[i] = 0.5f + i;
	make_info(&info, 4, src, faces);
	an = arpg_tensor_encode(ab, ARPG_F32, 2, adims, app);
	pn = arpg_tensor_encode(pb, ARPG_F16, 3, pdims, patch);
	expect_int(arpg_cache_open(&c, "c.lmdb", ARPG_CACHE_WRITE, err, sizeof err), 0);
	put_meta(c);
	expect_int(arpg_cache_has_clip(c, "clip1"), 0);
	expect_int(arpg_cache_put_clip(c, "clip1", &info, ab, (size_t)an, pb, (size_t)pn), 0);
	expect_int(arpg_cache_has_clip(c, "clip1"), 1);
	arpg_cache_close(c);

	expect_int(arpg_cache_open(&c, "c.lmdb", ARPG_CACHE_READ, err, sizeof err), 0);
	expect_int(arpg_cache_count(c, &count), 0);
	expect_int(count, 1);
	expect_int(arpg_cache_meta_get(c, "grid", &val), 0);
	expect_str(val, "6");
	free(val);
	expect_int(arpg_cache_meta_get(c, "nothing", &val), ARPG_ENOENT);
	{
		struct arpg_kv kv = ARPG_KV_INIT;

		expect_int(arpg_cache_meta_read(c, &kv), 0);
		expect_int(kv.n, 2);
		expect_str(arpg_kv_get(&kv, "format"), ARPG_CACHE_FORMAT);
		expect_str(arpg_kv_get(&kv, "grid"), "6");
		arpg_kv_free(&kv);
	}
	expect_int(arpg_cache_foreach(c, count_clip, &s), 0);
	expect_int(s.n, 1);
	expect_int(s.bad, 0);
	expect_near(s.app0, 0.5, 0);
	expect_str(s.id, "clip1/Happy/6");
	expect_int(arpg_cache_get_clip(c, "nope", count_clip, &s), ARPG_ENOENT);
	arpg_cache_close(c);
}

ARPG_TEST(cache_grows_its_map_and_honours_a_limit)
{
	struct arpg_cache *c;
	struct arpg_clip_info info;
	int src[1], i, rc = 0;
	char faces[2], err[200], id[32];
	uint32_t dims[1] = { 4 << 20 };		/* 16 MiB of f32 per record */
	size_t n = arpg_tensor_record_size(ARPG_F32, 1, dims[0]);
	float *v = calloc(dims[0], sizeof *v);
	uint8_t *rec = malloc(n);
	long count;

	make_info(&info, 1, src, faces);
	arpg_tensor_encode(rec, ARPG_F32, 1, dims, v);
	expect_int(arpg_cache_open(&c, "g.lmdb", ARPG_CACHE_WRITE, err, sizeof err), 0);
	put_meta(c);
	for (i = 0; i < 4; i++) {	/* 128 MiB, past the 64 MiB first map */
		snprintf(id, sizeof id, "clip%d", i);
		expect_int(arpg_cache_put_clip(c, id, &info, rec, n, rec, n), 0);
	}
	arpg_cache_set_map_limit(c, 160u << 20);
	for (i = 4; i < 10 && rc == 0; i++) {
		snprintf(id, sizeof id, "clip%d", i);
		rc = arpg_cache_put_clip(c, id, &info, rec, n, rec, n);
	}
	expect_int(rc, ARPG_EFULL);
	expect_int(arpg_cache_count(c, &count), 0);
	expect_int(count, i - 1);	/* the failed clip left nothing behind */
	expect_int(arpg_cache_has_clip(c, id), 0);
	arpg_cache_close(c);
	free(v);
	free(rec);
}

ARPG_TEST(cache_refuses_what_is_not_a_cache)
{
	struct arpg_cache *c;
	char err[200];

	expect_int(arpg_cache_open(&c, "absent.lmdb", ARPG_CACHE_READ, err, sizeof err), ARPG_ENOENT);
	expect(strstr(err, "arpg-features") != NULL);
	expect_int(arpg_cache_open(&c, "new.lmdb", ARPG_CACHE_WRITE, err, sizeof err), 0);
	arpg_cache_close(c);
	expect_int(arpg_cache_open(&c, "new.lmdb", ARPG_CACHE_READ, err, sizeof err), ARPG_EFORMAT);
	expect_int(arpg_cache_open(&c, "new.lmdb", ARPG_CACHE_WRITE, err, sizeof err), 0);
	expect_int(arpg_cache_meta_set(c, "format", "arpg-cache 9"), 0);
	arpg_cache_close(c);
	expect_int(arpg_cache_open(&c, "new.lmdb", ARPG_CACHE_READ, err, sizeof err), ARPG_EMISMATCH);
	expect(strstr(err, "arpg-cache 9") != NULL);
}

/* Copies the fuzz seed name into dir/data.mdb. */
static void place_seed(const char *name, const char *dir)
{
	char src[1024], dst[1024], cmd[1100], buf[8192];
	FILE *in, *out;
	size_t len;

	snprintf(src, sizeof src, "%s/tests/fuzz/corpus/cache/%s", arpg_test_srcdir(), name);
	snprintf(cmd, sizeof cmd, "mkdir -p %s", dir);
	snprintf(dst, sizeof dst, "%s/data.mdb", dir);
	expect((in = fopen(src, "rb")) != NULL);
	expect(system(cmd) == 0);
	expect((out = fopen(dst, "wb")) != NULL);
	if (!in || !out)
		return;
	while ((len = fread(buf, 1, sizeof buf, in)) > 0)
		expect(fwrite(buf, 1, len, out) == len);
	fclose(in);
	expect(fclose(out) == 0);
}

/* A file whose two LMDB meta pages disagree (found by fuzz_cache): the
 * size it asks to be mapped at never settles.  Reported as damaged, with
 * what to do, instead of remapping for ever. */
ARPG_TEST(cache_refuses_a_map_size_that_never_settles)
{
	struct arpg_cache *c;
	char err[400];

	place_seed("map-size-never-settles", "settles.lmdb");
	expect_int(arpg_cache_open(&c, "settles.lmdb", ARPG_CACHE_READ, err, sizeof err),
		   ARPG_EDAMAGED);
	expect(strstr(err, "does not settle") != NULL);
	expect(strstr(err, "arpg-features --force") != NULL);
}

/* Files on which a writer crashed inside liblmdb (found by fuzz_cache): a
 * main database whose keys are out of order, so LMDB misses the databases
 * it has and corrupts the tree adding them; a free list naming a page the
 * tree uses, which LMDB would hand out and write over.  And one made from
 * the seed "deep": a leaf's last key raised past the next key of its
 * parent, in order within its own page, so LMDB's search misses it.  And a
 * leaf page carrying LMDB's in-memory "loose" flag: a writer skips writing
 * its copy of that page, and the clip it put there is lost with the
 * page's others while every call returns success.  Refused, with what to
 * do, before LMDB writes; all but the free list by readers too. */
ARPG_TEST(cache_refuses_trees_a_writer_would_break)
{
	static const struct {
		const char *seed, *why;
		int readers_too;
	} cases[] = {
		{ "keys-out-of-order", "out of order", 1 },
		{ "free-page-in-use", "which is in use", 0 },
		{ "key-past-parent-bound", "past its parent's bound", 1 },
		{ "loose-page-flag", "not a branch or leaf page (flags 0x6802)", 1 },
	};
	struct arpg_cache *c;
	char err[400];
	size_t i;
	int mode;

	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		place_seed(cases[i].seed, "broken.lmdb");
		for (mode = !cases[i].readers_too; mode < 2; mode++) {
			err[0] = 0;
			expect_int(arpg_cache_open(&c, "broken.lmdb", mode ? ARPG_CACHE_WRITE
									 : ARPG_CACHE_READ,
						   err, sizeof err), ARPG_EDAMAGED);
			expect(strstr(err, cases[i].why) != NULL);
			expect(strstr(err, "arpg-features --force") != NULL);
		}
	}
}

ARPG_TEST(clip_info_round_trips_and_rejects_bad_values)
{
	struct arpg_clip_info a, b = { 0 };
	int src[3];
	char faces[4], err[200], *line;
	size_t len;

	make_info(&a, 3, src, faces);
	a.subject = "";
	expect_int(arpg_clip_info_format(&line, &len, &a), 0);
	expect_str(line, "Happy\ttrain\t\t3\t0,3,6\t101");
	expect_int(arpg_clip_info_parse(&b, line, len, err, sizeof err), 0);
	expect_int(b.frames, 3);
	expect_int(b.src[2], 6);
	expect_str(b.faces, "101");
	expect_str(b.subject, "");
	free(line);
#define BAD(s) expect_int(arpg_clip_info_parse(&b, s, strlen(s), err, sizeof err), ARPG_EFORMAT)
	BAD("Happy\ttrain\t\t3\t0,3\t101");
	BAD("Happy\ttrain\t\t3\t0,3,6\t10");
	BAD("Happy\ttrain\t\t3\t0,3,6\t1x1");
	BAD("Happy\ttrain\t\t0\t\t");
	BAD("Happy\ttrain\t\t3\t0,-3,6\t101");
	BAD("Happy\ttrain\t3\t0,3,6\t101");
	BAD("Happy\ttrain\t\t3\t0,3,6\t101\textra");
	BAD("Happy\ttrain\t\t3\t0,3,6,\t101");
#undef BAD
	arpg_clip_info_free(&b);
}

ARPG_TEST(the_layout_reads_grid_lists_and_views_from_meta)
{
	struct arpg_cache_layout l;
	struct arpg_kv meta = ARPG_KV_INIT;
	char err[200] = "";

	expect_int(arpg_kv_set(&meta, "grid", "6"), 0);
	expect_int(arpg_cache_layout_read(&l, &meta, err, sizeof err), 0);
	expect_int(l.ngrids, 1);
	expect_int(l.nodes, 36);
	expect_int(l.views, 1);		/* no flip key: a cache made before it */
	expect_int(arpg_kv_set(&meta, "grid", "4,6,7,8"), 0);
	expect_int(arpg_kv_set(&meta, "flip", "yes"), 0);
	expect_int(arpg_cache_layout_read(&l, &meta, err, sizeof err), 0);
	expect_int(l.ngrids, 4);
	expect_int(l.grids[2], 7);
	expect_int(l.nodes, 16 + 36 + 49 + 64);
	expect_int(l.views, 2);
	expect_int(arpg_cache_grid_offset(&l, 4), 0);
	expect_int(arpg_cache_grid_offset(&l, 7), 16 + 36);
	expect_int(arpg_cache_grid_offset(&l, 5), -1);
	expect_int(arpg_kv_set(&meta, "flip", "no"), 0);
	expect_int(arpg_cache_layout_read(&l, &meta, err, sizeof err), 0);
	expect_int(l.views, 1);
	static const char *const bad[] = { "", "0", "65", "6,", ",6", "6,,7", "6,6", "6 ,7", "-6",
					   "1,2,3,4,5,6,7,8,9", "99999999999999999999", "6x" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		expect_int(arpg_kv_set(&meta, "grid", bad[i]), 0);
		if (arpg_cache_layout_read(&l, &meta, err, sizeof err) != ARPG_EFORMAT)
			arpg_test_fail(__FILE__, __LINE__, "grid \"%s\" was taken", bad[i]);
	}
	expect(strstr(err, "not a list of up to 8 distinct numbers from 1 to 64") != NULL);
	expect_int(arpg_kv_set(&meta, "grid", "1,2,3,4,5,6,7,8"), 0);	/* 8: the most */
	expect_int(arpg_kv_set(&meta, "flip", "true"), 0);
	expect_int(arpg_cache_layout_read(&l, &meta, err, sizeof err), ARPG_EFORMAT);
	expect(strstr(err, "flip") != NULL);
	arpg_kv_free(&meta);
	memset(&meta, 0, sizeof meta);
	expect_int(arpg_cache_layout_read(&l, &meta, err, sizeof err), ARPG_EFORMAT);
	expect(strstr(err, "no grid") != NULL);
}
