#!/bin/sh
# The real YuNet (face_detection_yunet_2026may.onnx from the folder named by
# ARPG_TEST_MODELS) on arpg's engine (arpg-features onnx-run) against
# onnxruntime-node on the same inputs: 20 frames of Megamind.avi, messi5.jpg
# and astronaut.png at three input sizes (tests/onnx/detector_inputs.py).
# Every output must agree within 1e-4 of the largest magnitude of the
# reference tensor, or 1e-6 absolute (onnxruntime's logistic function is an
# approximation good to about 1e-7 near 0, where the objectness of a frame
# without faces lies).  Skipped, and said so, without the model,
# onnxruntime-node (in $ORT_DIR, default /tmp/ortbench; see
# bench/backbone.sh), node or python3-opencv.
. "${top_srcdir:-.}/tests/tap.sh"
PY=${PYTHON3:-/usr/bin/python3}
ORT_DIR=${ORT_DIR:-/tmp/ortbench}
export ORT_DIR
model=${ARPG_TEST_MODELS:+$ARPG_TEST_MODELS/face_detection_yunet_2026may.onnx}
[ -n "$ARPG_TEST_MODELS" ] || skip_all "ARPG_TEST_MODELS is not set (the folder of the real models)"
[ -r "$model" ] || skip_all "$model is absent"
command -v node >/dev/null || skip_all "node is not installed"
[ -d "$ORT_DIR/node_modules/onnxruntime-node" ] ||
	skip_all "onnxruntime-node is not installed in $ORT_DIR"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
"$PY" "$top_srcdir/tests/onnx/detector_inputs.py" "$tmp" 160x128,320x256,640x480 20 \
	>"$tmp/list"
case $? in
0) ;;
77) skip_all "python3-opencv, python3-onnx or the media are not installed" ;;
*) echo "1..1"; ok 1 "detector_inputs.py failed"; exit 0 ;;
esac
plan 3
node "$top_srcdir/tests/onnx/ort_run.js" "$model" "$tmp" "$tmp/list"
ok $? "onnxruntime-node ran $(wc -l <"$tmp/list") inputs"
fail=0
while read -r name w h; do
	arpg-features onnx-run "$model" -o "$tmp/$name.arpg" "$tmp/$name.pb" || fail=1
done <"$tmp/list"
ok $fail "arpg-features onnx-run ran every input"
"$PY" - "$tmp" "$tmp/list" <<'PYEOF'
import os
import sys
import numpy as np
import onnx
from onnx import numpy_helper
tmp, lst = sys.argv[1:3]
worst_rel, worst_abs, n, bad = 0.0, 0.0, 0, []
for line in open(lst):
    name = line.split()[0]
    k = 0
    while os.path.exists("%s/%s.ort/%d.f32" % (tmp, name, k)):
        ref = np.fromfile("%s/%s.ort/%d.f32" % (tmp, name, k), dtype=np.float32)
        got = numpy_helper.to_array(
            onnx.load_tensor("%s/%s.arpg/output_%d.pb" % (tmp, name, k))).ravel()
        if got.shape != ref.shape:
            bad.append("%s output %d: %d values, expected %d" % (name, k, got.size, ref.size))
        else:
            d = float(np.abs(got.astype(np.float64) - ref).max())
            scale = float(np.abs(ref).max())
            rel = d / scale if scale > 0 else 0.0
            worst_abs = max(worst_abs, d)
            if scale > 1e-2:
                worst_rel = max(worst_rel, rel)
            if not (d <= 1e-4 * scale or d <= 1e-6):
                bad.append("%s output %d: max diff %.3g, max |ref| %.3g" % (name, k, d, scale))
        n += 1
        k += 1
print("# %d output tensors compared; largest difference %.3g, largest relative to "
      "max |ref| (tensors above 0.01) %.3g" % (n, worst_abs, worst_rel))
for b in bad[:20]:
    print("# " + b)
print("%s 3 - every output within 1e-4 relative of onnxruntime" % ("ok" if n and not bad else "not ok"))
PYEOF
