#!/bin/sh
# bench/features.sh - arpg-features -b hog throughput and cache sizes.
#   top_builddir=BUILD sh bench/features.sh [CLIPS] [JOBS]
# Generates CLIPS clips (default 300) of 16 frames, then times a run at
# -j JOBS (default 2), for f32 and f16, and reports clips/s, frames/s and
# the cache size on disk.  Also times PNG decoding alone (a run of
# --frames 1 is mostly decode + LMDB) to show where the time goes.
set -e
B=${top_builddir:-.}
F="$B/features/arpg-features"
N=${1:-300}
J=${2:-2}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/arpg-bench-features.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$B/tests/test_features_gen" "$tmp/d" "$N" 16 >/dev/null
now() { date +%s.%N; }
for dt in f32 f16; do
	t0=$(now)
	"$F" -q -b hog -j "$J" --dtype $dt -o "$tmp/c$dt" "$tmp/d/manifest.tsv"
	t1=$(now)
	size=$(du -k "$tmp/c$dt/data.mdb" | cut -f1)
	awk -v n="$N" -v a="$t0" -v b="$t1" -v dt=$dt -v j="$J" -v s="$size" 'BEGIN {
		t = b - a; printf "hog -j%d %s: %d clips x 16 frames in %.2f s: %.1f clips/s, %.0f frames/s; cache %.1f MiB (%.1f KiB/clip)\n",
			j, dt, n, t, n / t, n * 16 / t, s / 1024, s / n }'
done
t0=$(now)
"$F" -q -b hog -j "$J" --frames 16 --grid 1 -o "$tmp/cg1" "$tmp/d/manifest.tsv"
t1=$(now)
awk -v n="$N" -v a="$t0" -v b="$t1" 'BEGIN { printf "hog --grid 1 (less pooling): %.1f clips/s\n", n / (b - a) }'
