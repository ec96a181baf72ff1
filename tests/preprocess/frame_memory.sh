#!/bin/sh
# ARPG_FRAME_MEMORY: an aligned clip too long to hold decoded is decoded
# again for its landmarks and crops (preprocess/clip.c, the steps of
# common/face/tracker.h) and must give the same bytes as one held in
# memory: every PNG, frames.tsv, the manifest (its path column aside) and
# standard output.  On the demo data (tools/make_demo_data.py --small:
# AFEW's validation clips, some with frames the cascade misses; the
# Aff-Wild2 set, two people followed on their sides) and on clips made
# here with the ffmpeg CLI: a face hidden in some frames (their transforms
# are the neighbours') and no face at all (centre crops); with the
# cascade, --smooth, -j 2, a limit that some clips fit and others outgrow
# in the middle, a CNN detector (SCRFD with random weights from
# tests/face/make_scrfd.py, which needs python3-torch; the real YuNet of
# ARPG_TEST_MODELS), with and without landmarks.  -v says which clips
# were decoded again; a limit that is no number is a usage error.
. "${top_srcdir:-.}/tests/tap.sh"
need_demo_data
command -v ffmpeg >/dev/null || skip_all "the ffmpeg CLI is not installed"
in_work_dir frame_memory
plan 14
skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n # SKIP $1"; }
A=/usr/lib/python3/dist-packages/skimage/data/astronaut.png

# made: a face that moves and is hidden (two black frames in nine: 0 1,
# 9 10, ...); a test pattern with no face; the demo's AFEW validation clips
mkdir -p made/happy made/neutral
ffmpeg -loglevel error -loop 1 -framerate 25 -i $A -vf "\
crop=400:300:x='60+30*sin(5*t)':y='20+15*cos(3*t)',\
drawbox=enable='lt(mod(n\,9)\,2)':x=0:y=0:w=iw:h=ih:c=black:t=fill,format=yuv420p" \
	-frames:v 50 -c:v mpeg4 -q:v 3 made/happy/hidden.avi &&
	ffmpeg -loglevel error -f lavfi -i testsrc=size=160x120:rate=25 -frames:v 12 \
		-c:v mpeg4 made/neutral/pattern.avi &&
	"$py" "$gen" -o afew --small --seed 3 -q && test -s afew/Val_AFEW.zip &&
	"$py" "$gen" -o aw --layout affwild2 --small --seed 5 -q
ok $? "inputs: two clips by ffmpeg, the demo's AFEW and Aff-Wild2 sets"

# run NAME LIMIT ARGS...: arpg-preprocess into NAME with ARPG_FRAME_MEMORY
# LIMIT (- for unset): its stdout in NAME.out, stderr in NAME.err
run() {
	name=$1 limit=$2
	shift 2
	if [ "$limit" = - ]; then
		arpg-preprocess -v -o "$name" "$@" >"$name.out" 2>"$name.err"
	else
		ARPG_FRAME_MEMORY=$limit arpg-preprocess -v -o "$name" "$@" >"$name.out" \
			2>"$name.err"
	fi
}
# same A B: A and B hold the same files with the same bytes (the path
# column of the manifests aside, -j 2's order of stdout aside), and some
# PNGs; a difference is shown
same() {
	for d in "$1" "$2"; do
		cut -f1-6 "$d/manifest.tsv" >"$d.manifest"
		cut -f1-6 "$d.out" | sort >"$d.sorted"
	done
	diff -r -x manifest.tsv -x arpg.lock "$1" "$2" >diff.txt &&
		diff "$1.manifest" "$2.manifest" >>diff.txt &&
		diff "$1.sorted" "$2.sorted" >>diff.txt &&
		test "$(find "$1" -name '*.png' | wc -l)" -gt 0
	s=$?
	head -n 5 diff.txt | sed 's/^/# /'
	return $s
}
# streamed NAME N: -v said that N clips were decoded again
streamed() {
	test "$(grep -c 'exceed ARPG_FRAME_MEMORY.*decoded again' "$1.err")" = "$2"
}
# frame of NAME's CLIP, index I: its detected column
detected() { awk -F'\t' -v i="$3" '$1 == i { print $2 }' "$1/$2/frames.tsv"; }

run held - -l dir made && run again 0 -l dir made
s=$?
same held again && streamed held 0 && streamed again 2
ok $? "-l dir, the cascade: the same bytes held and decoded again (exit $s)"
test "$(detected held train_Happy_hidden 0)" = 0 &&
	test "$(detected held train_Happy_hidden 2)" = 1 &&
	test "$(detected held train_Happy_hidden 9)" = 0 &&
	grep -q '^train_Neutral_pattern	.*	12	0	' held/manifest.tsv
ok $? "so with frames without the face (the neighbours' transforms) and a clip without one"
# m0..m5 are columns 143 to 148
M() { awk -F'\t' -v i="$2" '$1 == i { print $143, $144, $145, $146, $147, $148 }' "$1"; }
f=held/train_Happy_hidden/frames.tsv
test "$(M $f 0)" = "$(M $f 2)" && test "$(M $f 9)" = "$(M $f 8)" &&
	test "$(M $f 10)" = "$(M $f 11)" && test "$(M $f 2)" != "$(M $f 8)"
ok $? "a hidden frame's transform is its nearest detected neighbour's"

run held3 - -j 2 -l dir --smooth 3 made && run again3 0 -j 2 -l dir --smooth 3 made
s=$?
same held3 again3 &&
	! cmp -s held/train_Happy_hidden/frames.tsv held3/train_Happy_hidden/frames.tsv
ok $? "--smooth 3 -j 2: the same bytes, and transforms other than unsmoothed (exit $s)"

run o_afew - -j 2 -l afew --smooth 2 afew/Val_AFEW.zip &&
	run o_afew0 0 -j 2 -l afew --smooth 2 afew/Val_AFEW.zip
s=$?
same o_afew o_afew0 && streamed o_afew0 35 &&
	test "$(tail -n +2 o_afew/manifest.tsv | awk -F'\t' '$5 != $6' | wc -l)" -gt 0
ok $? "-l afew --smooth 2 -j 2, clips with frames the cascade misses: the same bytes (exit $s)"

# 1 MiB: 13 frames of 160x160, about 60 of a video: outgrown midway
ann=aw/Annotations/EXPR_Set
videos="aw/videos/batch1 aw/videos/batch2.zip"
run o_aw - -j 2 -l affwild2 --annotations $ann $videos &&
	run o_aw1 1 -j 2 -l affwild2 --annotations $ann $videos
s=$?
same o_aw o_aw1 && streamed o_aw 0 && streamed o_aw1 10 &&
	grep -q '^train__video1_left	' o_aw1/manifest.tsv
ok $? "-l affwild2 (sides l and r) with 1 MiB, outgrown midway: the same bytes (exit $s)"

run o_aw20 20 -l affwild2 --annotations $ann $videos
s=$?
same o_aw o_aw20 && streamed o_aw20 0
ok $? "a limit the clips fit (20 MiB): held, the same bytes (exit $s)"

ARPG_FRAME_MEMORY=lots arpg-preprocess -o bad made 2>bad.err
s=$?
sed 's/^/# /' bad.err
test $s = 2 && grep -q "ARPG_FRAME_MEMORY 'lots'" bad.err && test ! -e bad
ok $? "ARPG_FRAME_MEMORY=lots: a usage error, exit 2 (got $s), nothing written"
ARPG_FRAME_MEMORY=-1 arpg-preprocess -o bad made 2>bad.err
s=$?
test $s = 2
ok $? "ARPG_FRAME_MEMORY=-1: a usage error, exit 2 (got $s)"

# CNN detectors: runs with and without landmarks
cnn() {
	model=$1 what=$2
	shift 2
	n=$(echo "$what $*" | tr -dc 'a-z0-9')
	run "c_$n" - -j 2 -l dir --detector "$model" --smooth 2 "$@" made &&
		run "c0_$n" 0 -j 2 -l dir --detector "$model" --smooth 2 "$@" made
	s=$?
	same "c_$n" "c0_$n" && streamed "c0_$n" 2 &&
		head -n 1 "c_$n/train_Happy_hidden/frames.tsv" | grep -q score
	ok $? "--detector $what${*:+ $*}: the same bytes (exit $s)"
	echo "# frames with a face: $(tail -n +2 "c_$n/manifest.tsv" | cut -f6 | tr '\n' ' ')"
}
if "$py" "${top_srcdir:-.}/tests/face/make_scrfd.py" scrfd >scrfd.err 2>&1; then
	cnn scrfd/scrfd_500m_kps.onnx scrfd --det-size 160
	cnn scrfd/scrfd_500m_kps.onnx scrfd --det-size 160 --landmarks none
else
	sed 's/^/# /' scrfd.err
	for i in 1 2; do skip "make_scrfd.py could not build SCRFD (python3-torch?)"; done
fi
model=${ARPG_TEST_MODELS:+$ARPG_TEST_MODELS/face_detection_yunet_2026may.onnx}
if [ -n "$ARPG_TEST_MODELS" ] && [ -r "$model" ]; then
	cnn "$model" yunet
	run c_aw - -j 2 -l affwild2 --detector "$model" --annotations $ann $videos &&
		run c1_aw 1 -j 2 -l affwild2 --detector "$model" --annotations $ann $videos
	s=$?
	same c_aw c1_aw && streamed c1_aw 10
	ok $? "-l affwild2 --detector yunet with 1 MiB: the same bytes (exit $s)"
else
	for i in 1 2; do
		skip "${ARPG_TEST_MODELS:+$model is absent}${ARPG_TEST_MODELS:-ARPG_TEST_MODELS is not set}"
	done
fi
