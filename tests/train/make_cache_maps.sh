#!/bin/sh
# tests/train/make_cache --maps C,H,W [--backbone MODEL.onnx]: a cache with
# maps records that arpg-features verify accepts; with --backbone, one that
# arpg-train --tune-backbone MODEL.onnx trains on (bench/tune.sh's cache;
# the model from tests/onnx/make_iresnet.py with PyTorch, skipped without).
. "${top_srcdir:-.}/tests/tap.sh"
MC="$top_builddir/tests/train/make_cache"
PY=${PYTHON3:-/usr/bin/python3}
in_work_dir make-cache-maps
plan 5

"$MC" c --clips 5 --val 2 --frames 3 --maps 8,4,4 --dtype f16 && arpg-features verify c >v &&
	grep -qx 'ok	5 clips' v && arpg-features info c >i && grep -qx 'meta	maps	f16' i &&
	grep -qx 'meta	maps_shape	8,4,4' i && grep -q '^maps	5	' i &&
	arpg-features dump c val_Disgust_00004 | grep -qx 'maps	f16	(3, 8, 4, 4)'
ok $? "--maps 8,4,4: meta maps and maps_shape, a (T, 8, 4, 4) record per clip, verify ok"

"$MC" n --clips 3 --val 1 && arpg-features info n >i && ! grep -q maps i
ok $? "without --maps: no maps"

"$MC" x --maps 8,4,4 --flip 2>/dev/null; a=$?
"$MC" y --backbone m.onnx 2>/dev/null; b=$?
"$MC" z --maps 8,4 2>/dev/null
test $? = 2 && test $a = 2 && test $b = 2
ok $? "--maps with --flip, --backbone without --maps, a bad shape: usage errors"

if "$PY" -c 'import torch, onnx' 2>/dev/null &&
	"$PY" "$top_srcdir/tests/onnx/make_iresnet.py" m --layers 1,1,1,1 --no-reference >/dev/null 2>&1; then
	"$MC" b --clips 4 --val 2 --frames 2 --grid 6 --app-dim 512 --patch-dim 256 \
		--maps 256,14,14 --backbone m/model.onnx && arpg-features info b >i &&
		grep -qx "meta	backbone_sha256	$(sha256sum m/model.onnx | cut -d' ' -f1)" i &&
		grep -qx 'meta	backbone	model.onnx' i && grep -q '^meta	patch_node	.*layer3' i
	ok $? "--backbone: the model's name, SHA-256 and stride-8 node"
	arpg-train b --tune-backbone m/model.onnx --epochs 1 --augment none --batch 2 -j 1 -q \
		>t.json && grep -q '"summary":"run"' t.json
	ok $? "arpg-train --tune-backbone trains on it"
else
	echo "ok 4 # SKIP $PY lacks torch or onnx"
	echo "ok 5 # SKIP $PY lacks torch or onnx"
fi
