#!/bin/sh
# End to end: the small demo data (tools/make_demo_data.py, real faces Debian
# ships) through arpg-preprocess | arpg-features -b hog | arpg-train as a
# user chains them; every clip arrives, aligned crops put the eyes where the
# ArcFace template does, the validation accuracy is at least twice chance;
# the RML layout with --folds; two shards merged equal one unsharded run.
. "${top_srcdir:-.}/tests/tap.sh"
need_demo_data
in_work_dir e2e
plan 14
skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n # SKIP $1"; }
val_war() { grep '"summary":"run"' "$1" | sed 's/.*"final":{[^}]*"war":\([0-9.]*\).*/\1/'; }

"$py" "$gen" -o data --small --seed 3 -q && test -s data/Train_AFEW.zip && test -s data/Val_AFEW.zip
ok $? "make_demo_data.py --small writes Train_AFEW.zip and Val_AFEW.zip"
nclips=$("$py" -c 'import sys, zipfile
print(sum(n.endswith(".avi") for a in sys.argv[1:] for n in zipfile.ZipFile(a).namelist()))' \
	data/Train_AFEW.zip data/Val_AFEW.zip)

{ arpg-preprocess -q -l afew -o faces data/Train_AFEW.zip data/Val_AFEW.zip; echo $? >pre.status; } |
	arpg-features -q -b hog --frames 8 -o hog.lmdb - 2>feat.err
s=$?
test "$(cat pre.status)" = 0 && test $s = 0
ok $? "arpg-preprocess -l afew | arpg-features -b hog - (both exit 0)"

test "$(($(wc -l <faces/manifest.tsv) - 1))" = "$nclips"
ok $? "every clip of the archives is in the manifest ($nclips)"
arpg-features info hog.lmdb >info.txt && grep -q "^clips	$nclips\$" info.txt &&
	grep -q '^split	train	140$' info.txt && grep -q '^split	val	35$' info.txt
ok $? "every clip is in the cache, 140 train and 35 val (arpg-features info)"
arpg-features verify hog.lmdb >/dev/null 2>&1
ok $? "arpg-features verify"
missing=0
for id in $(tail -n +2 faces/manifest.tsv | cut -f1); do
	arpg-features dump hog.lmdb "$id" | grep -q "^clip	$id\$" || missing=$((missing + 1))
done
test $missing = 0
ok $? "each manifest clip id dumps from the cache ($missing missing)"

# Alignment: the eye centres (means of landmarks 36-41 and 42-47) mapped
# through each frame's transform land on the template's (38.29, 51.69) and
# (73.53, 51.50).  Prints detected frames, frames within 5 px, median error.
"$py" "${top_srcdir:-.}/tests/frames_eyes.py" faces >eyes.txt
read -r ndet nnear med <eyes.txt
nframes=$(tail -n +2 faces/manifest.tsv | awk -F'\t' '{ n += $5 } END { print n }')
if [ "${ndet:-0}" -gt 0 ]; then
	awk -v d="$ndet" -v f="$nframes" 'BEGIN { exit !(d >= 0.8 * f) }'
	ok $? "a face is detected in most frames ($ndet of $nframes)"
	awk -v n="$nnear" -v d="$ndet" -v m="$med" 'BEGIN { exit !(n >= 0.95 * 2 * d && m < 3) }'
	ok $? "aligned eyes on the template: $nnear of $((2 * ndet)) within 5 px, median $med px"
else
	skip "no face detected: alignment not built or not loaded"
	skip "no aligned frames to check"
fi

arpg-train hog.lmdb --epochs 25 --dim 64 -j 2 -q --save m.arpg >train.jsonl
ok $? "arpg-train on the cache"
war=$(val_war train.jsonl)
awk -v w="$war" 'BEGIN { exit !(w >= 2 / 7) }'
ok $? "validation WAR $war is at least twice chance (2/7)"

# RML: speaker folders, emotion codes in file names, subject-grouped folds.
"$py" "$gen" -o rmldata --layout rml --small --seed 4 -q &&
	{ arpg-preprocess -q -l rml -o rfaces rmldata/RML; echo $? >pre.status; } |
	arpg-features -q -b hog --frames 6 -o rml.lmdb - && test "$(cat pre.status)" = 0 &&
	arpg-features info rml.lmdb | grep -q '^clips	48$'
ok $? "the RML layout: 4 speakers x 6 emotions x 2 clips through the pipe"
arpg-train rml.lmdb --folds 4 --epochs 3 --dim 16 -q >folds.jsonl &&
	test "$(grep -c '"summary":"fold"' folds.jsonl)" = 4 && grep -q '"summary":"folds".*"final_mean"' folds.jsonl
ok $? "arpg-train --folds 4 grouped by speaker"

# Two shards, merged, equal the unsharded cache clip for clip.
arpg-features -q -b hog --frames 6 --shard 0/2 -o s0.lmdb rfaces/manifest.tsv &&
	arpg-features -q -b hog --frames 6 --shard 1/2 -o s1.lmdb rfaces/manifest.tsv &&
	arpg-features merge merged.lmdb s0.lmdb s1.lmdb >/dev/null 2>&1 &&
	arpg-features info merged.lmdb | grep -q '^clips	48$'
ok $? "--shard 0/2 and 1/2, then merge: all 48 clips"
same_dump() {
	rm -rf a b
	arpg-features dump rml.lmdb "$1" --npy a >a.txt && arpg-features dump merged.lmdb "$1" --npy b >b.txt &&
		cmp -s a.txt b.txt && test -n "$(ls a)" || return 1
	for f in a/*; do
		cmp -s "$f" "b/${f#a/}" || return 1
	done
}
diffs=0
for id in $(tail -n +2 rfaces/manifest.tsv | cut -f1); do
	same_dump "$id" || diffs=$((diffs + 1))
done
test $diffs = 0
ok $? "the merged shards dump the same as the unsharded cache ($diffs clips differ)"
