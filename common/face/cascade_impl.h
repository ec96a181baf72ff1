/* cascade_impl.h - the cascade in memory, as cascade_xml.c builds it and
 * cascade_detect.c runs it, and the arithmetic rules every cascade file
 * follows.  Not part of the API: see cascade.h.
 *
 * Include it after the system headers: the pragmas below apply to the
 * functions that follow them.
 */
#ifndef ARPG_FACE_CASCADE_IMPL_H
#define ARPG_FACE_CASCADE_IMPL_H

#include <math.h>
#include <stdint.h>

#include "cascade.h"

/* Results must not depend on the compiler fusing a*b+c into one rounding
 * (OpenCV's baseline build does not). */
#if defined(__clang__)
#pragma clang fp contract(off)
#define VECTORISE
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
/* -O2 of GCC 12 vectorises only the cheapest loops; the detector's row
 * loops need its full vectoriser (clang's -O2 has it). */
#define VECTORISE __attribute__((optimize("O3", "fp-contract=off")))
#else
#define VECTORISE
#endif

/* cvRound of a float: nearest, ties to even. */
static inline int round_f(float v)
{
	return (int)lrintf(v);
}

enum { FEAT_HAAR, FEAT_LBP };

struct haar_rect {
	int x, y, w, h;
	float weight;
};

struct haar_feature {
	int nrects;		/* 1 to 3 read; r[nrects..2] are zero */
	int tilted;
	struct haar_rect r[3];
};

struct lbp_feature {
	int x, y, w, h;		/* one cell; the feature covers 3w x 3h */
};

struct node {
	int feature;
	float threshold;	/* ordered features; 0 for categorical ones */
	int left, right;	/* > 0: node within the tree; <= 0: -leaf */
};

struct tree {
	int first_node, nnodes, first_leaf;
};

struct stage {
	int first_tree, ntrees;
	float threshold;	/* stageThreshold - 1e-5f, as OpenCV */
};

/* What the reader guarantees, so that detection checks nothing per window:
 * at least one stage, each of at least one tree; a tree's nodes and leaves
 * lie within nodes[] and leaves[], its children further down the tree
 * (evaluation ends), its leaves among its own; every node's feature is
 * below nfeatures; every rectangle (tilted ones as rotated) and every LBP
 * cell block lies within the winw x winh window; LBP cascades have 256
 * categories (subset_size 8 masks per node), HAAR ones none. */
struct arpg_cascade {
	int type;		/* FEAT_HAAR or FEAT_LBP */
	int winw, winh;		/* 1 to 4096 */
	int ncategories, subset_size;
	int stumps;		/* every tree is a single node */
	int tilted;		/* some HAAR feature is tilted */
	int nstages, ntrees, nnodes, nleaves, nfeatures;
	struct stage *stages;
	struct tree *trees;
	struct node *nodes;
	float *leaves;
	int32_t *subsets;	/* subset_size per node (LBP) */
	struct haar_feature *haar;	/* nfeatures (HAAR), else NULL */
	struct lbp_feature *lbp;	/* nfeatures (LBP), else NULL */
};

/* As arpg_cascade_detect, with every window of every scale evaluated one
 * at a time (the plain loop OpenCV runs) instead of the row kernels that
 * stump cascades take.  The same boxes, slower: for tests. */
int cascade_detect_reference(const struct arpg_cascade *c, const uint8_t *grey, int w, int h,
			     int stride, const struct arpg_cascade_params *p,
			     struct arpg_rect **out);

#endif
