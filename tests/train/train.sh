#!/bin/sh
# arpg-train as a user runs it, over synthetic caches from make_cache:
# it learns, it repeats itself, sweeps, folds, checkpoints, bad input.
. "${top_srcdir:-.}/tests/tap.sh"
MC="${top_builddir:-.}/tests/train/make_cache"
work=$(mktemp -d "${TMPDIR:-/tmp}/arpg-train-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
plan 39

# drop the timing fields, which differ between runs
strip_time() { sed 's/"seconds":[0-9.]*,//'; }
val_war() { grep '"summary":"run"' "$1" | sed 's/.*"final":{[^}]*"war":\([0-9.]*\).*/\1/'; }

"$MC" c7 --clips 210 --val 70 --classes 7 --frames 8 --grid 3 --app-dim 24 --patch-dim 16 \
	--signal 0.35 --seed 5 >/dev/null
arpg-train c7 --epochs 8 --dim 32 --heads 4 -j 2 >run.jsonl 2>run.err
ok $? "trains on a 7-class cache"
war=$(val_war run.jsonl)
awk -v w="$war" 'BEGIN { exit !(w >= 0.5) }'
ok $? "validation WAR $war is well above chance (1/7) within 8 epochs"
n=$(grep -c '"split":"val"' run.jsonl)
test "$n" = 8
ok $? "one val line per epoch ($n)"
grep -q '"confusion":\[\[' run.jsonl && grep -q '"labels":\["Angry","Disgust","Fear","Happy","Neutral","Sad","Surprise"\]' run.jsonl
ok $? "summary has labels and a confusion matrix"
grep -q 'epoch 8/8' run.err
ok $? "a progress line per epoch on stderr"

arpg-train c7 --epochs 3 --dim 32 -j 2 -q | strip_time >a.jsonl
arpg-train c7 --epochs 3 --dim 32 -j 2 -q | strip_time >b.jsonl
cmp -s a.jsonl b.jsonl
ok $? "the same seed and -j give the same numbers bit for bit"
arpg-train c7 --epochs 3 --dim 32 -j 2 -q --seed 2 | strip_time >c.jsonl
! cmp -s a.jsonl c.jsonl
ok $? "another seed gives other numbers"

# A batch of 32 clips of 16 frames of a 6x6 grid is 512 relation graphs of
# 36 nodes: the backward splits it into some 30 units, which -j 2 shares
# between its threads and whose partial sums are added in a fixed order.
"$MC" big --clips 128 --val 32 --classes 7 --frames 16 --grid 6 --app-dim 64 --patch-dim 32 \
	--seed 3 >/dev/null
# The saved weights are compared, not only the printed losses (6 digits).
arpg-train big --epochs 2 --dim 64 --heads 4 -j 1 -q --save j1.arpg | strip_time >j1.jsonl
arpg-train big --epochs 2 --dim 64 --heads 4 -j 2 -q --save j2.arpg | strip_time >j2.jsonl
test -s j1.jsonl && cmp -s j1.jsonl j2.jsonl && test -s j1.arpg && cmp -s j1.arpg j2.arpg
ok $? "-j 1 and -j 2 give the same numbers and weights bit for bit"

arpg-train c7 --epochs 2 --dim 16 --trs 1,all --modality both,app,rel --seed 1,2 >sweep.jsonl 2>sweep.err
ok $? "a sweep over trs x modality x seed runs"
runs=$(grep -c '"summary":"run"' sweep.jsonl)
test "$runs" = 12
ok $? "every combination ran ($runs of 12)"
tail -n 1 sweep.jsonl | grep -q '^{"table":\[.*"runs":2,"best":{"epoch_mean":[0-9.]*,"epoch_std":[0-9.]*,"war_mean":.*"final":{"war_mean":'
ok $? "the sweep ends with a table of mean and std over seeds, best and final epochs labelled"
grep -q 'best epoch .*best WAR%.*final WAR%' sweep.err
ok $? "the text table on stderr labels the best and the final epochs"

# temporal jitter: with dropout off, the random stream only shuffles and
# jitters, so jitter is visible in the numbers exactly when the cache holds
# more frames than a clip takes
"$MC" c32 --clips 60 --val 20 --classes 3 --frames 32 --grid 2 --app-dim 8 --patch-dim 4 --seed 3 >/dev/null
t="--epochs 2 --dim 16 --dropout 0"
arpg-train c32 $t --augment jitter 2>err32 | strip_time >j32
arpg-train c32 $t -q --augment none | strip_time | sed 's/"augment":"none"/"augment":"jitter"/' >n32
arpg-train c7 $t --frames 8 --augment jitter 2>err8 | strip_time >j8
arpg-train c7 $t -q --frames 8 --augment none | strip_time | sed 's/"augment":"none"/"augment":"jitter"/' >n8
! cmp -s j32 n32 && cmp -s j8 n8 && grep -q '"frames":16,' j32
ok $? "16 frames of a 32-frame cache jitter; 8 of an 8-frame cache cannot"
! grep -q 'jitter has no' err32 && grep -q 'holds 8 frames per clip, as many as a clip takes: the temporal jitter has no other frames' err8
ok $? "a cache holding exactly the frames a clip takes is warned about"

# the augmentations over the cache
"$MC" cf --clips 60 --val 20 --classes 3 --frames 16 --grid 2 --app-dim 8 --patch-dim 4 --flip >/dev/null
arpg-train cf --epochs 2 --dim 16 -q --augment jitter,flip | strip_time >f1 &&
	arpg-train cf --epochs 2 --dim 16 -q --augment jitter | strip_time >f0 &&
	! cmp -s f0 f1 && grep -q '"augment":"jitter,flip"' f1
ok $? "--augment flip trains on a cache with mirrored views, and changes the run"
arpg-train c7 --epochs 1 -q --augment flip >/dev/null 2>err
test $? = 1 && grep -q 'no mirrored views (extract with arpg-features --flip)' err
ok $? "--augment flip on a cache without mirrored views is refused"
arpg-train c7 --epochs 3 --dim 16 -q --augment jitter,drop,mixup --drop-frames 0.3 \
	--mixup-alpha 0.4 --save dm.arpg >dm.jsonl &&
	grep -q '"augment":"jitter,drop,mixup".*"drop_frames":0.3,"mixup_alpha":0.4' dm.jsonl &&
	grep -aq '^run.settings.*"augment":"jitter,drop,mixup"' dm.arpg
ok $? "frame drop-out and mixup run; the JSON lines and the model record them"
arpg-train c7 --epochs 3 --dim 16 -q --augment jitter,drop,mixup --drop-frames 0.3 \
	--mixup-alpha 0.4 | strip_time >dm2.jsonl && cmp -s dm2.jsonl "$(strip_time <dm.jsonl >dm1.jsonl; echo dm1.jsonl)"
ok $? "augmented runs repeat bit for bit"

# the grid ablation from one cache of two grids
"$MC" cg --clips 60 --val 20 --classes 3 --frames 8 --grid 2,3 --app-dim 8 --patch-dim 4 >/dev/null
arpg-train cg --grid 2,3 --epochs 2 --dim 16 -q >g.jsonl &&
	test "$(grep -c '"summary":"run"' g.jsonl)" = 2 &&
	grep '"summary":"run"' g.jsonl | head -1 | grep -q '"grid":2,' &&
	grep '"summary":"run"' g.jsonl | tail -1 | grep -q '"grid":3,' &&
	tail -1 g.jsonl | grep -q '^{"table":\[{"grid":2,.*},{"grid":3,'
ok $? "--grid 2,3 trains on each grid of one cache, and the table has a row for each"
arpg-train cg --epochs 1 --dim 16 -q | grep '"summary":"run"' | grep -q '"grid":2,'
ok $? "without --grid, the cache's first grid"
arpg-train cg --grid 4 --epochs 1 -q >/dev/null 2>err
test $? = 1 && grep -q 'holds grid 2,3, not 4 (extract with arpg-features --grid 4)' err
ok $? "a grid the cache does not hold is refused"
"$MC" cg3 --clips 30 --val 10 --classes 3 --frames 8 --grid 3 --app-dim 8 --patch-dim 4 >/dev/null
"$MC" cg2 --clips 30 --val 10 --classes 3 --frames 8 --grid 2 --app-dim 8 --patch-dim 4 >/dev/null
arpg-train cg --grid 3 --epochs 1 --dim 16 -q --save g3.arpg >/dev/null &&
	arpg-train cg3 --load g3.arpg -q | grep -q '"summary":"eval"' &&
	arpg-train cg --load g3.arpg -q | grep -q '"summary":"eval"' &&
	! arpg-train cg2 --load g3.arpg -q 2>err >/dev/null &&
	grep -q 'holds grid 2, not 3' err
ok $? "a model of grid 3 runs on any cache holding grid 3, and is refused on others"

"$MC" rml --clips 96 --subjects 4 --classes 6 --frames 6 --grid 2 --app-dim 12 --patch-dim 8 >/dev/null
arpg-train rml --folds 4 --epochs 3 --dim 16 -q >folds.jsonl
ok $? "--folds 4 over 4 subjects"
test "$(grep -c '"summary":"fold"' folds.jsonl)" = 4 && grep -q '"summary":"folds".*"best_mean":{"epoch":[0-9.]*,"war":.*"final_mean":{"war":' folds.jsonl
ok $? "a summary per fold and the means over folds of the best and the final epochs"
arpg-train rml --folds 5 --epochs 1 -q >/dev/null 2>err
test $? = 1 && grep -q 'only 4 subjects' err
ok $? "more folds than subjects is refused"

arpg-train c7 --epochs 3 --dim 16 -q --save m.arpg >/dev/null && test -s m.arpg
ok $? "--save writes a model"
arpg-train c7 --load m.arpg --predict >pred.tsv
ok $? "--load --predict"
test "$(head -n 1 pred.tsv | cut -f1-4)" = "$(printf 'clip_id\tsplit\tlabel\tpredicted')" &&
	test "$(wc -l <pred.tsv)" = 211
ok $? "a prediction per clip with a header"
arpg-train c7 --epochs 6 --dim 16 -q --resume m.arpg | strip_time | grep '"epoch":6,"split":"val"' >resumed
arpg-train c7 --epochs 6 --dim 16 -q | strip_time | grep '"epoch":6,"split":"val"' >straight
cmp -s resumed straight && test -s resumed
ok $? "--resume continues exactly as an uninterrupted run"
grep -aq '^run.optimizer.adam$' m.arpg && grep -aq '^run.settings.{"frames":8,.*"optimizer":"adam"' m.arpg
ok $? "a saved model records its optimizer and settings"
arpg-train c7 --epochs 3 --dim 16 -q --optimizer adamw --weight-decay 1e-4 --save w.arpg >w.jsonl &&
	grep -q '"optimizer":"adamw".*"weight_decay":0.0001' w.jsonl
ok $? "--optimizer adamw --weight-decay 1e-4 (the earlier defaults) runs and says so"
arpg-train c7 --epochs 4 --dim 16 -q --resume w.arpg >/dev/null 2>err; s1=$?
arpg-train c7 --epochs 4 --dim 16 -q --resume w.arpg --optimizer adamw --weight-decay 1e-4 >/dev/null; s2=$?
test $s1 = 1 && grep -q 'trained with adamw: resume with --optimizer adamw' err && test $s2 = 0
ok $? "a model resumes with its own optimizer only"
arpg-train c7 --epochs 2 --dim 16 -q --schedule cosine --warmup 1 --label-smoothing 0.1 \
	--class-weights balanced >opt.jsonl &&
	grep -q '"schedule":"cosine".*"label-smoothing":0.1,"class-weights":"balanced".*"warmup":1' opt.jsonl
ok $? "schedule, warm-up, label smoothing and class weights run and are in the settings"
"$MC" other --app-dim 10 >/dev/null
arpg-train other --load m.arpg >/dev/null 2>err
test $? = 1 && grep -q 'app_dim' err
ok $? "a model refuses a cache whose meta differs"
head -c 500 m.arpg >cut.arpg
arpg-train c7 --load cut.arpg >/dev/null 2>err
test $? = 1 && grep -q 'damaged or truncated' err
ok $? "a truncated model is reported"

"$MC" one --classes 1 >/dev/null
arpg-train one -q >/dev/null 2>err; s1=$?
"$MC" nan --nan-clip 3 >/dev/null
arpg-train nan -q >/dev/null 2>err2; s2=$?
test $s1 = 1 && grep -q 'at least 2 classes' err && test $s2 = 1 && grep -q 'NaN or Inf' err2
ok $? "a one-class cache and NaN features are refused (exit 1)"
# appearance features near FLT_MAX: finite in the cache, infinite once projected
"$MC" huge --scale 5e37 >/dev/null
arpg-train huge -q --epochs 2 --dim 16 >/dev/null 2>err; s1=$?
test $s1 = 1 && grep -q 'epoch 1: the loss became NaN at clip 1 of .*training diverged (try a lower --lr)' err
ok $? "a diverging run stops at the first non-finite loss with its epoch and clip (exit 1)"
arpg-train c7 --frames 9 -q >/dev/null 2>err; s1=$?
arpg-train rml -q --epochs 1 >/dev/null 2>err2; s2=$?
test $s1 = 1 && grep -q 'more than the 8 frames' err && test $s2 = 1 && grep -q 'no labelled clips in split val' err2
ok $? "--frames beyond the cache, and a missing val split, are refused"
arpg-train c7 --trs 1,,2 >/dev/null 2>err; s1=$?
arpg-train c7 --fusion gat,max >/dev/null 2>err2; s2=$?
arpg-train >/dev/null 2>&1; s3=$?
test $s1 = 2 && test $s2 = 2 && test $s3 = 2 && grep -q "fusion: 'max' is not gat or concat" err2
ok $? "bad option values exit 2 with a message"
