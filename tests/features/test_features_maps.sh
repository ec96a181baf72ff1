#!/bin/sh
# arpg-features --maps on a small iresnet-shaped ONNX model (made by
# tests/onnx/make_iresnet.py with PyTorch; skipped without it): the maps
# record (T, 256, 14, 14) in f16, the stride-8 map the patches are pooled
# from (pooled again here, it gives the patch record); info, verify, dump
# and merge know it; -j 1 and -j 2 write the same bits; a cache made
# without --maps has no maps key nor record; a cache of the other kind is
# refused; --maps with --flip is a usage error.
. "${top_srcdir:-.}/tests/tap.sh"
gen="$top_builddir/tests/features/test_features_gen"
PY=${PYTHON3:-/usr/bin/python3}
"$PY" -c 'import torch, onnx, numpy' 2>/dev/null ||
	skip_all "$PY lacks torch, onnx or numpy (Debian: python3-torch python3-onnx)"
in_work_dir features-maps
"$PY" "$top_srcdir/tests/onnx/make_iresnet.py" m --layers 1,1,1,1 --no-reference \
	>/dev/null 2>&1 || skip_all "make_iresnet.py could not export the model"
"$gen" d 3 4 >/dev/null || { echo "Bail out! test_features_gen failed"; exit 1; }
plan 16

arpg-features -q -b m/model.onnx --frames 3 -o c0 d/manifest.tsv &&
arpg-features -q -b m/model.onnx --frames 3 --maps -o c1 d/manifest.tsv
ok $? "a run with and one without --maps"

arpg-features info c0 >i0 && ! grep -q maps i0
ok $? "without --maps: no maps key, no maps line"

arpg-features info c1 >i1 && grep -qx 'meta	maps	f16' i1 &&
	grep -qx 'meta	maps_shape	256,14,14' i1 && grep -q '^maps	3	' i1
ok $? "info: meta maps f16, maps_shape 256,14,14, three clips with maps"

# everything but the maps is the same
grep -v maps i1 | grep -v size_on_disk >a; grep -v size_on_disk i0 >b
cmp -s a b
ok $? "info otherwise the same"

arpg-features verify c1 >v1 && grep -qx 'ok	3 clips' v1
ok $? "verify: the maps records match meta"

arpg-features dump c1 clip0001 --npy n1 >d1 && grep -qx 'maps	f16	(3, 256, 14, 14)' d1 &&
	arpg-features dump c0 clip0001 --npy n0 >d0 && ! grep -q maps d0 && test ! -e n0/maps.npy
ok $? "dump: the maps shape, maps.npy"

"$PY" - n1 n0 <<'PY'
import sys, numpy as np
m = np.load(sys.argv[1] + "/maps.npy").astype(np.float64)
p = np.load(sys.argv[1] + "/patch.npy").astype(np.float64)
p0 = np.load(sys.argv[2] + "/patch.npy").astype(np.float64)
G, H = 6, m.shape[2]
nodes = np.zeros((m.shape[0], G * G, m.shape[1]))
for i in range(G):
    for j in range(G):
        r0, r1 = i * H // G, -(-(i + 1) * H // G)
        c0, c1 = j * H // G, -(-(j + 1) * H // G)
        nodes[:, i * G + j] = m[:, :, r0:r1, c0:c1].mean(axis=(2, 3))
d = np.abs(nodes - p).max() / max(1e-6, np.abs(p).max())
assert d < 2e-3, d
assert np.array_equal(p, p0)
PY
ok $? "the maps pooled to the grid give the patch record; patches as without --maps"

arpg-features -q -b m/model.onnx --frames 3 --maps -o c0 d/manifest.tsv 2>e
test $? = 1 && grep -q "maps: the cache has 'no', this run 'f16'" e
ok $? "a cache made without maps is refused to a run with --maps"

arpg-features -q -b m/model.onnx --maps --flip -o c2 d/manifest.tsv 2>/dev/null
test $? = 2
ok $? "--maps with --flip is a usage error"

arpg-features -q -b m/model.onnx --frames 3 --maps --shard 0/2 -o s0 d/manifest.tsv &&
arpg-features -q -b m/model.onnx --frames 3 --maps --shard 1/2 -o s1 d/manifest.tsv &&
arpg-features merge mg s0 s1 >/dev/null && arpg-features verify mg >/dev/null &&
	arpg-features info mg | grep -q '^maps	3	'
ok $? "merge keeps the maps of both shards"

arpg-features -q -b m/model.onnx --frames 3 --maps=f32 -o c3 d/manifest.tsv &&
	arpg-features dump c3 clip0002 | grep -qx 'maps	f32	(3, 256, 14, 14)'
ok $? "--maps=f32"

# a thread's share of the frames must not change their numbers: the default
# -j follows the load, and arpg-predict compares its cache with one made by
# hand
arpg-features -q -b m/model.onnx --frames 3 --maps=f32 -j 1 -o j1 d/manifest.tsv &&
	arpg-features -q -b m/model.onnx --frames 3 --maps=f32 -j 2 -o j2 d/manifest.tsv &&
	mkdir j1n j2n && for c in clip0000 clip0001 clip0002; do
		arpg-features dump j1 $c --npy j1n/$c >/dev/null &&
			arpg-features dump j2 $c --npy j2n/$c >/dev/null || echo bad >j1n/failed
	done && test -s j1n/clip0002/maps.npy && diff -r j1n j2n >/dev/null
ok $? "-j 1 and -j 2 write the same numbers bit for bit"

PYTHONPATH="$top_srcdir/python${PYTHONPATH:+:$PYTHONPATH}" "$PY" - c1 n1 c0 <<'PY'
import sys, numpy as np, arpg
with arpg.Cache(sys.argv[1]) as c:
    m = c.maps("clip0001")
    assert m.dtype == np.float16 and m.shape == (3, 256, 14, 14), (m.dtype, m.shape)
    assert np.array_equal(m.astype(np.float32), np.load(sys.argv[2] + "/maps.npy"))
with arpg.Cache(sys.argv[3]) as c:
    assert c.maps("clip0001") is None
PY
ok $? "python: arpg.Cache.maps reads the record"

# arpg-train --tune-backbone over the maps: with --lr-backbone 0 the tail
# recomputes the cached appearance vectors from the f16 maps, so the first
# epoch's val loss is that of training on the cached vectors, nearly
arpg-train c1 --epochs 1 --augment none --batch 2 -j 1 -q >f.json &&
arpg-train c1 --tune-backbone m/model.onnx --lr-backbone 0 --epochs 1 --augment none \
	--batch 2 -j 1 -q >t0.json &&
"$PY" - f.json t0.json <<'PY'
import json, sys
val = lambda p: [json.loads(l) for l in open(p) if '"split":"val"' in l][0]["loss"]
a, b = val(sys.argv[1]), val(sys.argv[2])
assert abs(a - b) <= 0.02 * abs(a), (a, b)
PY
ok $? "--tune-backbone at --lr-backbone 0 gives the frozen run's val loss (f16 maps)"

arpg-train c1 --tune-backbone m/model.onnx --epochs 2 --augment none --batch 2 -j 1 -q \
	>t.json && test "$(grep -c '"split":"val"' t.json)" = 2 && ! cmp -s t.json t0.json
ok $? "--tune-backbone trains (two epochs, JSON lines)"

arpg-train c0 --tune-backbone m/model.onnx --epochs 1 --augment none -q 2>e1 >/dev/null
s1=$?
arpg-train c1 --tune-backbone m/model.onnx --epochs 1 -q 2>e2 >/dev/null
s2=$?
arpg-train c1 --tune-backbone m/model.onnx --per-frame --save x.model -q 2>/dev/null >/dev/null
s3=$?
test $s1 = 1 && grep -q 'holds no maps' e1 && test $s2 = 1 && grep -q 'augment none' e2 &&
	test $s3 = 2 && test ! -e x.model
ok $? "--tune-backbone refuses a cache without maps, jitter, and --per-frame (for now)"
