#!/bin/sh
# arpg-features onnx-run as a user checks a model: an InsightFace-structure
# iresnet18 and iresnet50 (random weights, exported from PyTorch by
# tests/onnx/make_iresnet.py with PyTorch's own outputs beside them) give
# the same embeddings within 1e-4 of their norm.  Then Gemm with constant
# weights at 1 to 20 rows, both transposes (few rows take sgemv, more take
# sgemm), against numpy.
. "${top_srcdir:-.}/tests/tap.sh"
PY=${PYTHON3:-/usr/bin/python3}
"$PY" -c 'import torch, onnx' 2>/dev/null || skip_all "python3-torch or python3-onnx is not installed"
work=$(mktemp -d "${TMPDIR:-/tmp}/arpg-onnx-run.XXXXXX")
trap 'rm -rf "$work"' EXIT
plan 12
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
for g in 1:0:1 3:1:0 5:0:0 20:0:1; do
	set -- $(echo "$g" | tr : ' ')
	d=$work/gemm-$1-$2-$3
	"$PY" - "$d" "$1" "$2" "$3" <<'PYEOF'
import os, sys, numpy as np, onnx
from onnx import helper, numpy_helper, TensorProto
d, M, ta, tb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
N, K = 37, 300
rng = np.random.default_rng(M)
a = rng.standard_normal((K, M) if ta else (M, K)).astype(np.float32)
b = rng.standard_normal((N, K) if tb else (K, N)).astype(np.float32)
c = rng.standard_normal(N).astype(np.float32)
node = helper.make_node("Gemm", ["a", "b", "c"], ["y"], transA=ta, transB=tb, alpha=0.5)
g = helper.make_graph([node], "gemm", [helper.make_tensor_value_info("a", TensorProto.FLOAT, a.shape)],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, (M, N))],
                      [numpy_helper.from_array(b, "b"), numpy_helper.from_array(c, "c")])
os.makedirs(d)
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), d + "/model.onnx")
open(d + "/input.pb", "wb").write(numpy_helper.from_array(a, "a").SerializeToString())
y = 0.5 * (a.T if ta else a) @ (b.T if tb else b) + c
open(d + "/output.pb", "wb").write(numpy_helper.from_array(y.astype(np.float32)).SerializeToString())
PYEOF
	arpg-features onnx-run "$d/model.onnx" -o "$d/out" "$d/input.pb"
	ok $? "onnx-run runs Gemm with $1 rows, transA $2, transB $3"
	compare "$d/out/output_0.pb" "$d/output.pb"
	ok $? "its product equals numpy's within 1e-4 of each row's norm"
done
