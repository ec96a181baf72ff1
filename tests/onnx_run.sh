#!/bin/sh
# arpg-features onnx-run as a user checks a model: an InsightFace-structure
# iresnet18 and iresnet50 (random weights, exported from PyTorch by
# tests/onnx/make_iresnet.py with PyTorch's own outputs beside them) give
# the same embeddings within 1e-4 of their norm.
. "${top_srcdir:-.}/tests/tap.sh"
PY=${PYTHON3:-/usr/bin/python3}
"$PY" -c 'import torch, onnx' 2>/dev/null || skip_all "python3-torch or python3-onnx is not installed"
work=$(mktemp -d "${TMPDIR:-/tmp}/arpg-onnx-run.XXXXXX")
trap 'rm -rf "$work"' EXIT
plan 4
compare() {
	"$PY" - "$1" "$2" <<'PYEOF'
import sys, numpy as np, onnx
from onnx import numpy_helper
def rd(p):
    t = onnx.TensorProto(); t.ParseFromString(open(p, "rb").read()); return numpy_helper.to_array(t)
a, b = rd(sys.argv[1]), rd(sys.argv[2])
err = max(float(np.abs(a[i] - b[i]).max() / np.linalg.norm(b[i])) for i in range(b.shape[0]))
print("# relative error %.2e" % err)
sys.exit(0 if a.shape == b.shape and err <= 1e-4 else 1)
PYEOF
}
for net in r18:2,2,2,2 r50:3,4,14,3; do
	name=${net%%:*} layers=${net#*:}
	"$PY" "$top_srcdir/tests/onnx/make_iresnet.py" "$work/$name" --layers "$layers" --opset 13 --batch 2 >/dev/null 2>&1
	arpg-features onnx-run "$work/$name/model.onnx" -o "$work/$name/out" "$work/$name/input.pb"
	ok $? "onnx-run runs $name"
	compare "$work/$name/out/output_0.pb" "$work/$name/output.pb"
	ok $? "$name embeddings equal PyTorch's within 1e-4 of their norm"
done
