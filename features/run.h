/* run.h - arpg-features' main work: a manifest in, a cache out.
 *
 * The calling thread reads the manifest (a pipe works: clips start as
 * their lines arrive) and hands clips to `jobs` worker threads, which read
 * PNGs and run the backbone; each finished clip is written in one
 * transaction, one writer at a time.  A clip already in the cache is
 * skipped (unless force).  A failing clip or a bad manifest line is
 * reported on stderr, counted, and the others go on.
 */
#ifndef FEATURES_RUN_H
#define FEATURES_RUN_H

#include <signal.h>
#include <stddef.h>
#include "backbone.h"
#include "cache.h"

struct run_opts {
	const char *manifest;	/* path, or "-" for standard input */
	const char *cache;	/* directory */
	int frames, dtype, want_c;
	struct arpg_cache_layout grids;	/* --grid: ngrids, grids, nodes (views unused) */
	int flip;		/* also the mirrored crops (--flip) */
	int maps;		/* 0, or the dtype of the maps records (--maps) */
	const char *input;	/* meta "input" text */
	int shard_k, shard_n;	/* shard_n 0: no sharding */
	int force;		/* recompute present clips; empty a cache of other meta */
	int jobs;		/* worker threads (>= 1) */
	size_t map_limit;	/* bytes; 0 none */
	volatile sig_atomic_t *stop;	/* set by a signal handler: stop between clips */
};

struct run_stats {
	long rows, done, skipped, other_shard, failed, bad_lines;
	double t_decode, t_backbone, t_pool, t_encode, t_write;	/* seconds, all threads */
};

/* Runs the whole job.  Returns 0 when every clip went in (or was skipped),
 * 1 when some clips or lines failed (each reported already), or a negative
 * code for a failure of the whole run (cache cannot be opened, other meta,
 * disk full, interrupted), with the detail in err. */
int features_run(const struct run_opts *o, struct backbone *b,
		      struct run_stats *st, char *err, size_t errn);

#endif
