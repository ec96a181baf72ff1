#!/bin/sh
# arpg-train --per-frame reads its training windows from the cache's
# memory map, batch by batch, after one checked walk at load
# (train/frames.h): a damaged record of a training clip is still an error
# that names the clip and the record, before any epoch; so is one of a
# validation clip; the mirrored views and a grid of a list train, and
# repeat themselves.  That the numbers are those of training on loaded
# floats, to the bit, is tests/train/test_frames.
. "${top_srcdir:-.}/tests/tap.sh"
MC="${top_builddir:-.}/tests/train/make_cache"
in_work_dir perframe-stream
plan 5

strip_time() { sed 's/"seconds":[0-9.]*,//'; }
t="--per-frame --epochs 1 --dim 16 --heads 2 --batch 8 --frames 8 -j 1"
mk="--per-frame --clips 10 --val 3 --classes 4 --frames 60 --seed 6"

"$MC" bad $mk --damage 2 >/dev/null
arpg-train bad $t >out.jsonl 2>err
test $? = 1 && grep -q 'clip train_video_00002: patch: the record does not match its checksum' err &&
	test ! -s out.jsonl
ok $? "a damaged record of a training clip is named, and nothing is trained"
"$MC" badval $mk --damage 8 >/dev/null
arpg-train badval $t >out.jsonl 2>err
test $? = 1 && grep -q 'clip val_video_00008: patch: the record does not match its checksum' err
ok $? "so is one of a validation clip"
"$MC" good $mk >/dev/null
arpg-train good $t -q >out.jsonl
test $? = 0 && grep -q '"epoch":1,"split":"val"' out.jsonl
ok $? "the same cache undamaged trains"

"$MC" flip $mk --flip --grid 2,3 --dtype f16 >/dev/null
arpg-train flip $t --epochs 2 --grid 3 --augment flip -q | strip_time >a.jsonl
test $? = 0 && test "$(grep -c '"split":"train"' a.jsonl)" = 2
ok $? "mirrored views of an f16 cache of two grids train"
arpg-train flip $t --epochs 2 --grid 3 --augment flip -q | strip_time >b.jsonl
cmp -s a.jsonl b.jsonl
ok $? "and repeat themselves bit for bit"
