/* Fuzz the cache reader on damaged LMDB files, not only damaged records: the
 * input is a whole data.mdb.  Every reader path runs on it (open, meta, the
 * walk over every clip with its checksums, one clip by id, the count), and a
 * quarter of the inputs (by their last byte) are also opened by a writer
 * that adds a clip.  Any signal inside liblmdb is a crash here. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256];

static void cleanup(void)
{
	static const char *const files[] = { "data.mdb", "lock.mdb" };
	char path[300];
	size_t i;

	for (i = 0; i < sizeof files / sizeof *files; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

static int touch(void *ctx, const struct arpg_cache_clip *clip)
{
	float *sum = ctx, v[1];
	struct arpg_tensor_view one;

	if (clip->bad)
		return 0;
	/* read a value at each end of both records */
	if (clip->app.count) {
		one = clip->app;
		one.rank = 1, one.dims[0] = 1, one.count = 1;
		arpg_tensor_to_f32(v, &one);
		*sum += v[0];
	}
	if (clip->patch.count) {
		one = clip->patch;
		one.data += (clip->patch.count - 1) * (clip->patch.dtype == ARPG_F16 ? 2 : 4);
		one.rank = 1, one.dims[0] = 1, one.count = 1;
		arpg_tensor_to_f32(v, &one);
		*sum += v[0];
	}
	return 0;
}

static int meta_len(void *ctx, const char *key, const char *val)
{
	*(size_t *)ctx += strlen(key) + strlen(val);
	return 0;
}

static void write_one(void)
{
	struct arpg_cache *c;
	struct arpg_clip_info info;
	int src[2] = { 0, 1 };
	char faces[] = "11", err[512];
	uint32_t adims[2] = { 2, 2 }, pdims[3] = { 2, 1, 2 };
	float app[4] = { 1, 2, 3, 4 }, patch[4] = { 5, 6, 7, 8 };
	uint8_t ab[64], pb[64];
	long an = arpg_tensor_encode(ab, ARPG_F32, 2, adims, app);
	long pn = arpg_tensor_encode(pb, ARPG_F32, 3, pdims, patch);

	memset(&info, 0, sizeof info);
	info.label = "Happy", info.split = "train", info.subject = "";
	info.frames = 2, info.src = src, info.faces = faces;
	if (arpg_cache_open(&c, dir, ARPG_CACHE_WRITE, err, sizeof err) < 0)
		return;
	arpg_cache_set_map_limit(c, 64 << 20);
	if (arpg_cache_put_clip(c, "fuzz", &info, ab, (size_t)an, pb, (size_t)pn) == 0 &&
	    arpg_cache_has_clip(c, "fuzz") != 1)
		__builtin_trap();	/* written, then not there */
	arpg_cache_close(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arpg_cache *c;
	char path[300], err[512];
	float sum = 0;
	size_t mlen = 0;
	FILE *f;
	long n;

	if (!dir[0]) {
		const char *t = getenv("TMPDIR");

		snprintf(dir, sizeof dir, "%s/arpg-fuzz-cache.XXXXXX",
			 t ? t : access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
		if (!mkdtemp(dir))
			abort();
		atexit(cleanup);
	}
	snprintf(path, sizeof path, "%s/data.mdb", dir);
	if (!(f = fopen(path, "wb")) || (size && fwrite(data, size, 1, f) != 1) || fclose(f))
		abort();
	if (arpg_cache_open(&c, dir, ARPG_CACHE_READ, err, sizeof err) == 0) {
		arpg_cache_meta_foreach(c, meta_len, &mlen);
		arpg_cache_foreach(c, touch, &sum);
		arpg_cache_get_clip(c, "clip0001", touch, &sum);
		arpg_cache_count(c, &n);
		arpg_cache_close(c);
	}
	if (size && (data[size - 1] & 3) == 0)
		write_one();
	return 0;
}
