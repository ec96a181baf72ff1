#!/bin/sh
# arpg-predict end to end on clips made with the ffmpeg CLI: a small model
# trained here (hog, 4 frames, dim 16), then predictions that must equal
# arpg-preprocess | arpg-features | arpg-train --predict run by hand with
# the model's settings; --json; --keep and the temporary folder; signals;
# and bad input: files that are not models, a model without preprocess
# settings, a backbone of the wrong SHA-256, a bad video among good ones.
. "${top_srcdir:-.}/tests/tap.sh"
py=${PYTHON3:-python3}
command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
T=$(mktemp -d "${TMPDIR:-/tmp}/test_predict.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
plan 39
skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n # SKIP $1"; }
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
# clip OUT HUE: 8 frames of a test pattern, 96x96
clip() { ff -f lavfi -i "testsrc=size=96x96:rate=10" -t 0.8 -vf "hue=h=$2" -c:v mpeg4 "$1"; }

for s in train val; do
	for l in Angry Happy; do
		mkdir -p "data/$s/$l"
		for i in 1 2; do clip "data/$s/$l/c$i.avi" $((i * 40 + ${#l} * 30)); done
	done
done
mkdir -p videos/more
clip videos/a.avi 10 && clip videos/more/b.mp4 200 && clip videos/c.mkv 300
# centre crops (--no-align) for most tests: the face stage (and dlib's
# model load) would take most of the time; one model of aligned crops
arpg-preprocess -q -l dir --no-align -o faces data >/dev/null &&
	arpg-features -q -b hog --frames 4 -o train.lmdb faces/manifest.tsv &&
	arpg-train train.lmdb --epochs 3 --dim 16 --heads 2 -q --save m.arpg >/dev/null
ok $? "a small model trained on clips made by ffmpeg"
settings=$(arpg-features info train.lmdb | sed -n 's/^meta	preprocess	//p')
test "$settings" = "$(sed -n 's/^settings	//p' faces/train_Angry_c1/origin.tsv)" &&
	test "$settings" = "size=112 fps=0 max-frames=0 align=0"
ok $? "arpg-features records the clips' origin.tsv settings as meta preprocess"
arpg-preprocess -q -l dir --smooth 2 --min-neighbors 4 -o afaces data >/dev/null &&
	arpg-features -q -b hog --frames 4 -o aligned.lmdb afaces/manifest.tsv &&
	arpg-train aligned.lmdb --epochs 1 --dim 16 --heads 2 -q --save al.arpg >/dev/null
asettings=$(arpg-features info aligned.lmdb | sed -n 's/^meta	preprocess	//p')
arpg-predict -q -m al.arpg --keep akept videos/a.avi >/dev/null &&
	test "$(arpg-features info akept/cache | sed -n 's/^meta	preprocess	//p')" = "$asettings" &&
	case $asettings in *align=1\ cascade=*min-neighbors=4*smooth=2) true ;; *) false ;; esac
ok $? "a model of aligned crops: arpg-predict makes its crops with the same settings"
yunet=${ARPG_TEST_MODELS:+$ARPG_TEST_MODELS/face_detection_yunet_2026may.onnx}
if [ -n "$yunet" ] && [ -r "$yunet" ]; then
	# given by a relative name, recorded absolute: the model predicts from
	# any folder
	cp "$yunet" yunet.onnx && mkdir elsewhere &&
	arpg-preprocess -q -l dir --detector yunet.onnx --landmarks none --det-score 0.6 \
		-o yfaces data >/dev/null &&
		arpg-features -q -b hog --frames 4 -o yunet.lmdb yfaces/manifest.tsv &&
		arpg-train yunet.lmdb --epochs 1 --dim 16 --heads 2 -q --save y.arpg >/dev/null
	ysettings=$(arpg-features info yunet.lmdb | sed -n 's/^meta	preprocess	//p')
	(cd elsewhere && arpg-predict -q -m ../y.arpg --keep ../ykept ../videos/a.avi) >/dev/null &&
		test "$(arpg-features info ykept/cache | sed -n 's/^meta	preprocess	//p')" = "$ysettings" &&
		case $ysettings in *detector="$(pwd -P)"/yunet.onnx\ *det-score=0.6\ landmarks=none*) true ;;
		*) false ;; esac
	ok $? "a model of YuNet's crops (--detector by a relative name): arpg-predict makes its crops with the same settings from another folder"
else
	skip "ARPG_TEST_MODELS has no face_detection_yunet_2026may.onnx"
fi

# Predictions
arpg-predict -q -m m.arpg videos >out.tsv 2>err.txt
ok $? "arpg-predict on a folder of videos exits 0"
test "$(head -1 out.tsv)" = "clip	source	predicted	p_Angry	p_Happy" &&
	test "$(tail -n +2 out.tsv | wc -l)" = 3
ok $? "a header and one line per video (3)"
# by hand, as the man page says arpg-predict does it
printf 'path\tlabel\tsplit\tsubject\n' >list.tsv
for v in videos/a.avi videos/c.mkv videos/more/b.mp4; do
	printf '%s\t\ttest\t\n' "$(realpath "$v")" >>list.tsv
done
arpg-preprocess -q -l list --no-align -o hand list.tsv >/dev/null &&
	arpg-features -q -b hog --grid 6 --frames 4 --dtype f32 -o hand.lmdb hand/manifest.tsv &&
	arpg-train hand.lmdb --load m.arpg --predict -q >hand.tsv
ok $? "the same by hand: arpg-preprocess -l list, arpg-features, arpg-train --predict"
tail -n +2 hand.tsv | cut -f1,4- | sort >want.txt
tail -n +2 out.tsv | cut -f1,3- | sort >got.txt
cmp -s want.txt got.txt
ok $? "arpg-predict's clips, labels and probabilities equal the hand-made run's"
grep -q "	$(realpath videos/more/b.mp4)	" out.tsv
ok $? "the source column names the video"

arpg-predict -q -m m.arpg --json videos/a.avi videos/c.mkv >out.json
test "$(wc -l <out.json)" = 2 &&
	grep -q '^{"clip":"test__a","source":"[^"]*/videos/a.avi","predicted":"[A-Za-z]*","probabilities":{"Angry":[0-9.]*,"Happy":[0-9.]*}}$' out.json
ok $? "--json: an object per clip"
if "$py" -c 'import json' 2>/dev/null; then
	"$py" -c 'import json, sys
rows = [json.loads(l) for l in open("out.json")]
assert all(abs(sum(r["probabilities"].values()) - 1) < 1e-5 for r in rows)
assert all(max(r["probabilities"], key=r["probabilities"].get) == r["predicted"] for r in rows)'
	ok $? "--json parses; probabilities sum to 1 and the predicted label is the likeliest"
else
	skip "no Python"
fi
if command -v zip >/dev/null 2>&1; then
	(cd data && zip -qr ../val.zip val)
	arpg-predict -q -m m.arpg val.zip videos/a.avi >out.tsv &&
		test "$(tail -n +2 out.tsv | wc -l)" = 5 &&
		grep -q "^val_Happy_c2	$T/val.zip:val/Happy/c2.avi	" out.tsv && grep -q "^test__a	" out.tsv
	ok $? "an archive (read with -l dir) and a video in one run"
else
	skip "zip is not installed"
fi
{ arpg-predict -q -m m.arpg --json videos 2>err.txt; echo $? >status.txt; } | head -1 >/dev/null
test "$(cat status.txt)" = 0 && test ! -s err.txt
ok $? "a reader that goes away (| head -1) ends the output quietly"

# Files: none left behind, or all of them with --keep
mkdir tmp
TMPDIR=$T/tmp arpg-predict -q -m m.arpg videos/a.avi >/dev/null && test -z "$(ls -A tmp)"
ok $? "nothing is left in TMPDIR"
arpg-predict -q -m m.arpg --keep kept videos/a.avi >kept.tsv &&
	test -s kept/predictions.tsv && test -s kept/faces/manifest.tsv && test -d kept/cache
ok $? "--keep DIR keeps the crops, the cache and arpg-train's predictions"
test "$(arpg-features info kept/cache | sed -n 's/^meta	preprocess	//p')" = "$settings"
ok $? "the crops were made with the model's preprocess settings"
arpg-predict -q -m m.arpg --keep kept videos/a.avi >/dev/null 2>err.txt
test $? = 1 && grep -q "new or an empty folder" err.txt
ok $? "--keep refuses a folder that holds something"
TMPDIR=$T/tmp arpg-predict -m m.arpg videos >/dev/null 2>&1 &
pid=$!
sleep 0.3
kill -TERM $pid 2>/dev/null
wait $pid
s=$?
{ test $s = 0 || test $s = 143; } && test -z "$(ls -A tmp)"
ok $? "SIGTERM: the temporary folder is removed (exit $s)"

# Bad input
printf 'not a video' >bad.avi
arpg-predict -q -m m.arpg videos/a.avi bad.avi videos/c.mkv >out.tsv 2>err.txt
s=$?
test $s = 1 && test "$(tail -n +2 out.tsv | wc -l)" = 2 && grep -q "arpg-preprocess: exit status 1" err.txt
ok $? "a bad video among good ones: the others are predicted, exit 1 names the stage ($s)"
arpg-predict -q -m m.arpg videos/a.avi nosuch.avi >out.tsv 2>err.txt
test $? = 1 && test "$(tail -n +2 out.tsv | wc -l)" = 1 && grep -q "nosuch.avi" err.txt
ok $? "a missing input is reported, the others predicted, exit 1"
printf '\211PNG\r\n\032\n0000000000000000' >model.png
arpg-predict -m model.png videos/a.avi >/dev/null 2>err.txt
test $? = 1 && grep -q "model.png: a PNG image, not a model" err.txt
ok $? "a PNG given as -m is named as one (exit 1)"
printf '\010\007\022\004arpg:\002\020\015' >head.onnx
arpg-predict -m head.onnx videos/a.avi >/dev/null 2>err.txt
test $? = 1 && grep -q "head.onnx: an ONNX model" err.txt
ok $? "an ONNX file given as -m is named as one (exit 1)"
arpg-predict -m nosuch.arpg videos/a.avi >/dev/null 2>err.txt
test $? = 1 && grep -q "nosuch.arpg: .*No such file" err.txt
ok $? "a missing model (exit 1)"
arpg-predict -m m.arpg --per-frame videos/a.avi >/dev/null 2>err.txt
test $? = 2 && grep -q "no per-frame probabilities" err.txt && test -z "$(ls -A tmp)"
ok $? "--per-frame with a clip-level model is refused before anything runs (exit 2)"

# A per-frame model (arpg-train --per-frame): Aff-Wild2's layout made by
# hand from the clips above, 8 frames each, the second half of each
# labelled by its hue's class
cls=Neutral,Anger,Disgust,Fear,Happiness,Sadness,Surprise,Other
mkdir -p aw/v aw/ann/Train_Set aw/ann/Validation_Set
n=0
for v in data/*/*/*.avi; do
	n=$((n + 1))
	cp "$v" aw/v/p$n.avi
	case $v in data/train/*) s=Train_Set ;; *) s=Validation_Set ;; esac
	case $v in */Angry/*) y=1 ;; *) y=4 ;; esac
	{ echo $cls; for f in 0 1 2 3; do echo 0; done; for f in 4 5 6 7; do echo $y; done; } \
		>aw/ann/$s/p$n.txt
done
arpg-preprocess -q -l affwild2 --annotations aw/ann --no-align -o awfaces aw/v >/dev/null &&
	arpg-features -q -b hog --frames all -o aw.lmdb awfaces/manifest.tsv &&
	arpg-train aw.lmdb --per-frame --frames 4 --epochs 2 --dim 16 --heads 2 -q \
		--save pf.arpg >/dev/null
ok $? "a per-frame model trained on a hand-made Aff-Wild2 layout"
arpg-predict -q -m pf.arpg --per-frame videos/a.avi videos/c.mkv >pf.tsv &&
	test "$(head -1 pf.tsv)" = "clip	source	frame	predicted	p_Neutral	p_Anger	p_Disgust	p_Fear	p_Happiness	p_Sadness	p_Surprise	p_Other" &&
	test "$(grep -c '^test__a	' pf.tsv)" = 8 && test "$(grep -c '^test__c	' pf.tsv)" = 8 &&
	test "$(grep '^test__a	' pf.tsv | cut -f3 | tr '\n' ' ')" = "0 1 2 3 4 5 6 7 "
ok $? "--per-frame: a line per frame of every video, frames in order"
printf 'path\tlabel\tsplit\tsubject\n%s\t\ttest\t\n%s\t\ttest\t\n' "$(realpath videos/a.avi)" \
	"$(realpath videos/c.mkv)" >pflist.tsv
arpg-preprocess -q -l list --no-align -o pfhand pflist.tsv >/dev/null &&
	arpg-features -q -b hog --frames all -o pfhand.lmdb pfhand/manifest.tsv &&
	arpg-train pfhand.lmdb --load pf.arpg --predict -q >pfhand.tsv &&
	tail -n +2 pfhand.tsv | cut -f1,3,5- >want.txt && tail -n +2 pf.tsv | cut -f1,3- >got.txt &&
	cmp -s want.txt got.txt
ok $? "... the frames' predicted labels and probabilities equal arpg-train --load --predict's by hand"
arpg-predict -q -m pf.arpg videos/a.avi videos/c.mkv >pfclip.tsv &&
	test "$(tail -n +2 pfclip.tsv | wc -l)" = 2 &&
	awk -F '\t' 'NR == FNR { if (FNR > 1) { for (j = 5; j <= NF; j++) s[$1, j] += $j; n[$1]++ }; next }
		FNR > 1 { b = 4; for (j = 4; j <= NF; j++) {
				d = $j - s[$1, j + 1] / n[$1]; if (d > 1e-6 || d < -1e-6) exit 1
				if (s[$1, j + 1] > s[$1, b + 1]) b = j }
			if (n[$1] != 8 || $3 != substr(h[b], 3)) exit 1 }
		FNR == 1 { for (j = 1; j <= NF; j++) h[j] = $j }' pf.tsv pfclip.tsv
ok $? "without --per-frame: a line per clip, the mean of its frames and its likeliest class"
arpg-predict -q -m pf.arpg --per-frame --json videos/a.avi >pf.json &&
	test "$(wc -l <pf.json)" = 8 &&
	grep -q '^{"clip":"test__a","source":"[^"]*/videos/a.avi","frame":7,"predicted":"[A-Za-z]*","probabilities":{"Neutral":[0-9.]*,"Anger":[0-9.]*,' pf.json
ok $? "--per-frame --json: an object per frame with its frame number"

# A model trained before the preprocess settings were recorded: clips
# without origin.tsv make a cache without meta preprocess.
cp -r faces oldfaces && rm oldfaces/*/origin.tsv &&
	sed "s|$T/faces|$T/oldfaces|" faces/manifest.tsv >oldfaces/manifest.tsv &&
	arpg-features -q -b hog --frames 4 -o old.lmdb oldfaces/manifest.tsv &&
	arpg-train old.lmdb --epochs 1 --dim 16 --heads 2 -q --save old.arpg >/dev/null
arpg-predict -m old.arpg videos/a.avi >/dev/null 2>err.txt
test $? = 1 && grep -q "does not record how its faces were cropped.*pass --preprocess 'SETTINGS'" err.txt
ok $? "a model without preprocess settings: exit 1, and what to pass instead"
arpg-predict -q -m old.arpg --preprocess "$settings" videos/a.avi >out.tsv
test $? = 0 && test "$(tail -n +2 out.tsv | wc -l)" = 1
ok $? "... and with --preprocess it predicts"
# Clips of two settings in one cache (concatenated manifests)
arpg-preprocess -q -l list --no-align --fps 5 -o f5 list.tsv >/dev/null &&
	{ cat faces/manifest.tsv; cat f5/manifest.tsv; } >both.tsv &&
	arpg-features -b hog --frames 4 -o mixed.lmdb both.tsv 2>err.txt &&
	test "$(arpg-features info mixed.lmdb | sed -n 's/^meta	preprocess	//p')" = mixed &&
	grep -q 'test__a: made with other preprocess settings (size=112 fps=5 max-frames=0 align=0)' err.txt
ok $? "clips of two preprocess settings: meta preprocess is mixed, and a warning names the clip"
arpg-features -q -b hog --frames 4 -o same.lmdb hand/manifest.tsv &&
	arpg-features -q -b hog --frames 4 -o f5.lmdb f5/manifest.tsv &&
	arpg-features -q merge msame.lmdb train.lmdb same.lmdb &&
	arpg-features -q merge mf5.lmdb train.lmdb f5.lmdb &&
	test "$(arpg-features info msame.lmdb | sed -n 's/^meta	preprocess	//p')" = "$settings" &&
	test "$(arpg-features info mf5.lmdb | sed -n 's/^meta	preprocess	//p')" = mixed
ok $? "arpg-features merge: shards of one setting keep it, of two make it mixed"
arpg-train mixed.lmdb --epochs 1 --dim 16 --heads 2 -q --save mixed.arpg >/dev/null &&
	arpg-predict -m mixed.arpg videos/a.avi >/dev/null 2>err.txt
test $? = 1 && grep -q 'cropped with different settings.*pass --preprocess' err.txt
ok $? "a model of mixed crops: exit 1, and what to pass instead"
arpg-predict -m old.arpg --preprocess "size=112 colour=blue" videos/a.avi >/dev/null 2>err.txt
test $? = 1 && grep -q "'colour' is not a preprocess setting" err.txt
ok $? "an unknown preprocess setting is refused"

# A model of an ONNX backbone (its settings rewritten, the checksum made
# again): -b must give the file of the recorded SHA-256.
if "$py" -c 'import hashlib' 2>/dev/null; then
	printf 'weights' >bb.onnx
	printf 'other' >wrong.onnx
	"$py" - m.arpg onnx.arpg bb.onnx <<'PY'
import hashlib, struct, sys
b = open(sys.argv[1], "rb").read()[:-32]
n = struct.unpack("<I", b[12:16])[0]
text = b[16:16 + n].decode()
sha = hashlib.sha256(open(sys.argv[3], "rb").read()).hexdigest()
text = text.replace("cache.backbone\thog\n", "cache.backbone\tr50.onnx\n")
text = "\n".join(l if not l.startswith("cache.backbone_sha256\t") else
                 "cache.backbone_sha256\t" + sha for l in text.split("\n"))
out = b[:12] + struct.pack("<I", len(text.encode())) + text.encode() + b[16 + n:]
open(sys.argv[2], "wb").write(out + hashlib.sha256(out).digest())
PY
	arpg-predict -m onnx.arpg videos/a.avi >/dev/null 2>err.txt
	test $? = 1 && grep -q "r50.onnx is neither beside it nor in the current folder: give the file with -b FILE" err.txt
	ok $? "an ONNX backbone not found: -b FILE is asked for"
	arpg-predict -m onnx.arpg -b wrong.onnx videos/a.avi >/dev/null 2>err.txt
	test $? = 1 && grep -q "wrong.onnx: SHA-256 .* not the same backbone" err.txt && test -z "$(ls -A tmp)"
	ok $? "-b FILE of another SHA-256 is refused"
else
	skip "no Python"
	skip "no Python"
fi

# A model whose backbone's last stage was tuned (arpg-train --tune-backbone)
# computes its appearance vectors from the stride-8 maps: arpg-predict makes
# its cache with them and gives what arpg-train --load --predict gives by hand.
tpy=${PYTHON3:-/usr/bin/python3}
if "$tpy" -c 'import torch, onnx' 2>/dev/null &&
	"$tpy" "$top_srcdir/tests/onnx/make_iresnet.py" ir --layers 1,1,1,1 --no-reference \
		>/dev/null 2>&1; then
	arpg-features -q -b ir/model.onnx --maps --frames 4 -o tuned.lmdb faces/manifest.tsv &&
		arpg-train tuned.lmdb --tune-backbone ir/model.onnx --augment none --epochs 1 \
			--dim 16 --heads 2 -q --save t.arpg >/dev/null &&
		arpg-predict -q -m t.arpg -b ir/model.onnx videos >tout.tsv
	ok $? "a tuned model: arpg-predict runs it"
	arpg-features -q -b ir/model.onnx --maps --frames 4 -o thand.lmdb hand/manifest.tsv &&
		arpg-train thand.lmdb --load t.arpg --predict -q >thand.tsv &&
		tail -n +2 thand.tsv | cut -f1,4- | sort >twant.txt &&
		tail -n +2 tout.tsv | cut -f1,3- | sort >tgot.txt &&
		test "$(wc -l <tgot.txt)" = 3 && cmp -s twant.txt tgot.txt
	ok $? "... its labels and probabilities equal arpg-train --load --predict's over maps by hand"
else
	skip "$tpy lacks torch or onnx, or make_iresnet.py failed"
	skip "$tpy lacks torch or onnx, or make_iresnet.py failed"
fi
