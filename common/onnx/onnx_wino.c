/* onnx_wino.c - 3x3 stride-1 convolutions by Winograd's minimal filtering
 * F(4x4,3x3) and F(2x2,3x3) (Lavin and Gray 2016; interpolation points 0,
 * +-1, +-2 and infinity, and 0, +-1 and infinity).  With m the output tile
 * size and a = m + 2, each a x a input tile d becomes V = Bt d B, each
 * filter g becomes U = G g Gt (once, at prepare), the sum over input
 * channels of U . V (elementwise, a*a entries) is a*a GEMMs U[xi] (M x C)
 * by V[xi] (C x tiles), and each m x m output tile is At (.) A: 4 (m = 4)
 * or 2.25 (m = 2) times fewer multiply-adds than im2col, which is what
 * lets a BLIS sgemm running below its peak on these shapes beat a direct
 * convolution at its peak.  F(2x2) serves small images, where 4x4 tiles
 * would leave too few rows for the GEMMs (see onx_wino_tile).
 *
 * The transforms work on 16 channels at once, one channel per vector lane,
 * so that they run at full vector width whatever the image size (rows of
 * tiles are short: 4 tiles at 14x14).  A block of 16 input planes is first
 * interleaved, zero-padded, into position-major order (each pixel's 16
 * channels contiguous); each panel of tiles' transformed vectors is
 * transposed in registers straight into the micro-kernel's B panels
 * (vp_panel), and the products are stored tile-major (each tile's
 * channels contiguous, rows padded to 16 channels): the GEMMs are V[xi]
 * (tiles x C) by Ut[xi] (C x M) on BLIS's micro-kernel, the filters
 * packed once (see struct ukr).
 *
 * The threads share one convolution in three steps separated by barriers:
 * input channel blocks (of every image of a round) are transformed in
 * parallel, the GEMMs are split between the threads (no synchronisation
 * inside), then output channel blocks are transformed in parallel, with the bias and activation
 * applied in the vector lanes and the residual while the block is written
 * back to NCHW. */
#include <stdlib.h>
#include <string.h>
#include <blis.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "onnx_impl.h"
#include "onnx_wino.h"
#include "error.h"

typedef int64_t i64;

#define HOT ONX_HOT

/* Transformed floats (input and product) of a round of images, at most;
 * a round is at least one image.  16 MiB measured best for iresnet50 at
 * batch 8 and 16 (against 4, 8, 32 and 64: larger rounds fall out of the
 * cache).  But see round_floats. */
#define WINO_CHUNK_FLOATS ((i64)1 << 22)
/* ... and at least, when the filters are fewer (see round_floats) */
#define WINO_CHUNK_MIN_FLOATS ((i64)1 << 20)

/* Measured on iresnet50 (Zen 5, BLIS skx): F(4x4) at 16 tiles (14x14,
 * batch 1) is slower than F(2x2) at 49, at 32 (7x7, batch 8) no faster
 * than F(2x2) at 128, at 49 (28x28, batch 1) twice as fast as im2col:
 * thin GEMMs use each transformed weight too few times.  With the filters
 * prepacked, F(2x2) at 16 tiles (7x7, batch 1) is about 3% faster than
 * im2col.  But see wino4_pays for fewer tiles in whole panels. */
#define WINO4_MIN_TILES 48
#define WINO2_MIN_TILES 16

static i64 tiles(i64 OH, i64 OW, i64 n, int m)
{
	return n * ((OH + m - 1) / m) * ((OW + m - 1) / m);
}

static int ukr_packable(void);
static i64 ukr_nr(void);

/* Whether F(4x4) pays at t tiles: at WINO4_MIN_TILES, or below when the
 * tiles fill whole B panels of the micro-kernel (nothing computed for
 * padding) while F(2x2)'s four times as many would not.  Measured on Zen 4
 * with BLIS zen3 (panels of 16 tiles): F(4x4) at 16 tiles (14x14, batch 1)
 * made iresnet50 at batch 1 14% faster than F(2x2) at 49 tiles (4 panels
 * of which 15 columns are padding), and at 32 tiles (7x7, batch 8) the
 * last stage's convs 25-30% faster than F(2x2) at 128.  skx's panels of
 * 12 tiles are not filled by 16, so the Zen 5 measurement above stands. */
static int wino4_pays(i64 t)
{
	i64 nr = ukr_nr();

	return t >= WINO4_MIN_TILES || (t >= nr && t % nr == 0);
}

int onx_wino_tile(i64 OH, i64 OW, i64 n)
{
	if (!ukr_packable())
		return 0;
	return wino4_pays(tiles(OH, OW, n, 4)) ? 4 :
		tiles(OH, OW, n, 2) >= WINO2_MIN_TILES ? 2 : 0;
}

int onx_wino_pays(i64 OH, i64 OW, i64 n, int m)
{
	return m == 4 ? wino4_pays(tiles(OH, OW, n, 4)) : tiles(OH, OW, n, m) >= WINO2_MIN_TILES;
}

/* The GEMMs call BLIS's micro-kernel themselves, so that the transformed
 * filters are packed into its panel format once, at prepare, instead of
 * by every sgemm call: the 36 GEMMs of a 256-channel conv at batch 8 ran
 * at 180-200 GFLOP/s per core through bli_sgemm and 240-250 with the
 * filters prepacked (a standalone test).  In BLIS's terms the product
 * is C = A B with A = Ut (output channels x input channels, panels of MR
 * channels, prepacked), B = Vt (input channels x tiles, panels of NR
 * tiles, packed per GEMM from V) and C = the products, column-stored
 * (each tile's channels contiguous), which is the storage the skx kernel
 * prefers. */
struct ukr {
	void (*fn)(dim_t, dim_t, dim_t, float *, float *, float *, float *, float *, inc_t,
		   inc_t, auxinfo_t *, cntx_t *);
	cntx_t *cntx;
	i64 MR, NR, PMR, PNR, KC;	/* tile, panel strides, depth block */
};

static void ukr_query(struct ukr *k)
{
	k->cntx = bli_gks_query_cntx();
	k->fn = (void (*)(dim_t, dim_t, dim_t, float *, float *, float *, float *, float *,
			  inc_t, inc_t, auxinfo_t *, cntx_t *))
		bli_cntx_get_l3_nat_ukr_dt(BLIS_FLOAT, BLIS_GEMM_UKR, k->cntx);
	k->MR = bli_cntx_get_blksz_def_dt(BLIS_FLOAT, BLIS_MR, k->cntx);
	k->NR = bli_cntx_get_blksz_def_dt(BLIS_FLOAT, BLIS_NR, k->cntx);
	k->PMR = bli_cntx_get_blksz_max_dt(BLIS_FLOAT, BLIS_MR, k->cntx);
	k->PNR = bli_cntx_get_blksz_max_dt(BLIS_FLOAT, BLIS_NR, k->cntx);
	k->KC = bli_cntx_get_blksz_def_dt(BLIS_FLOAT, BLIS_KC, k->cntx);
	k->KC &= ~(i64)15;	/* depth blocks start on whole vectors of V */
	if (k->KC < 16)
		k->KC = 16;
}

/* Whether vp_panel can fill the kernel's B panels: it transposes 16 tiles
 * at a time (every kernel set of BLIS 0.9 has panels of 16 or fewer). */
static int ukr_packable(void)
{
	struct ukr k;

	ukr_query(&k);
	return k.PNR <= 16;
}

/* The micro-kernel's tiles per B panel */
static i64 ukr_nr(void)
{
	struct ukr k;

	ukr_query(&k);
	return k.NR;
}

/* Floats of one transform entry's packed Ut: C rows of ceil(M/MR) panels. */
static i64 ut_floats(const struct ukr *k, i64 M, i64 C)
{
	return C * ((M + k->MR - 1) / k->MR) * k->PMR;
}

/* Where Ut[xi] (c, mo) lives in the packed filters: depth blocks of KC
 * input channels, each ceil(M/MR) panels of kc x PMR. */
static i64 ut_index(const struct ukr *k, i64 M, i64 C, int xi, i64 c, i64 mo)
{
	i64 np = (M + k->MR - 1) / k->MR, pc = c / k->KC * k->KC;
	i64 kc = C - pc < k->KC ? C - pc : k->KC;

	return xi * ut_floats(k, M, C) + pc * np * k->PMR + mo / k->MR * kc * k->PMR +
		(c - pc) * k->PMR + mo % k->MR;
}

const double arpg_wino_G4[6][3] = {
	{ 1.0 / 4, 0, 0 },
	{ -1.0 / 6, -1.0 / 6, -1.0 / 6 },
	{ -1.0 / 6, 1.0 / 6, -1.0 / 6 },
	{ 1.0 / 24, 1.0 / 12, 1.0 / 6 },
	{ 1.0 / 24, -1.0 / 12, 1.0 / 6 },
	{ 0, 0, 1 },
}, arpg_wino_G2[4][3] = {
	{ 1, 0, 0 },
	{ 0.5, 0.5, 0.5 },
	{ 0.5, -0.5, 0.5 },
	{ 0, 0, 1 },
};

/* U = the transformed filters of w (M x C x 3 x 3), packed; flip: w is
 * (C x M x 3 x 3) and the filters the input gradient's (see
 * arpg_wino_filters).  0 or ARPG_ENOMEM. */
static int wino_weights(float *U, const float *w, i64 M, i64 C, int m, int flip)
{
	const double (*G)[3] = m == 4 ? arpg_wino_G4 : arpg_wino_G2;
	int al = m + 2, A = al * al, xi, s;
	double Kx[36][9];	/* U[xi] = sum over s of Kx[xi][s] g[s] (G g Gt, entry by entry) */
	struct ukr k;
	i64 c;
	int ok = 1;

	ukr_query(&k);
	memset(U, 0, (size_t)A * ut_floats(&k, M, C) * sizeof *U);	/* partial panels' padding */
	for (xi = 0; xi < A; xi++)
		for (s = 0; s < 9; s++)
			Kx[xi][s] = G[xi / al][s / 3] * G[xi % al][s % 3];
	/* by input channel, so that each thread writes its own rows of U; the
	 * 9 taps of every output channel first gathered, so that each entry is
	 * a vector loop over output channels (the loop per filter was scalar,
	 * 0.7 s of CPU at iresnet50's start) */
#pragma omp parallel reduction(&& : ok)
	{
		double *gc = malloc((size_t)9 * M * sizeof *gc), *acc = malloc((size_t)M * sizeof *acc);
		float *row = malloc((size_t)M * sizeof *row);
		if (!gc || !acc || !row)
			ok = 0;
#pragma omp for schedule(static)
		for (c = 0; c < C; c++) {
			i64 mo, pc = c / k.KC * k.KC;
			i64 ps = (C - pc < k.KC ? C - pc : k.KC) * k.PMR;	/* panel stride */
			int e, t;
			if (!gc || !acc || !row)
				continue;
			for (mo = 0; mo < M; mo++)
				for (t = 0; t < 9; t++)
					gc[t * M + mo] = flip ? w[(c * M + mo) * 9 + 8 - t] :
						w[(mo * C + c) * 9 + t];
			for (e = 0; e < A; e++) {
				const double *kx = Kx[e];
				/* tap by tap over the output channels, each u
				 * summed in the same order as one channel's loop
				 * did (the same bits), the channels in vector
				 * lanes: the loop over taps inside ran scalar */
				for (mo = 0; mo < M; mo++)
					acc[mo] = 0;
				for (int q = 0; q < 9; q++)
#pragma omp simd
					for (mo = 0; mo < M; mo++)
						acc[mo] += kx[q] * gc[q * M + mo];
#pragma omp simd
				for (mo = 0; mo < M; mo++)
					row[mo] = (float)acc[mo];
				/* into the row's place in each panel, panels kc
				 * rows apart: a memcpy call per panel of MR (6
				 * floats on zen3) cost more than the arithmetic */
				float *u = U + ut_index(&k, M, C, e, c, 0);
				for (mo = 0; mo < M; mo += k.MR, u += ps)
					for (i64 j = 0; j < k.MR && mo + j < M; j++)
						u[j] = row[mo + j];
			}
		}
		free(gc);
		free(acc);
		free(row);
	}
	return ok ? 0 : ARPG_ENOMEM;
}

static size_t weights_floats(i64 M, i64 C, int m)
{
	struct ukr k;
	size_t n;

	ukr_query(&k);
	n = (size_t)(m + 2) * (m + 2) * ut_floats(&k, M, C);
	return (n + 15) / 16 * 16;
}

float *onx_wino_weights(const float *w, i64 M, i64 C, int m)
{
	float *U = aligned_alloc(64, weights_floats(M, C, m) * sizeof *U);

	if (U && wino_weights(U, w, M, C, m, 0) < 0) {
		free(U);
		return NULL;
	}
	return U;
}

static inline i64 up16(i64 n)
{
	return (n + LANES - 1) & ~(i64)(LANES - 1);
}

struct geom {
	int m, al, A;		/* output tile size, input tile size, its entries */
	i64 TH, TW, tpi;	/* tiles down, across, per image */
	i64 PH, PW;		/* the zero-padded input plane covering every tile */
	i64 C16, M16;		/* channels rounded up to whole vectors */
	i64 chunk;		/* images per round of the three steps */
	i64 ws;			/* floats of one thread's workspace */
};

/* Transformed floats of a round of a conv whose packed filters are uf
 * floats: each round reads all the filters again, so a round is 4 times
 * as large as they are, within [WINO_CHUNK_MIN_FLOATS, WINO_CHUNK_FLOATS]:
 * where the filters are few, a smaller round's transforms stay in the
 * cache.  iresnet50 at batch 8, 1 thread, 3 alternating runs against a
 * flat 16 MiB (load 3-4): its 64-channel 56x56 convs (0.6 MiB of
 * filters, now a round an image) took 6-14% less time, the model 1.0-1.9%
 * less; rounds only as large as the filters also made its 128-to-256
 * channel 28x28 conv (4.5 MiB) 15% slower.  The bits do not depend on the
 * round (each product is the same sum whatever the other tiles of its
 * GEMM). */
static i64 round_floats(i64 uf)
{
	uf *= 4;
	return uf < WINO_CHUNK_MIN_FLOATS ? WINO_CHUNK_MIN_FLOATS :
		uf > WINO_CHUNK_FLOATS ? WINO_CHUNK_FLOATS : uf;
}

static void geometry(struct geom *g, i64 C, i64 M, i64 OH, i64 OW, i64 N, int m)
{
	struct ukr k;

	ukr_query(&k);
	g->m = m, g->al = m + 2, g->A = g->al * g->al;
	g->TH = (OH + m - 1) / m, g->TW = (OW + m - 1) / m, g->tpi = g->TH * g->TW;
	g->PH = m * g->TH + 2, g->PW = m * g->TW + 2;
	g->C16 = up16(C), g->M16 = up16(M);
	g->chunk = round_floats(g->A * ut_floats(&k, M, C)) /
		(g->A * (g->C16 + g->M16) * g->tpi);
	if (g->chunk < 1)
		g->chunk = 1;
	if (g->chunk > N)
		g->chunk = N;
	/* rounds of equal size: 8 + 8 rather than 14 + 2, whose thin GEMMs
	 * would cost more than the round saves */
	g->chunk = (N + (N + g->chunk - 1) / g->chunk - 1) / ((N + g->chunk - 1) / g->chunk);
	/* a block of 16 padded input planes of each image of a round,
	 * interleaved, and the transformed tiles of a panel before they are
	 * transposed; the planes also hold the 16 output planes of a block
	 * before write-back (m TH x OW, plus the spill of a partial tile,
	 * plus a last partial vector: all less than one input plane) */
	g->ws = g->chunk * LANES * g->PH * g->PW + (i64)g->A * LANES * LANES;
}

/* Floats of one transform entry's packed V of a round: its tiles in
 * ceil(tiles/NR) panels of NR, each C16 rows of PNR floats (depth blocks
 * of KC channels one after another, see vp_panel). */
static i64 vp_floats(const struct ukr *k, const struct geom *g)
{
	return up16((g->chunk * g->tpi + k->NR - 1) / k->NR * k->PNR * g->C16);
}

size_t onx_wino_scratch(i64 C, i64 M, i64 OH, i64 OW, i64 N, int m, int nthreads)
{
	struct geom g;
	struct ukr k;

	geometry(&g, C, M, OH, OW, N, m);
	ukr_query(&k);
	return (size_t)(g.A * (vp_floats(&k, &g) + g.M16 * g.tpi * g.chunk) + nthreads * g.ws);
}

/* Bt applied to six vectors (Bt is the 6x6 matrix of the header's paper) */
#define BT6(o0, o1, o2, o3, o4, o5, v0, v1, v2, v3, v4, v5) do { \
	v16 v1_ = (v1), v2_ = (v2), v3_ = (v3), v4_ = (v4); \
	o0 = 4 * (v0) - 5 * v2_ + v4_; \
	o1 = v3_ + v4_ - 4 * (v1_ + v2_); \
	o2 = 4 * (v1_ - v2_) + v4_ - v3_; \
	o3 = 2 * (v3_ - v1_) + v4_ - v2_; \
	o4 = 2 * (v1_ - v3_) + v4_ - v2_; \
	o5 = 4 * v1_ - 5 * v3_ + (v5); \
} while (0)

/* F(2x2): Bt applied to four vectors, At to four */
#define BT4(o0, o1, o2, o3, v0, v1, v2, v3) do { \
	v16 v1_ = (v1), v2_ = (v2); \
	o0 = (v0) - v2_; \
	o1 = v1_ + v2_; \
	o2 = v2_ - v1_; \
	o3 = v1_ - (v3); \
} while (0)
#define AT4(o0, o1, v0, v1, v2, v3) do { \
	v16 v1_ = (v1), v2_ = (v2); \
	o0 = (v0) + v1_ + v2_; \
	o1 = v1_ - v2_ - (v3); \
} while (0)

/* At applied to six vectors */
#define AT6(o0, o1, o2, o3, v0, v1, v2, v3, v4, v5) do { \
	v16 s12_ = (v1) + (v2), d12_ = (v1) - (v2), s34_ = (v3) + (v4), d34_ = (v3) - (v4); \
	o0 = (v0) + s12_ + s34_; \
	o1 = d12_ + 2 * d34_; \
	o2 = s12_ + 4 * s34_; \
	o3 = d12_ + 8 * d34_ + (v5); \
} while (0)

#if defined(__GNUC__) && !defined(__clang__)
/* r[i][j] <- r[j][i] for 16 vectors: four rounds, each swapping the
 * off-diagonal blocks of size b (one two-source permute per vector) */
static inline __attribute__((always_inline)) void transpose16(v16 *r)
{
	static const v16i lo[4] = {
		{ 0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30 },
		{ 0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29 },
		{ 0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27 },
		{ 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23 },
	}, hi[4] = {
		{ 1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31 },
		{ 2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31 },
		{ 4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31 },
		{ 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31 },
	};
	int s, i;

	/* unrolled, so that r stays in registers: at -O2 the loops ran with
	 * r and the index vectors in memory */
#pragma GCC unroll 4
	for (s = 0; s < 4; s++)
#pragma GCC unroll 16
		for (i = 0; i < LANES; i++)
			if (!(i & 1 << s)) {
				v16 x = r[i], y = r[i + (1 << s)];
				r[i] = __builtin_shuffle(x, y, lo[s]);
				r[i + (1 << s)] = __builtin_shuffle(x, y, hi[s]);
			}
}
#else
static inline void transpose16(v16 *r)
{
	int i, j;

	for (i = 0; i < LANES; i++)
		for (j = 0; j < i; j++) {
			float t = r[i][j];
			r[i][j] = r[j][i];
			r[j][i] = t;
		}
}
#endif

/* C (T x M, rows rsc apart) = V (T x C) Ut, both packed: Vp is one
 * transform entry's V (vp_panel), Up its Ut (onx_wino_weights). */
static void wino_gemm(const struct ukr *k, i64 T, i64 M, i64 C, const float *Vp,
		      const float *Up, float *Cm, i64 rsc)
{
	i64 np = (M + k->MR - 1) / k->MR, nt = (T + k->NR - 1) / k->NR, pc, i, j;
	float one = 1, zero = 0;
	auxinfo_t aux;

	memset(&aux, 0, sizeof aux);
	for (pc = 0; pc < C; pc += k->KC) {
		i64 kc = C - pc < k->KC ? C - pc : k->KC, bs = k->PNR * up16(kc);
		const float *Ab = Up + pc * np * k->PMR, *Bb = Vp + pc * nt * k->PNR;
		/* a B panel stays in L1 while the A panels of the block pass */
		for (j = 0; j < nt; j++) {
			i64 t0 = j * k->NR, nr = T - t0 < k->NR ? T - t0 : k->NR;
			float *bp = (float *)Bb + j * bs;
			for (i = 0; i < np; i++) {
				i64 m0 = i * k->MR, mr = M - m0 < k->MR ? M - m0 : k->MR;
				float *ap = (float *)Ab + i * kc * k->PMR;
				bli_auxinfo_set_next_ab(i + 1 < np ? ap + kc * k->PMR : (float *)Ab,
							i + 1 < np ? bp : bp + bs, &aux);
				k->fn(mr, nr, kc, &one, ap, bp, pc ? &one : &zero, Cm + t0 * rsc + m0, 1,
				      rsc, &aux, k->cntx);
			}
		}
	}
}

/* gather_block's n positions in v (a channel a vector) transposed and
 * stored at *y, *x of Q onwards.  Inlined into each caller, so that v,
 * indexed by constants only, stays in registers: with one copy after
 * both branches GCC kept the sixteen vectors on the stack. */
static inline __attribute__((always_inline)) void
gather_store(const struct onx_wino_args *a, const struct geom *g, v16 *v, i64 n, float *Q,
	     i64 *y, i64 *x)
{
	i64 i;

	transpose16(v);
#pragma GCC unroll 16
	for (i = 0; i < LANES; i++)
		if (i < n) {
			st(Q + ((*y + a->pt) * g->PW + *x + a->pl) * LANES, v[i]);
			if (++*x == a->W)
				*x = 0, ++*y;
		}
}

/* Interleaves input channels [c0, c0 + nb) of image img, zero-padded, into
 * Q (PH x PW x 16), applying the per-channel affine inside the image:
 * 16 positions of the flat plane at a time, transposed in registers. */
HOT static void gather_block(const struct onx_wino_args *a, const struct geom *g, i64 img,
			     i64 c0, i64 nb, float *Q)
{
	i64 HW = a->H * a->W, r, p0, i, c, y = 0, x = 0;
	const float *xc = a->x + ((a->i0 + img) * a->C + c0) * HW;
	v16 sv = { 0 }, tv = { 0 }, v[LANES];
	size_t row = (size_t)LANES * g->PW * sizeof *Q;

	for (c = 0; c < nb; c++) {
		sv[c] = a->pre_s ? a->pre_s[c0 + c] : 1;
		tv[c] = a->pre_t ? a->pre_t[c0 + c] : 0;
	}
	/* the padding: rows above and below, then the margins of each row */
	for (r = 0; r < g->PH; r++) {
		float *q = Q + r * g->PW * LANES;
		if (r < a->pt || r >= a->pt + a->H) {
			memset(q, 0, row);
			continue;
		}
		memset(q, 0, (size_t)LANES * a->pl * sizeof *Q);
		memset(q + (a->pl + a->W) * LANES, 0,
		       (size_t)LANES * (g->PW - a->pl - a->W) * sizeof *Q);
	}
	for (p0 = 0; p0 + LANES <= HW; p0 += LANES) {
#pragma GCC unroll 16
		for (c = 0; c < LANES; c++)
			if (c < nb)
				v[c] = ld(xc + c * HW + p0) * sv[c] + tv[c];
			else
				v[c] = (v16){ 0 };
		gather_store(a, g, v, LANES, Q, &y, &x);
	}
	if (p0 < HW) {	/* the last partial vector through t */
		i64 n = HW - p0;
		float t[LANES * LANES];

		for (c = 0; c < LANES; c++)
			for (i = 0; i < LANES; i++)
				t[c * LANES + i] = c < nb && i < n ?
					xc[c * HW + p0 + i] * sv[c] + tv[c] : 0;
#pragma GCC unroll 16
		for (c = 0; c < LANES; c++)
			v[c] = ld(t + c * LANES);
		gather_store(a, g, v, n, Q, &y, &x);
	}
}

/* The A transformed vectors of one input tile (16 channels a position,
 * rows rs floats apart from q) into S, xi * LANES * LANES floats apart */
HOT static void tile_in(const struct geom *g, const float *q, i64 rs, float *S)
{
	const i64 xs = LANES * LANES;
	v16 r[6][6];
	int i, b;

	if (g->m == 2) {
		for (b = 0; b < 4; b++)		/* r = Bt d, column by column */
			BT4(r[0][b], r[1][b], r[2][b], r[3][b], ld(q + b * LANES),
			    ld(q + rs + b * LANES), ld(q + 2 * rs + b * LANES),
			    ld(q + 3 * rs + b * LANES));
		for (i = 0; i < 4; i++) {	/* V = r B, row by row */
			v16 o0, o1, o2, o3;
			float *vi = S + (i64)(i * 4) * xs;
			BT4(o0, o1, o2, o3, r[i][0], r[i][1], r[i][2], r[i][3]);
			st(vi, o0), st(vi + xs, o1), st(vi + 2 * xs, o2), st(vi + 3 * xs, o3);
		}
		return;
	}
	for (b = 0; b < 6; b++)
		BT6(r[0][b], r[1][b], r[2][b], r[3][b], r[4][b], r[5][b],
		    ld(q + b * LANES), ld(q + rs + b * LANES),
		    ld(q + 2 * rs + b * LANES), ld(q + 3 * rs + b * LANES),
		    ld(q + 4 * rs + b * LANES), ld(q + 5 * rs + b * LANES));
	for (i = 0; i < 6; i++) {
		v16 o0, o1, o2, o3, o4, o5;
		float *vi = S + (i64)(i * 6) * xs;
		BT6(o0, o1, o2, o3, o4, o5, r[i][0], r[i][1], r[i][2], r[i][3], r[i][4],
		    r[i][5]);
		st(vi, o0), st(vi + xs, o1), st(vi + 2 * xs, o2);
		st(vi + 3 * xs, o3), st(vi + 4 * xs, o4), st(vi + 5 * xs, o5);
	}
}

/* The transformed input of one panel of the GEMMs' B, written in the
 * micro-kernel's format without a V in between (a separate packing pass
 * read V back from L3, 8% of iresnet50 at batch 8): tiles [t0, t0 + nr)
 * of the round (nr <= NR), channels [c0, c0 + 16), from the interleaved
 * blocks of every image in Q (qs floats apart).  Each tile's A vectors
 * go to S; then, per entry, the 16 tiles' vectors are transposed into 16
 * rows of the panel, each row PNR floats: the channels' rows of every
 * entry's V (Vp, vx floats apart; nt panels).  A row is stored as a whole
 * vector whose tail the next row overwrites, except a block's last row,
 * whose tail would fall into another thread's block (PNR < 16). */
HOT static void vp_panel(const struct ukr *k, const struct geom *g, i64 C, const float *Q,
			 i64 qs, i64 t0, i64 nr, i64 c0, float *Vp, i64 vx, i64 nt, float *S)
{
	i64 pc = c0 / k->KC * k->KC, rows = up16(C - pc < k->KC ? C - pc : k->KC);
	i64 r, p;
	int xi;

	for (r = 0; r < nr; r++) {
		i64 t = t0 + r, img = t / g->tpi, tt = t % g->tpi;
		i64 ty = tt / g->TW, tx = tt % g->TW;
		tile_in(g, Q + img * qs + g->m * (ty * g->PW + tx) * LANES, g->PW * LANES,
			S + r * LANES);
	}
	for (xi = 0; xi < g->A; xi++) {
		const float *sx = S + (i64)xi * LANES * LANES;
		float *b = Vp + xi * vx + pc * nt * k->PNR + t0 / k->NR * k->PNR * rows +
			(c0 - pc) * k->PNR;
		v16 v[LANES];
		/* v indexed by constants only (see gather_block) */
#pragma GCC unroll 16
		for (r = 0; r < LANES; r++)
			if (r < nr)
				v[r] = ld(sx + r * LANES);
			else
				v[r] = (v16){ 0 };
		transpose16(v);
#pragma GCC unroll 16
		for (p = 0; p < LANES - 1; p++)
			st(b + p * k->PNR, v[p]);
		if (k->PNR >= LANES) {
			st(b + p * k->PNR, v[LANES - 1]);
		} else {
			float t[LANES];
			st(t, v[LANES - 1]);
			memcpy(b + p * k->PNR, t, (size_t)k->PNR * sizeof *b);
		}
	}
}

/* Tiles ahead whose products output_tiles prefetches */
#define PF_AHEAD 2
#if defined(__GNUC__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)(p))
#endif

/* The output tiles of image img, channels [k0, k0 + 16), with bias and
 * activation, into S (OH x OW x 16, rows OW apart).  A partial tile at
 * the right spills into the start of the rows below, so the tiles of a
 * row go right to left and the rows top to bottom: the spill is always
 * overwritten later.  S has room for the spill of the last rows. */
HOT static void output_tiles(const struct onx_wino_args *a, const struct geom *g,
			     const float *Mx, i64 T, i64 t0, i64 k0, float *S)
{
	i64 ty, tx, xs = T * g->M16, ss = a->OW * LANES;
	v16 bias = { 0 }, slope, one = { 0 }, zero = { 0 };
	int i, k;

	for (k = 0; k < LANES; k++) {
		one[k] = 1;
		bias[k] = a->b && k0 + k < a->M ? a->b[k0 + k] : 0;
		slope[k] = a->act == ACT_NONE ? 1 : a->act == ACT_RELU || k0 + k >= a->M ? 0 :
			a->slope[k0 + k];
	}
#define FINISH(dst, o) do { \
	v16 v_ = (o) + bias; \
	v16i pos_ = v_ > zero; \
	st(dst, v_ * (v16)((pos_ & (v16i)one) | (~pos_ & (v16i)slope))); \
} while (0)
	for (ty = 0; ty < g->TH; ty++)
		for (tx = g->TW - 1; tx >= 0; tx--) {
			const float *m = Mx + (t0 + ty * g->TW + tx) * g->M16 + k0;
			float *s = S + (g->m * (ty * a->OW + tx)) * LANES;
			v16 z[6][4], o[4];
			int q, p;
			/* the products are read from L3 one line per entry, M16
			 * floats apart from tile to tile: fetch those of the
			 * tile PF_AHEAD ahead in this order */
			i64 ahead = tx >= PF_AHEAD ? ty * g->TW + tx - PF_AHEAD :
				(ty + 1) * g->TW + g->TW - PF_AHEAD + tx;
			if (ahead < g->tpi)
				for (i = 0; i < g->A; i++)
					PREFETCH(Mx + (t0 + ahead) * g->M16 + k0 + i * xs);
			if (g->m == 2) {
				for (i = 0; i < 4; i++) {	/* z = M A, row by row */
					const float *mi = m + (i64)(i * 4) * xs;
					AT4(z[i][0], z[i][1], ld(mi), ld(mi + xs), ld(mi + 2 * xs),
					    ld(mi + 3 * xs));
				}
				for (q = 0; q < 2; q++) {	/* o = At z, column by column */
					AT4(o[0], o[1], z[0][q], z[1][q], z[2][q], z[3][q]);
					for (p = 0; p < 2; p++)
						FINISH(s + p * ss + q * LANES, o[p]);
				}
				continue;
			}
			for (i = 0; i < 6; i++) {
				const float *mi = m + (i64)(i * 6) * xs;
				AT6(z[i][0], z[i][1], z[i][2], z[i][3], ld(mi), ld(mi + xs),
				    ld(mi + 2 * xs), ld(mi + 3 * xs), ld(mi + 4 * xs), ld(mi + 5 * xs));
			}
			for (q = 0; q < 4; q++) {
				AT6(o[0], o[1], o[2], o[3], z[0][q], z[1][q], z[2][q], z[3][q], z[4][q],
				    z[5][q]);
				for (p = 0; p < 4; p++)
					FINISH(s + p * ss + q * LANES, o[p]);
			}
		}
#undef FINISH
}

/* Writes channels [k0, k0 + nb) of image img from S (OH x OW x 16, flat)
 * to y, adding the residual: 16 positions at a time, transposed. */
HOT static void scatter_block(const struct onx_wino_args *a, i64 img, i64 k0, i64 nb,
			      const float *S)
{
	i64 P = a->OH * a->OW, off = ((a->i0 + img) * a->M + k0) * P, p0, i, k;
	float *y = a->y + off;
	const float *res = a->res ? a->res + off : NULL;

	for (p0 = 0; p0 < P; p0 += LANES) {
		i64 n = P - p0 < LANES ? P - p0 : LANES;
		v16 v[LANES];
		float t[LANES * LANES];
		/* v indexed by constants only (see gather_block); the last
		 * partial vector through t */
#pragma GCC unroll 16
		for (i = 0; i < LANES; i++)
			v[i] = ld(S + (p0 + i) * LANES);
		transpose16(v);
		if (n == LANES) {
#pragma GCC unroll 16
			for (k = 0; k < LANES; k++)
				if (k < nb) {
					float *o = y + k * P + p0;
					st(o, res ? v[k] + ld(res + k * P + p0) : v[k]);
				}
			continue;
		}
#pragma GCC unroll 16
		for (k = 0; k < LANES; k++)
			st(t + k * LANES, v[k]);
		for (k = 0; k < nb; k++) {
			float *o = y + k * P + p0;
			const float *rk = res ? res + k * P + p0 : NULL;
			for (i = 0; i < n; i++)
				o[i] = rk ? t[k * LANES + i] + rk[i] : t[k * LANES + i];
		}
	}
}

void onx_wino_run(const struct onx_wino_args *args, float *scratch, int nthreads)
{
	struct geom g;
	i64 CB = (args->C + LANES - 1) / LANES, MB = (args->M + LANES - 1) / LANES, vx;
	struct ukr k;

	geometry(&g, args->C, args->M, args->OH, args->OW, args->N, args->m);
	ukr_query(&k);
	vx = vp_floats(&k, &g);
#pragma omp parallel num_threads(nthreads) if (nthreads > 1)
	{
		struct onx_wino_args a = *args;
		int tid = 0;
		i64 img0, qs = LANES * g.PH * g.PW;
		float *ws = scratch + g.A * (vx + g.M16 * g.tpi * g.chunk);
#ifdef _OPENMP
		tid = omp_get_thread_num();
#endif
		ws += tid * g.ws;
		for (img0 = 0; img0 < args->N; img0 += g.chunk) {
			i64 nc = args->N - img0 < g.chunk ? args->N - img0 : g.chunk;
			i64 T = nc * g.tpi, nt = (T + k.NR - 1) / k.NR, q, img, t0;
			float *Vp = scratch, *Mx = scratch + g.A * vx;
			a.i0 = img0;
			/* a thread's channel block of every image of the round, then
			 * its panels (a panel's tiles may span two images) */
#pragma omp for schedule(static)
			for (q = 0; q < CB; q++) {
				i64 c0 = q * LANES, nb = a.C - c0 < LANES ? a.C - c0 : LANES;
				for (img = 0; img < nc; img++)
					gather_block(&a, &g, img, c0, nb, ws + img * qs);
				for (t0 = 0; t0 < T; t0 += k.NR)
					vp_panel(&k, &g, a.C, ws, qs, t0, T - t0 < k.NR ? T - t0 : k.NR,
						 c0, Vp, vx, nt, ws + nc * qs);
			}
#pragma omp for schedule(static)
			for (q = 0; q < g.A; q++)
				wino_gemm(&k, T, a.M, a.C, Vp + q * vx, a.U + q * ut_floats(&k, a.M, a.C),
					  Mx + q * T * g.M16, g.M16);
#pragma omp for schedule(static)
			for (q = 0; q < nc * MB; q++) {
				i64 k0 = q % MB * LANES;
				i64 nb = a.M - k0 < LANES ? a.M - k0 : LANES;
				img = q / MB;
				output_tiles(&a, &g, Mx, T, img * g.tpi, k0, ws);
				scatter_block(&a, img, k0, nb, ws);
			}
		}
	}
}

/* ---- GEMMs on filters packed once, for the im2col convolutions ----
 * BLIS packs A, the filters, at every sgemm call: 9.4 MiB of them for a
 * 512-channel 3x3 conv, used for only 49 columns at batch 1.  These pack
 * them once at prepare, in ut_index's layout (one entry), and pack B per
 * call; each output is the same sum in the same order (depth blocks of
 * KC) whatever the columns of the call, so a thread's share does not
 * change its bits. */

size_t onx_pk_floats(i64 M, i64 K)
{
	struct ukr k;

	ukr_query(&k);
	return (size_t)up16(ut_floats(&k, M, K));
}

float *onx_pk_weights(const float *w, i64 M, i64 K)
{
	float *A = aligned_alloc(64, onx_pk_floats(M, K) * sizeof *A);
	struct ukr k;
	i64 c, mo;

	if (!A)
		return NULL;
	ukr_query(&k);
	memset(A, 0, onx_pk_floats(M, K) * sizeof *A);	/* partial panels' padding */
	for (c = 0; c < K; c++)
		for (mo = 0; mo < M; mo++)
			A[ut_index(&k, M, K, 0, c, mo)] = w[mo * K + c];
	return A;
}

size_t onx_pk_scratch(i64 K, i64 N)
{
	struct ukr k;

	ukr_query(&k);
	return (size_t)up16((K < k.KC ? K : k.KC) * ((N + k.NR - 1) / k.NR) * k.PNR);
}

/* B's rows [pc, pc + kc), columns [j0, j0 + nr) into one panel of kc rows
 * of PNR floats, zero past nr */
static void pk_pack_b(const struct ukr *k, float *bp, const float *B, i64 rsb, i64 pc, i64 kc,
		      i64 j0, i64 nr)
{
	i64 r;

	for (r = 0; r < kc; r++) {
		memcpy(bp + r * k->PNR, B + (pc + r) * rsb + j0, nr * sizeof *bp);
		if (nr < k->PNR)
			memset(bp + r * k->PNR + nr, 0, (k->PNR - nr) * sizeof *bp);
	}
}

i64 onx_pk_mr(void)
{
	struct ukr k;

	ukr_query(&k);
	return k.MR;
}

void onx_pk_gemm(const float *Ap, i64 M, i64 N, i64 K, const float *B, i64 rsb, float *C,
		 i64 rsc, float *Bp)
{
	onx_pk_gemm_rows(Ap, M, 0, M, N, K, B, rsb, C, rsc, Bp);
}

/* onx_pk_gemm_rows' B: its rows and their stride */
struct pk_src {
	const float *B;
	i64 rsb;
};

static void pk_pack_src(void *ctx, float *Bp, i64 pc, i64 kc, i64 N, i64 NR, i64 PNR)
{
	const struct pk_src *b = ctx;
	struct ukr k = { .NR = NR, .PNR = PNR };
	i64 j;

	for (j = 0; j * NR < N; j++)
		pk_pack_b(&k, Bp + j * kc * PNR, b->B, b->rsb, pc, kc, j * NR,
			  N - j * NR < NR ? N - j * NR : NR);
}

void onx_pk_gemm_rows(const float *Ap, i64 M, i64 m0, i64 mn, i64 N, i64 K, const float *B,
		      i64 rsb, float *C, i64 rsc, float *Bp)
{
	struct pk_src b = { B, rsb };

	onx_pk_gemm_packed(Ap, M, m0, mn, N, K, pk_pack_src, &b, C, rsc, Bp);
}

HOT void onx_pk_put_row(float *bp, const float *row, i64 N, i64 kc, i64 NR, i64 PNR)
{
	i64 j0;

	for (j0 = 0; j0 < N; j0 += NR, bp += kc * PNR) {
		i64 nr = N - j0 < NR ? N - j0 : NR;
		if (nr == LANES && PNR == LANES) {
			st(bp, ld(row + j0));
			continue;
		}
		memcpy(bp, row + j0, nr * sizeof *bp);
		if (nr < PNR)
			memset(bp + nr, 0, (PNR - nr) * sizeof *bp);
	}
}

void onx_pk_gemm_packed(const float *Ap, i64 M, i64 m0, i64 mn, i64 N, i64 K,
			onx_pk_pack_fn *pack, void *ctx, float *C, i64 rsc, float *Bp)
{
	struct ukr k;
	i64 np, p0, p1, nt, pc, ic, mcp, i, j;
	float one = 1, zero = 0;
	auxinfo_t aux;

	ukr_query(&k);
	/* the panels of rows [m0, m0 + mn) among the np of all M rows */
	np = (M + k.MR - 1) / k.MR, nt = (N + k.NR - 1) / k.NR;
	p0 = m0 / k.MR, p1 = (m0 + mn + k.MR - 1) / k.MR;
	C -= m0 * rsc;
	/* A panels per pass over the B panels: BLIS's MC, which stays in L2 */
	mcp = bli_cntx_get_blksz_def_dt(BLIS_FLOAT, BLIS_MC, k.cntx) / k.MR;
	if (mcp < 1)
		mcp = 1;
	memset(&aux, 0, sizeof aux);
	for (pc = 0; pc < K; pc += k.KC) {
		i64 kc = K - pc < k.KC ? K - pc : k.KC;
		const float *Ab = Ap + pc * np * k.PMR;
		pack(ctx, Bp, pc, kc, N, k.NR, k.PNR);
		for (ic = p0; ic < p1; ic += mcp)
			for (j = 0; j < nt; j++) {
				i64 t0 = j * k.NR, nr = N - t0 < k.NR ? N - t0 : k.NR;
				float *bp = Bp + j * kc * k.PNR;
				for (i = ic; i < p1 && i < ic + mcp; i++) {
					i64 r0 = i * k.MR, mr = m0 + mn - r0 < k.MR ? m0 + mn - r0 : k.MR;
					float *ap = (float *)Ab + i * kc * k.PMR;
					bli_auxinfo_set_next_ab(ap + kc * k.PMR, bp, &aux);
					k.fn(mr, nr, kc, &one, ap, bp, pc ? &one : &zero,
					     C + r0 * rsc + t0, rsc, 1, &aux, k.cntx);
				}
			}
	}
}

/* The entry points for layers whose filters change (onnx_wino.h) */

int arpg_wino_tile(int64_t OH, int64_t OW, int64_t n) { return onx_wino_tile(OH, OW, n); }

size_t arpg_wino_filters_floats(int64_t M, int64_t C, int m) { return weights_floats(M, C, m); }

int arpg_wino_filters(float *U, const float *w, int64_t M, int64_t C, int m, int flip)
{
	return wino_weights(U, w, M, C, m, flip);
}

size_t arpg_wino_scratch(int64_t C, int64_t M, int64_t H, int64_t W, int64_t N, int m,
			 int nthreads)
{
	return onx_wino_scratch(C, M, H, W, N, m, nthreads);
}

void arpg_wino_conv(const struct arpg_wino_conv *c, float *scratch, int nthreads)
{
	struct onx_wino_args a = {
		.x = c->x, .N = c->N, .C = c->C, .H = c->H, .W = c->W, .m = c->m, .U = c->U,
		.M = c->M, .OH = c->H, .OW = c->W, .pt = 1, .pl = 1, .b = c->b, .res = c->res,
		.act = ACT_NONE, .y = c->y,
	};

	onx_wino_run(&a, scratch, nthreads);
}
