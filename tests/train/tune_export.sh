#!/bin/sh
# arpg-train --tune-backbone's checkpoints and --export-backbone, on small
# iresnets made by tests/onnx/make_iresnet.py (PyTorch; skipped without
# it): the exported backbone runs under onnxruntime-node (skipped without
# it) and through arpg-features -b, giving the embeddings of the trainer's
# own forward of the tuned tail (tune_embed, as --load runs it) within
# 1e-4 of the largest; only the tail's initializers change, and at
# --lr-backbone 0 none; -j 2 tunes as -j 1; a saved model evaluates as
# training ended; a resumed run ends as an uninterrupted one; the bad cases
# are refused.
. "${top_srcdir:-.}/tests/tap.sh"
gen="$top_builddir/tests/features/test_features_gen"
embed="$top_builddir/tests/train/tune_embed"
PY=${PYTHON3:-/usr/bin/python3}
ORT_DIR=${ORT_DIR:-/tmp/ortbench}
export ORT_DIR
"$PY" -c 'import torch, onnx, numpy' 2>/dev/null ||
	skip_all "$PY lacks torch, onnx or numpy (Debian: python3-torch python3-onnx)"
no_ort=
command -v node >/dev/null 2>&1 || no_ort="no node"
[ -n "$no_ort" ] || [ -d "$ORT_DIR/node_modules/onnxruntime-node" ] ||
	no_ort="onnxruntime-node is not installed in $ORT_DIR"
in_work_dir tune-export
"$PY" "$top_srcdir/tests/onnx/make_iresnet.py" m --layers 1,1,1,1 --batch 3 >/dev/null 2>&1 &&
"$PY" "$top_srcdir/tests/onnx/make_iresnet.py" m2 --layers 1,1,1,1 --seed 2 --no-reference \
	>/dev/null 2>&1 || skip_all "make_iresnet.py could not export the models"
"$gen" d 3 4 >/dev/null || { echo "Bail out! test_features_gen failed"; exit 1; }
plan 19

# the largest difference of two float arrays (.pb, .npy or a folder of
# ort_run.js outputs) relative to the second's largest value; fails over
# 1e-4 and prints it
cat >maxdiff.py <<'PY'
import glob, os, sys, numpy as np, onnx
from onnx import numpy_helper
def load(p):
    if p.endswith(".pb"):
        t = onnx.TensorProto(); t.ParseFromString(open(p, "rb").read())
        return numpy_helper.to_array(t).astype(np.float64)
    if p.endswith(".npy"):
        return np.load(p).astype(np.float64)
    n = len(glob.glob(p + "/*.ort"))
    return np.stack([np.fromfile("%s/%d.ort/0.f32" % (p, i), np.float32) for i in range(n)])
a, b = load(sys.argv[1]), load(sys.argv[2]).reshape(load(sys.argv[1]).shape)
d = np.abs(a - b).max() / max(1.0, np.abs(b).max())
print("# %s vs %s: max difference %.3g of the largest %.3g" % (sys.argv[1], sys.argv[2], d, np.abs(b).max()))
sys.exit(0 if d <= 1e-4 else 1)
PY

arpg-features -q -b m/model.onnx --frames 3 --maps=f32 -o c d/manifest.tsv
cp m/model.onnx orig.onnx
T0="--tune-backbone m/model.onnx --augment none --batch 2 -j 1"
T="$T0 -q"
arpg-train c $T --epochs 3 --save s.model --export-backbone s.onnx >s.json &&
	test -s s.onnx && test "$(od -An -tu1 -j8 -N1 s.model | tr -d ' ')" = 2
ok $? "a tuned run saves its model (format version 2) and exports the backbone"

arpg-train c $T -j 2 --epochs 3 --save j2.model >j2.json &&
	cmp -s s.model j2.model
ok $? "-j 2 tunes to the same weights as -j 1, bit for bit"

"$PY" - m/model.onnx s.onnx <<'PY'
import sys, onnx, numpy as np
from onnx import numpy_helper
a, b = onnx.load(sys.argv[1]), onnx.load(sys.argv[2])
onnx.checker.check_model(b)
assert [n.SerializeToString() for n in a.graph.node] == [n.SerializeToString() for n in b.graph.node]
ia = {i.name: numpy_helper.to_array(i) for i in a.graph.initializer}
ib = {i.name: numpy_helper.to_array(i) for i in b.graph.initializer}
assert ia.keys() == ib.keys()
changed = {k for k in ia if not np.array_equal(ia[k], ib[k])}
assert "fc.weight" in changed and "features.bias" in changed, changed
assert not any(k.startswith(("layer1.", "layer2.", "layer3.", "bn1.", "conv1.")) for k in changed), changed
print("# %d of %d initializers tuned" % (len(changed), len(ia)))
PY
ok $? "the export passes onnx.checker; same nodes, only the tail's initializers changed"

# onnxruntime on the PyTorch inputs against the tail of the saved model
# over PyTorch's stride-8 maps of the same inputs (stage 3 is not tuned)
"$embed" s.model m/stage3.pb e.pb
s=$?
if [ -n "$no_ort" ]; then
	tap_n=$((tap_n + 1)); echo "ok $tap_n - onnxruntime-node on the export # SKIP $no_ort"
else
	"$PY" - m/input.pb ort <<'PY' &&
import os, sys, onnx
from onnx import numpy_helper
t = onnx.TensorProto(); t.ParseFromString(open(sys.argv[1], "rb").read())
x = numpy_helper.to_array(t)
os.makedirs(sys.argv[2], exist_ok=True)
with open(sys.argv[2] + "/list", "w") as f:
    for i in range(x.shape[0]):
        x[i].astype("float32").tofile("%s/%d.f32" % (sys.argv[2], i))
        f.write("%d %d %d\n" % (i, x.shape[3], x.shape[2]))
PY
	node "$top_srcdir/tests/onnx/ort_run.js" s.onnx ort ort/list &&
		test $s = 0 && "$PY" maxdiff.py ort e.pb
	ok $? "onnxruntime-node runs the export: the trainer's tuned embeddings within 1e-4"
fi

# arpg-features -b on the export: its cached vectors are the tail's over
# the original backbone's (f32) maps of the same frames
arpg-features -q -b s.onnx --frames 3 -o ct d/manifest.tsv &&
	arpg-features dump ct clip0001 --npy nt >/dev/null &&
	arpg-features dump c clip0001 --npy nc >/dev/null &&
	"$PY" -c 'import sys, numpy as np, onnx; from onnx import numpy_helper as h
open(sys.argv[2], "wb").write(h.from_array(np.load(sys.argv[1])).SerializeToString())' \
		nc/maps.npy maps.pb &&
	"$embed" s.model maps.pb e1.pb && "$PY" maxdiff.py nt/app.npy e1.pb
ok $? "arpg-features -b on the export caches the trainer's tuned embeddings within 1e-4"

arpg-train c $T --lr-backbone 0 --epochs 1 --export-backbone z.onnx >/dev/null &&
	cmp -s z.onnx m/model.onnx
ok $? "--lr-backbone 0: the export is the original file, byte for byte"

arpg-train c --load s.model -q >l.json && "$PY" - s.json l.json <<'PY'
import json, sys
run = [json.loads(l) for l in open(sys.argv[1]) if '"summary":"run"' in l][0]["final"]
ev = json.loads(open(sys.argv[2]).read())["val"]
assert run == ev, (run, ev)
PY
ok $? "--load of the tuned model evaluates as the run's final epoch"

arpg-train c --load s.model --predict -q >p.tsv && test "$(wc -l <p.tsv)" = 4 &&
	arpg-train c --load s.model --predict \
		--tune-backbone orig.onnx -q >p2.tsv && cmp -s p.tsv p2.tsv
ok $? "--predict runs the tuned tail; --tune-backbone names the same file elsewhere"

arpg-train --load s.model --export-backbone s2.onnx -q && cmp -s s.onnx s2.onnx
ok $? "--load MODEL --export-backbone writes what the run exported"

arpg-train c $T --epochs 2 --save r.model >/dev/null &&
	arpg-train c $T --epochs 3 --resume r.model --save r.model >/dev/null &&
	cmp -s r.model s.model
ok $? "a tuned run resumed after epoch 2 ends byte-identical to the uninterrupted one"

# a signal after epoch 2 saves the tail too: resumed, the same bytes again
: >bg.err
arpg-train c $T0 --epochs 1000000 --save g.model >/dev/null 2>bg.err &
pid=$!
i=0
while ! grep -q "epoch 2/" bg.err && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
kill -INT $pid
wait $pid
test $? = 130 && grep -q 'saved the model after epoch 2' bg.err &&
	arpg-train c $T --epochs 3 --resume g.model --save g.model >/dev/null &&
	cmp -s g.model s.model
ok $? "a tuned run stopped by SIGINT after epoch 2 saves its tail; resumed, it ends the same"

arpg-train c --epochs 4 --augment none --batch 2 -j 1 -q --resume r.model 2>e >/dev/null
test $? = 1 && grep -q 'resume with --tune-backbone' e
ok $? "resuming a tuned model without --tune-backbone is refused"

arpg-train c --epochs 1 --augment none -q --export-backbone x.onnx 2>e >/dev/null
test $? = 2 && grep -q 'export-backbone needs --tune-backbone' e && test ! -e x.onnx
ok $? "--export-backbone without tuning is a usage error"

arpg-train c --epochs 1 --augment none --batch 2 -j 1 -q --save plain.model >/dev/null &&
	arpg-train --load plain.model --export-backbone x.onnx 2>e
test $? = 1 && grep -q 'trained without --tune-backbone' e && test ! -e x.onnx
ok $? "--export-backbone of a model trained without tuning is refused"

cp m/model.onnx moved.onnx &&
	arpg-train c --tune-backbone moved.onnx --augment none --batch 2 -j 1 -q --epochs 1 \
		--save mv.model >/dev/null && rm moved.onnx &&
	! arpg-train c --load mv.model -q 2>e >/dev/null && grep -q 'give it with --tune-backbone' e &&
	arpg-train c --load mv.model --tune-backbone m/model.onnx -q >/dev/null &&
	! arpg-train c --load plain.model --tune-backbone m/model.onnx -q 2>e >/dev/null &&
	grep -q 'trained without --tune-backbone' e
ok $? "a moved backbone is asked for with --tune-backbone; an untuned model refuses one"

arpg-train --load s.model --tune-backbone m2/model.onnx --export-backbone x.onnx 2>e
test $? = 1 && grep -q 'not the backbone the model was tuned from' e && test ! -e x.onnx
ok $? "another ONNX file than the one the model was tuned from is refused"

arpg-features -q -b m/model.onnx --frames 3 -o c0 d/manifest.tsv &&
	arpg-train c0 --load s.model -q 2>e >/dev/null
test $? = 1 && grep -q 'holds no maps' e && grep -q 'export-backbone' e &&
	grep -q 'arpg-features -b' e
ok $? "--load of a tuned model on a cache without maps says to export and re-extract"

arpg-train c $T --epochs 1 --export-backbone m/model.onnx 2>e >/dev/null
s1=$?
arpg-train --load s.model --export-backbone m/model.onnx 2>e2
s2=$?
test $s1 = 1 && test $s2 = 1 && grep -q 'another path' e && grep -q 'another path' e2 &&
	cmp -s m/model.onnx orig.onnx
ok $? "--export-backbone refuses to write over the input model"

# a tuned tail that diverged (its last stored float NaN, the checksum
# made again) is refused on load like a head that did
"$PY" - s.model nan.model <<'PY'
import hashlib, struct, sys
b = bytearray(open(sys.argv[1], "rb").read()[:-32])
b[-4:] = struct.pack("<f", float("nan"))
open(sys.argv[2], "wb").write(bytes(b) + hashlib.sha256(bytes(b)).digest())
PY
arpg-train c --load nan.model -q 2>e >/dev/null
test $? = 1 && grep -q "the tuned backbone's parameter .* holds NaN" e
ok $? "a tuned model whose tail holds NaN is refused on load, named"
