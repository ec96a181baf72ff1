#!/bin/sh
# One clip id means one clip: a manifest with two lines of one id (as two
# folders holding a.avi and a.mkv make) is refused line by line, the first
# kept, and the summary counts what the cache holds.  TAP.
gen="$top_builddir/tests/features/test_features_gen"
F=arpg-features
tmp=$(mktemp -d "${TMPDIR:-/tmp}/arpg-features-ids.XXXXXX") || exit 1
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
check() { desc=$1; shift; if "$@"; then ok "$desc"; else nok "$desc"; fi; }

echo "1..7"
cd "$tmp" || exit 1
"$gen" d 6 4 >/dev/null || { echo "Bail out! test_features_gen failed"; exit 1; }
# line 8: clip0001's id with clip0004's frames
{ cat d/manifest.tsv; sed -n 6p d/manifest.tsv | sed 's/^clip0004/clip0001/'; } >dup.tsv
$F -b hog -o c dup.tsv 2>err
check "a manifest with a repeated clip id fails (exit 1)" test $? = 1
check "the message names the line, the id and its first line" \
	grep -q "dup.tsv: bad format: line 8: clip id 'clip0001' is already on line 3" err
check "the summary counts 6 written, 1 bad line" grep -q "6 written.*1 bad manifest lines" err
check "the cache holds the 6 clips" sh -c "$F info c | grep -q '^clips	6$'"
$F dump c clip0001 --npy a >/dev/null && $F -q -b hog -o ref d/manifest.tsv &&
	$F dump ref clip0001 --npy b >/dev/null
check "the first line's clip is the one kept" sh -c "cmp -s a/app.npy b/app.npy"
$F -b hog --force -o c2 dup.tsv 2>err
check "--force refuses it too" sh -c "test $? = 1 && grep -q 'already on line 3' err"
cat dup.tsv | $F -q -b hog -o c3 - 2>err
check "from standard input too" grep -q "stdin: bad format: line 8" err

cd / && { [ $fails = 0 ] && rm -rf "$tmp" || echo "# kept $tmp"; }
exit 0
