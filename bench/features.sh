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
"$B/tests/features/test_features_gen" "$tmp/d" "$N" 16 >/dev/null
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

# With a CNN: an InsightFace-structure iresnet50 (random weights, exported by
# tests/onnx/make_iresnet.py; or ONNX=FILE for your own, e.g. w600k_r50.onnx)
# over ONNX_CLIPS clips of 16 frames; -v gives the split of the time.
# The backbone should take 90% or more: the rest must not be the bottleneck.
NO=${ONNX_CLIPS:-24}
model=${ONNX:-}
if [ -z "$model" ] && "${PYTHON3:-/usr/bin/python3}" -c 'import torch, onnx' 2>/dev/null; then
	"${PYTHON3:-/usr/bin/python3}" "$(dirname "$0")/../tests/onnx/make_iresnet.py" "$tmp/r50" \
		--layers 3,4,14,3 --opset 13 --no-reference >/dev/null 2>&1 && model=$tmp/r50/model.onnx
fi
if [ -n "$model" ] && [ -f "$model" ]; then
	head -n $((NO + 1)) "$tmp/d/manifest.tsv" >"$tmp/d/few.tsv"
	t0=$(now)
	"$F" -v -b "$model" -j "$J" -o "$tmp/cnn" "$tmp/d/few.tsv" 2>"$tmp/cnn.err"
	t1=$(now)
	awk -v n="$NO" -v a="$t0" -v b="$t1" -v j="$J" -v m="$(basename "$model")" 'BEGIN {
		t = b - a; printf "%s -j%d: %d clips x 16 frames in %.1f s: %.2f clips/s, %.1f frames/s\n",
			m, j, n, t, n / t, n * 16 / t }'
	grep 'time over all threads' "$tmp/cnn.err" | sed 's/^arpg-features: /  /'
else
	echo "no ONNX model (set ONNX=FILE, or install python3-torch and python3-onnx): CNN part skipped"
fi
