#!/bin/sh
# One writer at a time on a cache: while arpg-features writes a cache, a
# second arpg-features (with --force or not) and a merge into it are refused,
# naming the holder, and the first one's work is whole at the end.  TAP.
gen="$top_builddir/tests/features/test_features_gen"
F=arpg-features
tmp=$(mktemp -d "${TMPDIR:-/tmp}/arpg-features-lock.XXXXXX") || exit 1
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
check() { desc=$1; shift; if "$@"; then ok "$desc"; else nok "$desc"; fi; }

echo "1..9"
cd "$tmp" || exit 1
"$gen" d 12 16 >/dev/null || { echo "Bail out! test_features_gen failed"; exit 1; }

# the first writer holds the cache open while its manifest is slow to come
{ while [ ! -e go ]; do sleep 0.1; done; cat d/manifest.tsv; } |
	$F -q -b hog -o c - 2>err1 &
first=$!
i=0
while ! grep -q arpg-features c/arpg.lock 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
check "the writer records itself in CACHE/arpg.lock" grep -q "^[0-9][0-9]* arpg-features$" c/arpg.lock

$F -q -b hog --grid 4 --force -o c d/manifest.tsv 2>err2
check "a second writer with --force is refused (exit 1)" test $? = 1
check "the refusal names the holder" grep -q "held by arpg-features (pid [0-9]*)" err2
check "the refusal names the lock file" grep -q "c/arpg.lock" err2
$F -q -b hog -o c d/manifest.tsv 2>err3
check "a second writer without --force is refused too" test $? = 1
$F -q -b hog -o other d/manifest.tsv 2>/dev/null
$F merge c other 2>err4
check "a merge into the cache is refused" sh -c "test $? = 1 && grep -q 'held by' err4"
touch go
wait $first
check "the first writer finishes (exit 0)" test $? = 0
check "its work is whole" sh -c "$F verify c | grep -q '^ok	12 clips'"
$F -q -b hog --grid 4 --force -o c d/manifest.tsv
check "after it, the cache is free for the next writer" test $? = 0

cd / && { [ $fails = 0 ] && rm -rf "$tmp" || echo "# kept $tmp"; }
exit 0
