#!/bin/sh
# Issue 18's whole chain on faces: tools/make_demo_data.py --layout
# affwild2 (21 short videos whose expression changes segment by segment)
# | arpg-preprocess -l affwild2 | arpg-features -b hog --frames all |
# arpg-train --per-frame learns well above chance in macro-F1, and its
# ABAW files are named as the annotation files.
. "${top_srcdir:-.}/tests/tap.sh"
need_demo_data
in_work_dir perframe-chain
plan 4
ann=aw/Annotations/EXPR_Set

"$py" "$gen" -o aw --layout affwild2 --small --train 16 --val 5 --seed 5 -q 2>/dev/null &&
	arpg-preprocess -j 2 -q -l affwild2 --annotations $ann -o faces aw/videos/* |
	arpg-features -q -b hog --frames all -o aw.lmdb -
ok $? "make_demo_data.py --layout affwild2 | arpg-preprocess -l affwild2 | arpg-features --frames all"

arpg-train aw.lmdb --per-frame --epochs 20 --dim 64 --heads 2 -j 2 -q --save m >run.jsonl
ok $? "arpg-train --per-frame on it"
f1=$(grep '"summary":"run"' run.jsonl | sed 's/.*"final":{[^}]*"f1":\([0-9.]*\).*/\1/')
awk -v f="$f1" 'BEGIN { exit !(f >= 0.5) }'
ok $? "validation macro-F1 $f1 is well above chance (1/8) within 20 epochs"

arpg-train aw.lmdb --load m --predict --abaw-dir sub -j 2 >/dev/null &&
	for a in $ann/Validation_Set/*.txt; do
		test "$(wc -l <sub/"$(basename "$a")")" = "$(wc -l <"$a")" || exit 1
	done
ok $? "an ABAW file per annotation file, named as it, a line per annotated frame"
