#!/bin/sh
# arpg-features end to end on generated clips: run, info, verify, dump,
# rerun, meta mismatch, --force, f16 vs f32, shards + merge, bad inputs,
# streaming from a pipe, a full map, usage errors.  TAP.
gen="$top_builddir/tests/features/test_features_gen"
F=arpg-features
PY=${PYTHON3:-/usr/bin/python3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/arpg-features-cli.XXXXXX") || exit 1
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
check() { desc=$1; shift; if "$@"; then ok "$desc"; else nok "$desc"; fi; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
has_numpy() { "$PY" -c 'import numpy' 2>/dev/null; }
# same_npy A B TOL: the .npy files hold arrays of one shape within TOL
same_npy() { "$PY" -c '
import sys, numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
sys.exit(0 if a.shape == b.shape and np.abs(a - b).max() <= float(sys.argv[3]) else 1)' "$@"; }

echo "1..32"
cd "$tmp" || exit 1
"$gen" d 12 32 >/dev/null || { echo "Bail out! test_features_gen failed"; exit 1; }

$F -q -b hog -j2 -o c32 d/manifest.tsv 2>err
check "a run over 12 clips succeeds" test $? = 0
$F info c32 >info.txt
check "info counts 12 clips" grep -q '^clips	12$' info.txt
check "info lists labels in meta" grep -q '^meta	labels	Angry,Disgust,Fear,Happy,Neutral,Sad,Surprise$' info.txt
check "info counts per split" grep -q '^split	val	4$' info.txt
$F verify c32 >verify.txt
check "verify passes" grep -q '^ok	12 clips' verify.txt
$F dump c32 clip0003 --npy n32 >dump.txt
check "dump prints shapes: 32 frames by default" grep -q '^patch	f32	(32, 36, 36)$' dump.txt
check "dump records the face flags" grep -q '^faces	11101111011110111101111011110111$' dump.txt
check "dump writes app.npy and patch.npy" test -s n32/app.npy -a -s n32/patch.npy

$F -b hog -o c32 d/manifest.tsv 2>err
check "a rerun skips every clip" grep -q '12 already there' err

$F -b hog --grid 4 -o c32 d/manifest.tsv 2>err
rc=$?
check "another grid is refused (exit 1)" test $rc = 1
check "the refusal names the key" grep -q "grid: the cache has '6', this run '4'" err
cp -r c32 cforce
$F -q -b hog --grid 4 --force -o cforce d/manifest.tsv 2>err
check "--force rebuilds with the new grid" sh -c "$F info cforce | grep -q '^meta	grid	4$' && $F verify cforce >/dev/null"

# mirrored views: the records gain a leading axis of two; the key is core
$F -q -b hog --flip -o cflip d/manifest.tsv
check "--flip: two views per record, flip in meta, verify passes" sh -c \
	"$F dump cflip clip0003 | grep -q '^patch	f32	(2, 32, 36, 36)$' &&
	 $F info cflip | grep -q '^meta	flip	yes$' && $F verify cflip >/dev/null"
$F -b hog -o cflip d/manifest.tsv 2>err
check "a run without --flip is refused on a cache with it" sh -c \
	"test $? = 1 && grep -q \"flip: the cache has 'yes', this run 'no'\" err"
$F -b hog --flip -o c32 d/manifest.tsv 2>err
check "and a run with --flip on one made without it (no key: no)" sh -c \
	"test $? = 1 && grep -q \"flip: the cache has 'no', this run 'yes'\" err"

# a list of grids: one pass, every grid's nodes in the record
$F -q -b hog --grid 4,6 -o cgrids d/manifest.tsv
check "--grid 4,6: 16 + 36 nodes a frame, grid 4,6 in meta, verify passes" sh -c \
	"$F dump cgrids clip0003 | grep -q '^patch	f32	(32, 52, 36)$' &&
	 $F info cgrids | grep -q '^meta	grid	4,6$' && $F verify cgrids >/dev/null"
$F -b hog --grid 4,4 -o cbad d/manifest.tsv 2>err
check "--grid with a repeated grid is a usage error" sh -c \
	"test $? = 2 && grep -q 'expected G or a list' err"

$F -q -b hog --dtype f16 -o c16 d/manifest.tsv
$F dump c16 clip0003 --npy n16 >/dev/null
if has_numpy; then
	check "f16 tensors are within 1e-3 of f32" sh -c \
		"$(command -v "$PY") -c 'import numpy' && true" && \
		same_npy n32/app.npy n16/app.npy 1e-3 && same_npy n32/patch.npy n16/patch.npy 1e-3 || nok "f16 closeness"
else
	skip "f16 tensors are within 1e-3 of f32" "no numpy for $PY"
fi
du -k c32/data.mdb c16/data.mdb | sed 's/^/# size KiB: /'

$F merge mbad c32 c16 2>err
check "merge refuses caches of other dtypes" sh -c "test $? = 1 && grep -q 'dtype' err"

$F -q -b hog --shard 0/2 -o s0 d/manifest.tsv
$F -q -b hog --shard 1/2 -o s1 d/manifest.tsv
a=$($F info s0 | sed -n 's/^clips	//p'); b=$($F info s1 | sed -n 's/^clips	//p')
check "two shards split the 12 clips ($a + $b)" test $((a + b)) = 12 -a "$a" -gt 0 -a "$b" -gt 0
$F -q merge m s0 s1
check "merge joins the shards" sh -c "$F verify m | grep -q '^ok	12 clips'"
same=1
for id in $(sed -n '2,$s/	.*//p' d/manifest.tsv); do
	$F dump c32 "$id" --npy x1 >/dev/null && $F dump m "$id" --npy x2 >/dev/null || same=0
	cmp -s x1/app.npy x2/app.npy && cmp -s x1/patch.npy x2/patch.npy || same=0
done
check "merged tensors equal a single run's" test $same = 1

# a bad PNG, a bad manifest line, a missing frames.tsv
cp -r d e
sed -i "s|	d/|	e/|" e/manifest.tsv
echo "garbage line" >>e/manifest.tsv
echo "not a png" >e/clip0002/000005.png
rm e/clip0004/frames.tsv
$F -b hog -o ce e/manifest.tsv 2>err
rc=$?
check "bad inputs: exit 1" test $rc = 1
check "the bad PNG is reported with its clip" grep -q 'clip clip0002: .*000005.png' err
check "the bad manifest line is reported" grep -q 'line 14' err
check "the other clips are kept" sh -c "$F info ce | grep -q '^clips	11$' && $F verify ce >/dev/null"
check "a missing frames.tsv is warned about" grep -q 'no frames.tsv' err

# streaming: a manifest arriving through a pipe, slowly
(head -n 5 d/manifest.tsv; sleep 1; tail -n +6 d/manifest.tsv) | $F -q -b hog -o cp - 2>err
check "a piped manifest works" sh -c "$F verify cp | grep -q '^ok	12 clips'"

# --frames all and --frames 4 on clips of varying length
"$gen" v 9 i >/dev/null
$F -q -b hog --frames all -o call v/manifest.tsv && $F -q -b hog --frames 4 -o c4 v/manifest.tsv
check "--frames all keeps every frame" sh -c "$F dump call clip0002 | grep -q '^source	0,1,2,3,4$'"
check "--frames 4 repeats frames of a 3-frame clip" sh -c "$F dump c4 clip0000 | grep -q '^source	0,1,1,2$'"

# a map that cannot grow: the clips written before stay whole
$F -b hog --map-limit 1048576 -o cfull d/manifest.tsv 2>err
rc=$?
check "a full map: exit 1 with a clear message, written clips verify" sh -c \
	"test $rc = 1 && grep -q 'no space' err && $F verify cfull >/dev/null"

$F -b hog 2>/dev/null; r1=$?
$F -b hog -o x --grid 0 d/manifest.tsv 2>/dev/null; r2=$?
$F --bogus 2>/dev/null; r3=$?
check "usage errors exit 2" test "$r1$r2$r3" = 222

if [ $fails = 0 ]; then rm -rf "$tmp"; else echo "# kept $tmp"; fi
