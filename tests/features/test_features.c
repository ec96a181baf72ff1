/* test_features.c - unit tests of arpg-features' modules: pooling, frame
 * sampling, sharding, HOG, labels, .npy. */
#include "backbone_hog.h"
#include "error.h"
#include "extract.h"
#include "image.h"
#include "harness.h"
#include "hog.h"
#include "meta.h"
#include "npy.h"
#include "pool.h"
#include "sample.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

ARPG_TEST(pool_bins_as_pytorch)
{
	int s, e;

	/* H = 13, G = 6: starts floor(i*13/6), ends ceil((i+1)*13/6) */
	pool_bin(0, 13, 6, &s, &e);
	expect_int(s, 0); expect_int(e, 3);
	pool_bin(1, 13, 6, &s, &e);
	expect_int(s, 2); expect_int(e, 5);
	pool_bin(5, 13, 6, &s, &e);
	expect_int(s, 10); expect_int(e, 13);
	/* G > H: bins repeat rows */
	pool_bin(1, 2, 3, &s, &e);
	expect_int(s, 0); expect_int(e, 2);
}

ARPG_TEST(pool_hand_computed)
{
	/* one channel 3x3 -> 2x2: bins rows [0,2) [1,3), cols the same */
	const float in[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	float out[4], nodes[8];
	const float in2[18] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 30, 40, 50, 60, 70, 80, 90 };

	pool_adaptive_avg(out, in, 1, 3, 3, 2);
	expect_near(out[0], (1 + 2 + 4 + 5) / 4.0, 1e-6);
	expect_near(out[1], (2 + 3 + 5 + 6) / 4.0, 1e-6);
	expect_near(out[2], (4 + 5 + 7 + 8) / 4.0, 1e-6);
	expect_near(out[3], (5 + 6 + 8 + 9) / 4.0, 1e-6);
	/* 3x3 -> 1x1 is the mean; node-major with two channels */
	pool_adaptive_avg_nodes(nodes, in2, 2, 3, 3, 2);
	expect_near(nodes[0], 3.0, 1e-6);	/* node 0, channel 0 */
	expect_near(nodes[1], 30.0, 1e-6);	/* node 0, channel 1 */
	expect_near(nodes[7], 70.0, 1e-6);	/* node 3, channel 1 */
	pool_adaptive_avg(out, in, 1, 3, 3, 1);
	expect_near(out[0], 5.0, 1e-6);
}

ARPG_TEST(sample_uniform_and_repeat)
{
	int idx[16], n;

	n = sample_frames(idx, 10, 4);	/* floor((i+.5)*10/4) = 1 3 6 8 */
	expect_int(n, 4);
	expect_int(idx[0], 1); expect_int(idx[1], 3); expect_int(idx[2], 6); expect_int(idx[3], 8);
	n = sample_frames(idx, 2, 4);	/* n < T repeats: 0 0 1 1 */
	expect_int(idx[0], 0); expect_int(idx[1], 0); expect_int(idx[2], 1); expect_int(idx[3], 1);
	n = sample_frames(idx, 5, 0);
	expect_int(n, 5);
	expect_int(idx[4], 4);
	n = sample_frames(idx, 16, 16);
	expect_int(idx[15], 15);
}

ARPG_TEST(shard_hash_and_parse)
{
	int k, n;

	/* FNV-1a 64 reference values */
	expect(fnv1a64("") == 0xcbf29ce484222325ULL);
	expect(fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
	expect(fnv1a64("foobar") == 0x85944171f73967e8ULL);
	expect_int(shard_parse("1/4", &k, &n), 0);
	expect_int(k, 1); expect_int(n, 4);
	expect_int(shard_parse("4/4", &k, &n), ARPG_EINVAL);
	expect_int(shard_parse("1", &k, &n), ARPG_EINVAL);
	expect_int(shard_parse("-1/2", &k, &n), ARPG_EINVAL);
	expect_int(shard_parse("0/2x", &k, &n), ARPG_EINVAL);
}

ARPG_TEST(hog_flat_image_is_zero)
{
	struct arpg_image im;
	float *d;
	int bx, by, i, nz = 0;

	hog_blocks(112, 112, &bx, &by);
	expect_int(bx, 13); expect_int(by, 13);
	arpg_image_alloc(&im, 112, 112, 1);
	memset(im.px, 77, 112 * 112);
	d = malloc(sizeof *d * 13 * 13 * 36);
	expect_int(hog_compute(d, &im), 0);
	for (i = 0; i < 13 * 13 * 36; i++)
		nz += d[i] != 0;
	expect_int(nz, 0);
	free(d);
	arpg_image_free(&im);
}

ARPG_TEST(hog_orientation_bins)
{
	struct arpg_image im;
	float d[36];
	int x, y, k;

	/* 16x16: one block.  A horizontal ramp has gradient angle 0: bins 8 and 0
	 * (centres 170 and 10 degrees) get equal shares. */
	arpg_image_alloc(&im, 16, 16, 1);
	for (y = 0; y < 16; y++)
		for (x = 0; x < 16; x++)
			im.px[y * 16 + x] = (uint8_t)(x * 10);
	expect_int(hog_compute(d, &im), 0);
	expect(d[0] > 0.1f);
	expect_near(d[0], d[8], 1e-6);
	for (k = 1; k < 8; k++)
		expect_near(d[k], 0, 1e-7);
	/* a vertical ramp: angle 90 degrees, centre of bin 4 exactly */
	for (y = 0; y < 16; y++)
		for (x = 0; x < 16; x++)
			im.px[y * 16 + x] = (uint8_t)(y * 10);
	expect_int(hog_compute(d, &im), 0);
	expect(d[4] > 0.1f);
	for (k = 0; k < 9; k++)
		if (k != 4)
			expect_near(d[k], 0, 1e-6);
	/* L2-Hys: unit norm, nothing above 0.2 before the final rescale */
	{
		double ss = 0;

		for (k = 0; k < 36; k++)
			ss += d[k] * d[k];
		expect_near(ss, 1.0, 1e-4);
	}
	arpg_image_free(&im);
}

ARPG_TEST(hog_backbone_shapes_and_rgb)
{
	struct backbone *b;
	struct arpg_image im[2];
	float *app, *patch;
	char err[200];
	int i;

	expect_int(backbone_open_hog(&b, 112, 4, err, sizeof err), 0);
	expect_int(b->app_dim, 6084);
	expect_int(b->patch_c, 36); expect_int(b->patch_h, 13); expect_int(b->patch_w, 13);
	expect_int((int)strlen(b->sha256), 64);
	arpg_image_alloc(&im[0], 112, 112, 3);
	arpg_image_alloc(&im[1], 112, 112, 1);
	for (i = 0; i < 112 * 112; i++) {
		int v = (i * 7 + (i / 112) * 3) % 251;

		im[0].px[3 * i] = im[0].px[3 * i + 1] = im[0].px[3 * i + 2] = (uint8_t)v;
		im[1].px[i] = (uint8_t)v;
	}
	app = malloc(sizeof *app * 2 * 6084);
	patch = malloc(sizeof *patch * 2 * 36 * 169);
	expect_int(b->run(b, 2, im, app, patch, err, sizeof err), 0);
	/* grey RGB and grey give the same descriptor (weights sum to 1) */
	for (i = 0; i < 6084; i++)
		if (fabsf(app[i] - app[6084 + i]) > 1e-3f) {
			expect_near(app[i], app[6084 + i], 1e-3);
			break;
		}
	/* patch (36, 13, 13) is the transpose of app (13, 13, 36) */
	expect_near(patch[5 * 169 + 20], app[20 * 36 + 5], 0);
	b->free(b);
	arpg_image_free(&im[0]);
	arpg_image_free(&im[1]);
	free(app);
	free(patch);
}

ARPG_TEST(labels_sorted_union)
{
	char *l = NULL;

	expect_int(labels_add(&l, "Sad"), 1);
	expect_int(labels_add(&l, "Angry"), 1);
	expect_int(labels_add(&l, "Sad"), 0);
	expect_int(labels_add(&l, "Happy,Angry,"), 1);
	expect_str(l, "Angry,Happy,Sad");
	free(l);
}

ARPG_TEST(npy_header)
{
	const float v[6] = { 1, 2, 3, 4, 5, 6 };
	const uint32_t dims[2] = { 2, 3 };
	unsigned char buf[300];
	FILE *f;
	size_t n;

	expect_int(npy_write_f32("a.npy", v, 2, dims), 0);
	f = fopen("a.npy", "rb");
	n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	expect_int(n, 128 + 24);
	expect(!memcmp(buf, "\x93NUMPY\x01\x00", 8));
	expect_int(buf[8] | buf[9] << 8, 128 - 10);
	expect(strstr((char *)buf + 10, "'shape': (2, 3)") != NULL);
	expect_int(buf[127], '\n');
}

/* Compares with PyTorch when $PYTHON3 has torch; skips otherwise. */
ARPG_TEST(pool_matches_pytorch)
{
	static const int shapes[][4] = { { 3, 13, 11, 6 }, { 2, 5, 5, 7 }, { 4, 14, 14, 4 } };
	const char *py = getenv("PYTHON3");
	char cmd[4096];
	int s, i, rc, mism = 0;

	if (!py || !*py)
		skip("PYTHON3 not set");
	for (s = 0; s < 3; s++) {
		int C = shapes[s][0], H = shapes[s][1], W = shapes[s][2], G = shapes[s][3];
		uint32_t dims[3] = { (uint32_t)C, (uint32_t)H, (uint32_t)W };
		size_t n = (size_t)C * H * W, m = (size_t)C * G * G;
		float *in = malloc(sizeof *in * n), *out = malloc(sizeof *out * m);
		FILE *p;
		double v;

		for (i = 0; i < (int)n; i++)
			in[i] = (float)((i * 37 % 101) - 50) / 7.0f;
		expect_int(npy_write_f32("in.npy", in, 3, dims), 0);
		pool_adaptive_avg(out, in, C, H, W, G);
		snprintf(cmd, sizeof cmd, "'%s' '%s/tests/features/test_features_pool.py' in.npy %d", py,
			 arpg_test_srcdir(), G);
		p = popen(cmd, "r");
		for (i = 0; p && i < (int)m && fscanf(p, "%lf", &v) == 1; i++)
			if (fabs(v - out[i]) > 1e-5)
				mism++;
		rc = p ? pclose(p) : -1;
		free(in);
		free(out);
		if (rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 77)
			skip("no torch for $PYTHON3");
		expect_int(rc, 0);
		expect_int(i, (int)m);
		expect_int(mism, 0);
		arpg_test_note("pool %dx%dx%d -> %d: %d values agree with torch", C, H, W, G, i - mism);
	}
}

/* Writes n frames of a 112 x 112 grey clip into dir, not symmetric left to
 * right, mirrored when mirrored is set. */
static void write_clip(const char *dir, int n, int mirrored)
{
	struct arpg_image im;

	mkdir(dir, 0777);
	expect_int(arpg_image_alloc(&im, 112, 112, 1), 0);
	for (int f = 0; f < n; f++) {
		char path[256];

		for (int y = 0; y < 112; y++)
			for (int x = 0; x < 112; x++) {
				int sx = mirrored ? 111 - x : x;

				im.px[y * 112 + x] = (uint8_t)((sx * sx / 40 + y * (3 + f) + (sx > 70 ? 90 : 0)) & 255);
			}
		snprintf(path, sizeof path, "%s/%06d.png", dir, f);
		expect_int(arpg_png_write(&im, path, 1), 0);
	}
	arpg_image_free(&im);
}

ARPG_TEST(flip_stores_the_mirrored_crops_features_as_a_second_view)
{
	struct backbone *b = NULL;
	struct extract a = { 0 }, m = { 0 };
	struct arpg_manifest_row row = { .clip_id = "x", .split = "train", .label = "Happy",
					 .subject = "", .path = "a", .frames = 5, .faces = 5 };
	struct arpg_cache_layout g3;
	struct extract_opts o = { .frames = 4, .grids = &g3, .dtype = ARPG_F32, .want_c = 1,
				  .flip = 1 };
	struct arpg_tensor_view va, vm, pa, pm;
	char err[300] = "";

	expect_int(arpg_cache_grids_parse(&g3, "3"), 0);
	write_clip("a", 5, 0);
	write_clip("b", 5, 1);
	expect_int(backbone_open_hog(&b, 112, 3, err, sizeof err), 0);
	expect_int(extract_clip(&a, &row, b, &o, err, sizeof err), 0);
	row.path = "b";
	o.flip = 0;
	expect_int(extract_clip(&m, &row, b, &o, err, sizeof err), 0);
	expect_int(arpg_tensor_decode(&va, a.app, a.app_len, err, sizeof err), 0);
	expect_int(arpg_tensor_decode(&pa, a.patch, a.patch_len, err, sizeof err), 0);
	expect_int(arpg_tensor_decode(&vm, m.app, m.app_len, err, sizeof err), 0);
	expect_int(arpg_tensor_decode(&pm, m.patch, m.patch_len, err, sizeof err), 0);
	/* (2, T, Da) and (2, T, G*G, Dp), the crop's view first */
	expect_int(va.rank, 3);
	expect_int(va.dims[0], 2);
	expect_int(va.dims[1], 4);
	expect_int(pa.rank, 4);
	expect_int(pa.dims[2], 9);
	expect_int(vm.rank, 2);
	/* view 1 is what the mirrored PNGs give, bit for bit; view 0 is not */
	expect(!memcmp(va.data + vm.count * 4, vm.data, vm.count * 4));
	expect(!memcmp(pa.data + pm.count * 4, pm.data, pm.count * 4));
	expect(memcmp(va.data, vm.data, vm.count * 4) != 0);
	extract_free(&a);
	extract_free(&m);
	b->free(b);
}

ARPG_TEST(a_grid_list_stores_each_grids_nodes_in_turn)
{
	struct backbone *b = NULL;
	struct arpg_cache_layout l;
	struct extract all, one[2];
	struct arpg_manifest_row row = { .clip_id = "x", .split = "train", .label = "Happy",
					 .subject = "", .path = "a", .frames = 3, .faces = 3 };
	struct extract_opts o = { .frames = 3, .grids = &l, .dtype = ARPG_F32, .want_c = 1 };
	struct arpg_tensor_view pa, p1[2];
	static const char *const lists[] = { "4,2", "4", "2" };
	char err[300] = "";

	memset(&all, 0, sizeof all);
	memset(one, 0, sizeof one);
	write_clip("a", 3, 0);
	expect_int(backbone_open_hog(&b, 112, 3, err, sizeof err), 0);
	for (int i = 0; i < 3; i++) {
		expect_int(arpg_cache_grids_parse(&l, lists[i]), 0);
		expect_int(extract_clip(i ? &one[i - 1] : &all, &row, b, &o, err, sizeof err), 0);
	}
	expect_int(arpg_tensor_decode(&pa, all.patch, all.patch_len, err, sizeof err), 0);
	expect_int(arpg_tensor_decode(&p1[0], one[0].patch, one[0].patch_len, err, sizeof err), 0);
	expect_int(arpg_tensor_decode(&p1[1], one[1].patch, one[1].patch_len, err, sizeof err), 0);
	/* (T, 16 + 4, Dp): per frame, the 4x4 grid's nodes, then the 2x2's,
	 * each bit for bit what an extraction of that grid alone gives */
	expect_int(pa.rank, 3);
	expect_int(pa.dims[1], 20);
	for (int t = 0; t < 3; t++) {
		size_t dp = pa.dims[2], fb = 4 * dp;	/* bytes per node / f32 */

		expect(!memcmp(pa.data + t * 20 * fb, p1[0].data + t * 16 * fb, 16 * fb));
		expect(!memcmp(pa.data + (t * 20 + 16) * fb, p1[1].data + t * 4 * fb, 4 * fb));
	}
	expect(!memcmp(all.app, one[0].app, all.app_len));
	extract_free(&all);
	extract_free(&one[0]);
	extract_free(&one[1]);
	b->free(b);
}
