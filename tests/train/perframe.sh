#!/bin/sh
# arpg-train --per-frame (issue 18) over an Aff-Wild2-like synthetic cache
# from make_cache --per-frame: long clips whose class changes over time,
# unlabelled frames, 8 classes; it learns in macro-F1, repeats itself,
# evaluates and predicts a saved model frame by frame, writes ABAW files,
# and refuses what it cannot do.
. "${top_srcdir:-.}/tests/tap.sh"
MC="${top_builddir:-.}/tests/train/make_cache"
work=$(mktemp -d "${TMPDIR:-/tmp}/arpg-perframe-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
plan 18

strip_time() { sed 's/"seconds":[0-9.]*,//'; }
final_f1() { grep '"summary":"run"' "$1" | sed 's/.*"final":{[^}]*"f1":\([0-9.]*\).*/\1/'; }

"$MC" aw --per-frame --clips 30 --val 8 --classes 8 --frames 200 --signal 0.4 --seed 3 >/dev/null
t="--dim 32 --heads 2 --batch 16 -j 1"
arpg-train aw --per-frame --epochs 8 $t >run.jsonl 2>run.err
ok $? "trains per frame on an Aff-Wild2-like cache"
f1=$(final_f1 run.jsonl)
awk -v f="$f1" 'BEGIN { exit !(f >= 0.5) }'
ok $? "validation macro-F1 $f1 is well above chance (1/8) within 8 epochs"
grep '"split":"val"' run.jsonl | head -n 1 |
	grep -q '"f1_class":\[[0-9.]*\(,[0-9.]*\)\{7\}\],"frames":[0-9]*,'
ok $? "a val line has the F1 of each of the 8 classes and the frames run"
grep -q '"class-weights":"balanced"' run.jsonl
ok $? "the class weights are balanced by default per frame"
grep -q '"labels":\["Neutral","Anger","Disgust","Fear","Happiness","Sadness","Surprise","Other"\],"confusion":\[\[' run.jsonl
ok $? "the summary has the frame classes and the confusion matrix"

arpg-train aw --per-frame --epochs 2 $t -q | strip_time >a.jsonl
arpg-train aw --per-frame --epochs 2 $t -q | strip_time >b.jsonl
cmp -s a.jsonl b.jsonl
ok $? "the same seed gives the same numbers bit for bit"

arpg-train aw --per-frame --epochs 2 $t -q --save m >s.jsonl
ok $? "--save a per-frame model"
arpg-train aw --load m -j 1 >eval.jsonl
grep -q '"summary":"eval"' eval.jsonl &&
	test "$(sed 's/.*"val":{[^}]*"f1":\([0-9.]*\).*/\1/' eval.jsonl)" = "$(final_f1 s.jsonl)"
ok $? "--load evaluates it frame by frame to the final epoch's macro-F1"
arpg-train aw --load m --predict --abaw-dir abaw -j 1 >pred.tsv
ok $? "--load --predict --abaw-dir"
head -n 1 pred.tsv | grep -q '^clip_id	split	frame	label	predicted	p_Neutral	.*	p_Other$'
ok $? "the predictions' header"
frames=$(arpg-features info aw | awk '$1 == "frames" { print $2 }')
test "$(($(wc -l <pred.tsv) - 1))" = "$frames"
ok $? "a prediction line per frame ($frames)"
n=$(ls abaw | wc -l)
f=abaw/val_video_00022.txt
test "$n" = 30 && head -n 1 "$f" | grep -qx 'Neutral,Anger,Disgust,Fear,Happiness,Sadness,Surprise,Other' &&
	test "$(($(wc -l <"$f") - 1))" = "$(grep -c '^val_video_00022	' pred.tsv)" &&
	! tail -n +2 "$f" | grep -qvx '[0-7]'
ok $? "an ABAW file per clip: the classes line, then a class index per frame"

# windows longer than some clips: their missing frames are padding
"$MC" short --per-frame --clips 12 --val 4 --classes 3 --frames 20 --seed 4 >/dev/null
arpg-train short --per-frame --epochs 1 --frames 16 $t -q >/dev/null
ok $? "clips shorter than the window train and evaluate"

"$MC" clips --clips 12 --val 4 >/dev/null
arpg-train clips --per-frame --epochs 1 $t 2>err >/dev/null
test $? = 1 && grep -q 'no per-frame labels (meta frame_labels)' err
ok $? "--per-frame on a cache of clip labels is refused"
arpg-train aw --epochs 1 $t 2>err >/dev/null
test $? = 1 && grep -q 'but their frames do (meta frame_labels): train with --per-frame' err
ok $? "a per-frame cache without --per-frame says to use it"
arpg-train aw --per-frame --augment mixup $t 2>err >/dev/null
test $? = 2 && grep -q 'drop and mixup work on whole clips' err
ok $? "--per-frame refuses mixup"
arpg-train --load m --export-onnx m.onnx 2>err
test $? = 1 && grep -q 'writes the clip-level head only' err && test ! -e m.onnx
ok $? "--export-onnx refuses a per-frame model"
arpg-predict -m m aw 2>err >/dev/null
test $? = 1 && grep -q 'does not record how its faces were cropped' err
ok $? "arpg-predict reads a per-frame model, and asks for the crops' settings this cache lacks"
