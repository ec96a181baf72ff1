#!/bin/sh
# arpg-preprocess --detector: models it must refuse (truncated, a
# classifier, YuNet's output names with other shapes, a 4 GiB activation)
# are refused with their reason and exit status 1 before any clip is read,
# and options that do not go together are usage errors (python3-onnx makes
# the models).  With the real YuNet (face_detection_yunet_2026may.onnx in
# the folder named by ARPG_TEST_MODELS): on Megamind.avi and the demo data
# (tools/make_demo_data.py --small, its validation clips), faces in at
# least as many frames as the cascade finds, frames.tsv with the
# detector's columns, the keypoints' eyes mapped onto the template, the
# same bytes with -j 1 and -j 2.  Skipped, and said so, without them.
. "${top_srcdir:-.}/tests/tap.sh"
PY=${PYTHON3:-/usr/bin/python3}
VIDEO=/usr/share/doc/opencv-doc/examples/data/Megamind.avi
"$PY" -c 'import onnx, numpy, cv2' 2>/dev/null ||
	skip_all "python3-onnx, python3-numpy or python3-opencv not installed"
[ -r "$VIDEO" ] || skip_all "$VIDEO not installed (opencv-doc)"
T=$(mktemp -d "${TMPDIR:-/tmp}/test_detector.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
plan 16
skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n # SKIP $1"; }
mkdir -p data/happy && ln -s "$VIDEO" data/happy/megamind.avi

"$PY" - <<'PYEOF'
import numpy as np
import onnx
from onnx import helper, TensorProto, numpy_helper
def save(name, nodes, outs, inits=(), shape=(1, 3, "h", "w")):
    g = helper.make_graph(nodes, name, [helper.make_tensor_value_info(
        "input", TensorProto.FLOAT, list(shape))], [helper.make_tensor_value_info(
        o, TensorProto.FLOAT, None) for o in outs], list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    onnx.save(m, name)
w = numpy_helper.from_array(np.zeros((1000, 3), np.float32), "fc.weight")
save("classifier.onnx", [helper.make_node("GlobalAveragePool", ["input"], ["g"]),
                         helper.make_node("Flatten", ["g"], ["f"]),
                         helper.make_node("Gemm", ["f", "fc.weight"], ["logits"], transB=1)],
     ["logits"], [w])
b = open("classifier.onnx", "rb").read()
open("truncated.onnx", "wb").write(b[:len(b) // 2])
names = ["%s_%d" % (k, s) for k in ("cls", "obj", "bbox", "kps") for s in (8, 16, 32)]
save("wrong.onnx", [helper.make_node("Relu", ["input"], [n]) for n in names], names)
save("huge.onnx", [helper.make_node("Relu", ["input"], ["r"]),
                   helper.make_node("Concat", ["r", "input"], ["y"], axis=1)], ["y"],
     shape=(1, 3, 16384, 16384))
PYEOF
for bad in truncated classifier wrong huge; do
	arpg-preprocess -q --detector $bad.onnx -o out_$bad data 2>err_$bad
	rc=$?
	sed 's/^/# /' err_$bad
	test $rc = 1 && test "$(wc -l <err_$bad)" = 1 &&
		grep -q "^arpg-preprocess: face models: [a-z ]*: $bad.onnx: " err_$bad &&
		test ! -e out_$bad
	ok $? "a $bad model: exit 1 (got $rc), one message naming it, no clip touched"
done
grep -q "not a face detector.*YuNet has 12.*SCRFD 6 or 9" err_classifier
ok $? "the classifier's message says what a detector has"
arpg-preprocess --landmarks none -o u data 2>err; rc=$?
test $rc = 2 && grep -q "needs --detector" err
ok $? "--landmarks none without --detector: exit 2 (got $rc)"
arpg-preprocess --detector wrong.onnx --min-size 40 -o u data 2>err; rc=$?
test $rc = 2 && grep -q -- "--min-size is a setting of the cascade" err
ok $? "--detector with a cascade option: exit 2 (got $rc)"
arpg-preprocess --detector wrong.onnx --det-size 100 -o u data 2>err; rc=$?
test $rc = 2
ok $? "--det-size 100 (not a multiple of 32): exit 2 (got $rc)"

model=${ARPG_TEST_MODELS:+$ARPG_TEST_MODELS/face_detection_yunet_2026may.onnx}
if [ -z "$ARPG_TEST_MODELS" ] || [ ! -r "$model" ]; then
	for i in 1 2 3 4 5 6 7 8; do
		skip "${ARPG_TEST_MODELS:+$model is absent}${ARPG_TEST_MODELS:-ARPG_TEST_MODELS is not set}"
	done
	exit 0
fi
"$PY" "${top_srcdir:-.}/tools/make_demo_data.py" -o demo --small --seed 5 -q
ok $? "make_demo_data.py --small"
# frames with the followed face: Megamind, then the demo's validation clips
faces() { tail -n +2 "$1/manifest.tsv" | awk -F'\t' '{ n += $6 } END { print n + 0 }'; }
arpg-preprocess -q -o vj data && arpg-preprocess -q -j 1 --detector "$model" -o yu data &&
	arpg-preprocess -q -l afew -o vjd demo/Val_AFEW.zip &&
	arpg-preprocess -q -l afew --detector "$model" --landmarks dlib -o yud demo/Val_AFEW.zip
ok $? "the cascade and YuNet on Megamind.avi and the demo's validation clips"
v=$(faces vj) y=$(faces yu) vd=$(faces vjd) yd=$(faces yud)
echo "# frames with a face: Megamind.avi cascade $v, YuNet $y; demo data cascade $vd, YuNet $yd"
test "$y" -ge "$v" && test "$yd" -ge "$vd"
ok $? "YuNet finds the face in at least as many frames as the cascade"
awk -F'\t' 'NR == 1 && NF != 159 { exit 1 } NR > 1 && $2 == 1 && ($149 < 0.5 || $150 == 0) { exit 1 }' \
	yu/*/frames.tsv
ok $? "frames.tsv has the detector's 159 columns, a score of at least 0.5 and keypoints"
# the eyes (keypoints 0 and 1; dlib's landmarks 36-41 and 42-47) through
# each transform: frames, within 5 px of the template's, median error
"$PY" "${top_srcdir:-.}/tests/frames_eyes.py" yud keypoints >eyes_k.txt &&
	"$PY" "${top_srcdir:-.}/tests/frames_eyes.py" yud >eyes_l.txt
read -r n nk mk <eyes_k.txt
read -r n2 nl ml <eyes_l.txt
echo "# demo data, YuNet: $n frames; keypoint eyes $nk of $((2 * n)) within 5 px, median $mk px;" \
	"dlib's eye centres $nl within 5 px, median $ml px"
awk -v n="$n" -v k="$nk" -v m="$mk" 'BEGIN { exit !(n > 0 && k >= 0.95 * 2 * n && m < 3) }'
ok $? "the detector's eyes land on the template's"
awk -v m="$ml" 'BEGIN { exit !(m < 5) }'
ok $? "dlib's eye centres (on the detector's boxes, recorded only) land near them too"
arpg-preprocess -q -j 2 --detector "$model" -o yu2 data && diff -r yu/train_Happy_megamind \
	yu2/train_Happy_megamind >/dev/null
ok $? "-j 2 writes the same frames.tsv and PNGs as -j 1"
arpg-preprocess -q --detector "$model" --landmarks none -o yun data &&
	awk -F'\t' 'NR > 1 && ($7 != 0 || $142 != 0) { exit 1 }' yun/*/frames.tsv &&
	cut -f1-6,143-159 yun/*/frames.tsv | cmp -s - "$(cut -f1-6,143-159 yu/*/frames.tsv >c; echo c)"
ok $? "--landmarks none: zeros for the landmarks, the same boxes, transforms and keypoints"
