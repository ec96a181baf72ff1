#!/bin/sh
# The cache read from Python (lmdb + numpy only) per arpg-cache(5) gives
# the tensors of `arpg-features dump --npy`, for f32 and f16 caches and one
# with two grids and mirrored views.
gen="$top_builddir/tests/features/test_features_gen"
PY=${PYTHON3:-/usr/bin/python3}
if ! "$PY" -c 'import lmdb, numpy' 2>/dev/null; then
	echo "1..0 # SKIP $PY lacks lmdb or numpy (Debian: python3-lmdb python3-numpy)"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/arpg-features-py.XXXXXX") || exit 1
cd "$tmp" || exit 1
"$gen" d 4 5 >/dev/null || { echo "Bail out! test_features_gen failed"; exit 1; }
arpg-features -q -b hog --frames 3 --grid 5 -o c32 d/manifest.tsv &&
arpg-features -q -b hog --dtype f16 -o c16 d/manifest.tsv &&
arpg-features -q -b hog --frames 4 --grid 3,5 --flip -o cf d/manifest.tsv &&
arpg-features dump c32 clip0001 --npy n32 >/dev/null &&
arpg-features dump c16 clip0002 --npy n16 >/dev/null &&
arpg-features dump cf clip0003 --npy nf >/dev/null || { echo "Bail out! arpg-features failed"; exit 1; }
# three TAP streams joined into one plan
out=$( { "$PY" "$top_srcdir/tests/features/test_features_read.py" c32 clip0001 n32
	 "$PY" "$top_srcdir/tests/features/test_features_read.py" c16 clip0002 n16
	 "$PY" "$top_srcdir/tests/features/test_features_read.py" cf clip0003 nf; } 2>&1)
echo "1..15"
printf '%s\n' "$out" | grep -v '^1\.\.' | awk '/^(not )?ok /{ n++; sub(/^ok [0-9]+/, "ok " n);
	sub(/^not ok [0-9]+/, "not ok " n) } { print }'
printf '%s\n' "$out" | grep -q '^Traceback' && echo "not ok 16 - python raised"
cd / && rm -rf "$tmp"
