#!/bin/sh
# Aff-Wild2, labelled frame by frame (issue 18), on the synthetic set of
# tools/make_demo_data.py --layout affwild2 --small: arpg-preprocess -l
# affwild2 | arpg-features keeps every annotated person (two in one video,
# each followed on its side), every label travels with its frame into
# frames.tsv and the cache, an annotation longer than its video is said;
# bad annotation files are named by file and line while the others' clips
# are made; a rerun keeps what is done and redoes a clip whose labels
# changed.
. "${top_srcdir:-.}/tests/tap.sh"
need_demo_data
in_work_dir affwild2
plan 19
ann=aw/Annotations/EXPR_Set
H=Neutral,Anger,Disgust,Fear,Happiness,Sadness,Surprise,Other

"$py" "$gen" -o aw --layout affwild2 --small --seed 5 -q &&
	test "$(ls aw/videos/batch1 | wc -l)" = 5 && test -s aw/videos/batch2.zip &&
	test "$(ls $ann/Train_Set $ann/Validation_Set | grep -c '\.txt$')" = 10
ok $? "make_demo_data.py --layout affwild2 --small: 9 videos (a folder and a zip), 10 annotation files"

{ arpg-preprocess -j 2 -l affwild2 --annotations $ann -o faces aw/videos/batch1 \
	aw/videos/batch2.zip 2>pre.err; echo $? >pre.status; } |
	arpg-features -q -b hog --frames all -o aw.lmdb - 2>feat.err
s=$?
test "$(cat pre.status)" = 0 && test $s = 0
ok $? "arpg-preprocess -l affwild2 --annotations | arpg-features --frames all (both exit 0)"
cat pre.err feat.err | sed 's/^/# /'

test "$(tail -n +2 faces/manifest.tsv | wc -l)" = 10 &&
	test "$(tail -n +2 faces/manifest.tsv | cut -f2 | sort | uniq -c | tr -s ' ' | tr '\n' ,)" = \
		" 7 train, 3 val,"
ok $? "one clip per annotated person, its split from the annotation's folder (7 train, 3 val)"
grep -q '^train__video1_left	' faces/manifest.tsv && grep -q '^train__video1_right	' faces/manifest.tsv &&
	test "$(tail -n +2 faces/manifest.tsv | cut -f3 | sort -u)" = ""
ok $? "the two people of video1 are two clips (_left, _right), with no clip label"
set -- $(sed -n 's/.*2-25-160x160\.txt has \([0-9]*\) labels for \([0-9]*\) frames: the labels past the last frame are left out$/\1 \2/p' pre.err)
test $# = 2 && test "$1" = $(($2 + 3))
ok $? "the annotation 3 lines longer than its video is said, with the rule applied"

# every frame's label in frames.tsv is its annotation line (video frame i)
"$py" - $ann faces <<'EOF' >labels.out
import glob, os, sys
ann, faces = sys.argv[1:]
bad = 0
for d in sorted(glob.glob(faces + "/*/")):
    cid = os.path.basename(d.rstrip("/"))
    name = cid.split("_", 2)[2]
    split = "Train_Set" if cid.startswith("train") else "Validation_Set"
    want = [int(x) for x in open("%s/%s/%s.txt" % (ann, split, name)).read().split("\n")[1:] if x]
    lines = open(d + "frames.tsv").read().split("\n")
    assert lines[1] == "#label_classes\t" + open("%s/%s/%s.txt" % (ann, split, name)).readline().strip()
    got = [int(l.split("\t")[-1]) for l in lines[2:] if l]
    exp = (want + [-1] * len(got))[:len(got)]
    if got != exp:
        bad += 1
        print("%s: %d labels differ" % (cid, sum(a != b for a, b in zip(got, exp))))
    cx = [float(l.split("\t")[2]) + float(l.split("\t")[4]) / 2 for l in lines[2:] if l and l.split("\t")[1] == "1"]
    if cid.endswith("_left") and not all(x < 160 for x in cx) or cid.endswith("_right") and not all(x >= 160 for x in cx):
        bad += 1
        print("%s: a followed face on the other side" % cid)
print("bad", bad)
EOF
tail -1 labels.out | grep -qx "bad 0"
ok $? "frames.tsv: each frame's label is its annotation line, under the label classes line"
sed 's/^/# /' labels.out
grep -q "a followed face on the other side" labels.out
test $? = 1
ok $? "video1_left follows the face in the left half of the frame, _right the right one"

arpg-features info aw.lmdb >info.txt
nlab=$("$py" -c '
import glob, sys
n = 0
for f in glob.glob(sys.argv[1] + "/*/frames.tsv"):
    n += sum(int(l.split("\t")[-1]) >= 0 for l in open(f).read().split("\n")[2:] if l)
print(n)' faces)
grep -qx "meta	frame_labels	$H" info.txt && grep -qx "frame_labels	10	$nlab" info.txt
ok $? "the cache: meta frame_labels, 10 clips labelled frame by frame, $nlab labelled frames"
arpg-features verify aw.lmdb >/dev/null 2>&1
ok $? "arpg-features verify"
if "$py" -c 'import lmdb, numpy' 2>/dev/null; then
	for id in train__video1_left val__9-25-160x160; do
		arpg-features dump aw.lmdb $id | sed -n 's/^frame_labels	//p'
	done >dump.txt
	PYTHONPATH="${top_srcdir:-.}/python" "$py" -c '
import sys, arpg
c = arpg.Cache(sys.argv[1])
for id in ("train__video1_left", "val__9-25-160x160"):
    print(",".join(str(v) for v in c.frame_labels(id)))' aw.lmdb >py.txt
	test -s dump.txt && cmp -s dump.txt py.txt
	ok $? "arpg.Cache.frame_labels reads what arpg-features dump prints"
else
	tap_n=$((tap_n + 1)); echo "ok $tap_n # SKIP $py has no lmdb and numpy"
fi

# a rerun keeps every clip; changed labels redo that person's clip only
arpg-preprocess -l affwild2 --annotations $ann -o faces aw/videos/batch1 aw/videos/batch2.zip \
	>/dev/null 2>rerun.err
s=$?
test $s = 0 && grep -q "0 clips done, 10 skipped" rerun.err
ok $? "a rerun skips the 10 complete clips"
sed -i '5s/.*/7/' $ann/Validation_Set/9-25-160x160.txt	# frame 3
arpg-preprocess -l affwild2 --annotations $ann -o faces aw/videos/batch1 aw/videos/batch2.zip \
	>/dev/null 2>rerun.err
grep -q "1 clips done, 9 skipped" rerun.err && test "$(sed -n 6p faces/val__9-25-160x160/frames.tsv | cut -f149)" = 7
ok $? "a changed annotation redoes its clip, with the new label"

# bad annotation files: named with their line; the other clips are made
mkdir -p bad/Train_Set bad/Validation_Set
cp $ann/Train_Set/3-25-160x160.txt $ann/Train_Set/4-25-160x160.txt bad/Train_Set/
{ echo "Neutral,Anger,Happy"; echo 0; } >bad/Train_Set/5-25-160x160.txt
{ echo $H; echo 0; echo 1x; } >bad/Train_Set/6-25-160x160.txt
{ echo $H; echo 0; echo 8; } >bad/Validation_Set/7-25-160x160.txt
{ echo $H; echo 0; } >bad/Validation_Set/missing-video.txt
arpg-preprocess -l affwild2 --annotations bad -o badout aw/videos/batch1 aw/videos/batch2.zip \
	>bad.man 2>bad.err
s=$?
sed 's/^/# /' bad.err
test $s = 1
ok $? "bad annotation files: exit status 1"
grep -q "bad/Train_Set/5-25-160x160.txt: .*line 1: the header is not the class names" bad.err &&
	grep -q "bad/Train_Set/6-25-160x160.txt: .*line 3: not a whole number" bad.err &&
	grep -q "bad/Validation_Set/7-25-160x160.txt: .*line 3: a label outside -1 to 7" bad.err
ok $? "a wrong header, letters and a label out of range: each named by file and line"
grep -q "bad/Validation_Set/missing-video.txt: .*no video missing-video\.\* in the inputs" bad.err
ok $? "an annotation without its video is named"
grep -q "batch1: 3 videos without an annotation file (first: " bad.err &&
	grep -q "batch2.zip: no video of it has an annotation: 4 videos without" bad.err
ok $? "the videos without an annotation are counted and noted, per input"
test "$(tail -n +2 bad.man | cut -f1 | sort | tr '\n' ' ')" = "train__3-25-160x160 train__4-25-160x160 "
ok $? "the two good annotations' clips are made"

arpg-preprocess -l affwild2 -o x aw/videos >/dev/null 2>&1
a=$?
arpg-preprocess -l afew --annotations $ann -o x aw/videos >/dev/null 2>&1
b=$?
arpg-preprocess -l affwild2 --annotations $ann --fps 5 -o x aw/videos >/dev/null 2>err.txt
c=$?
test $a = 2 && test $b = 2 && test $c = 2 && grep -q "keeps every frame of a video" err.txt
ok $? "usage errors: -l affwild2 without --annotations, --annotations with -l afew, --fps"
mkdir empty
arpg-preprocess -l affwild2 --annotations empty -o x aw/videos >/dev/null 2>err.txt
test $? = 1 && grep -q "empty: .*no annotation file" err.txt
ok $? "an annotation folder without annotation files: exit 1, said"
