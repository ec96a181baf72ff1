/* make_cache_seeds.c - writes the seed corpus of fuzz_cache: small caches'
 * data.mdb files, each exercising a part of the structure.  Not built by
 * make; after a change of the cache's layout, from a build directory:
 *
 *   cc -I../common ../tests/fuzz/make_cache_seeds.c common/.libs/libarpg.a \
 *      -llmdb -lz -lpng -lblis -lm -lpthread -o make_cache_seeds
 *   ./make_cache_seeds ../tests/fuzz/corpus/cache
 *
 * small: 3 clips, values inline in leaf pages; overflow: 2 clips of f16
 * records larger than a page, each written twice (free pages); deep: 150
 * clips, branch pages above the leaves; empty: meta only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cache.h"

static int make(const char *out, const char *name, int nclips, int big, int twice)
{
	struct arpg_cache *c;
	struct arpg_kv kv = ARPG_KV_INIT;
	struct arpg_clip_info info;
	int src[4] = { 0, 2, 4, 6 }, i, k;
	char faces[] = "1011", err[512], dir[4096], cmd[8400], id[32];
	uint32_t adims[2] = { 4, big ? 600 : 3 }, pdims[3] = { 4, 4, big ? 300 : 2 };
	size_t an_ = 8 + 8 + 4 * adims[0] * adims[1], pn_ = 8 + 12 + 4 * 4 * 4 * pdims[2];
	float *app = calloc(adims[0] * adims[1], 4), *patch = calloc(4 * 4 * pdims[2], 4);
	uint8_t *ab = malloc(an_), *pb = malloc(pn_);
	long an, pn;

	for (i = 0; i < (int)(adims[0] * adims[1]); i++)
		app[i] = (float)i / 7;
	for (i = 0; i < (int)(4 * 4 * pdims[2]); i++)
		patch[i] = (float)i / 3;
	an = arpg_tensor_encode(ab, big ? ARPG_F16 : ARPG_F32, 2, adims, app);
	pn = arpg_tensor_encode(pb, big ? ARPG_F16 : ARPG_F32, 3, pdims, patch);
	snprintf(dir, sizeof dir, "/tmp/arpg-seed-%d-%s", (int)getpid(), name);
	memset(&info, 0, sizeof info);
	info.label = "Happy", info.split = "train", info.subject = "s1";
	info.frames = 4, info.src = src, info.faces = faces;
	if (arpg_cache_open(&c, dir, ARPG_CACHE_WRITE, err, sizeof err) < 0)
		return fprintf(stderr, "%s: %s\n", dir, err), 1;
	arpg_kv_set(&kv, "format", ARPG_CACHE_FORMAT);
	arpg_kv_set(&kv, "grid", "2");
	arpg_kv_set(&kv, "labels", "Happy");
	arpg_cache_meta_put(c, &kv);
	for (k = 0; k <= twice; k++)
		for (i = 0; i < nclips; i++) {
			snprintf(id, sizeof id, "clip%04d", i);
			if (arpg_cache_put_clip(c, id, &info, ab, (size_t)an, pb, (size_t)pn) < 0)
				return fprintf(stderr, "%s: put failed\n", dir), 1;
		}
	arpg_cache_close(c);
	snprintf(cmd, sizeof cmd, "cp %s/data.mdb %s/%s && rm -r %s", dir, out, name, dir);
	arpg_kv_free(&kv);
	free(app), free(patch), free(ab), free(pb);
	return system(cmd) != 0;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return fprintf(stderr, "usage: make_cache_seeds OUTDIR\n"), 2;
	return make(argv[1], "small", 3, 0, 0) | make(argv[1], "overflow", 2, 1, 1) |
	       make(argv[1], "deep", 150, 0, 0) | make(argv[1], "empty", 0, 0, 0);
}
