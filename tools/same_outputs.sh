#!/bin/sh
# same_outputs.sh - do two builds of arpg write the same bytes?
#
# usage: sh tools/same_outputs.sh OLD NEW [WORKDIR]
#   OLD, NEW: a build directory (holding preprocess/arpg-preprocess, ...) or a
#   git commit, which is checked out and built in WORKDIR/build-<commit>.
#   Example, after a refactoring: sh tools/same_outputs.sh HEAD~5 build
#
# Both builds run the same inputs, made once (tools/make_demo_data.py --small:
# an AFEW-layout and an RML-layout set from real faces Debian ships; an
# iresnet ONNX model with random weights from tests/onnx/make_iresnet.py):
#   arpg-preprocess -l afew and -l rml: the manifest, every PNG, frames.tsv,
#   the contact sheet
#   arpg-features -b hog and -b model.onnx: info and `dump --npy` of every clip
#   arpg-train -j 1 --seed 1: a run, a sweep, folds, a saved model's --predict
# and the two output trees are compared with `diff -r`.  The "seconds" of
# arpg-train's JSON lines (timings) and the cache's size on disk (it depends
# on the order in which two workers finished) are left out.
# Exit 0 when every file is identical, 1 otherwise (the differing files are
# listed), 2 on usage.  Needs Debian's python3-opencv, python3-torch and
# python3-onnx (the model is skipped, and said so, without torch).
set -eu
[ $# -ge 2 ] || { sed -n 2,20p "$0" >&2; exit 2; }
old=$1 new=$2
work=${3:-$(mktemp -d "${TMPDIR:-/tmp}/arpg-same.XXXXXX")}
top=$(cd "$(dirname "$0")/.." && pwd)
py=${PYTHON3:-/usr/bin/python3}
mkdir -p "$work"
work=$(cd "$work" && pwd)

# build_of REF: prints a build directory for REF (a directory, or a commit built here)
build_of() {
	if [ -x "$1/preprocess/arpg-preprocess" ]; then
		(cd "$1" && pwd)
		return
	fi
	rev=$(git -C "$top" rev-parse --short "$1^{commit}") ||
		{ echo "same_outputs: $1 is neither a build directory nor a commit" >&2; exit 2; }
	src=$work/src-$rev
	if [ ! -x "$src/build/train/arpg-train" ]; then
		echo "same_outputs: building $rev in $src" >&2
		rm -rf "$src"
		git -C "$top" worktree add -f --detach "$src" "$rev" >/dev/null 2>&1 ||
			git -C "$top" archive "$rev" | (mkdir -p "$src" && tar -x -C "$src")
		(cd "$src" && autoreconf -fi && mkdir -p build && cd build &&
			../configure -q && make -j"$(nproc)") >"$work/build-$rev.log" 2>&1 ||
			{ echo "same_outputs: building $rev failed: $work/build-$rev.log" >&2; exit 1; }
	fi
	echo "$src/build"
}

inputs() {
	in=$work/inputs
	[ -f "$in/done" ] && return
	rm -rf "$in" && mkdir -p "$in"
	echo "same_outputs: making the inputs in $in" >&2
	"$py" "$top/tools/make_demo_data.py" -o "$in/afew" --small --seed 3 -q
	"$py" "$top/tools/make_demo_data.py" -o "$in/rml" --layout rml --small --seed 4 -q
	if "$py" -c 'import torch, onnx' 2>/dev/null; then
		"$py" "$top/tools/../tests/onnx/make_iresnet.py" "$in/iresnet" --layers 1,1,1,1 \
			--opset 13 --batch 1 >/dev/null 2>&1
	fi
	touch "$in/done"
}

# record BUILD OUT: every output of the three programs on the inputs (the
# caches themselves, whose free pages are not ours to compare, go in OUT.lmdb)
record() {
	b=$1 o=$2 in=$work/inputs
	pre=$b/preprocess/arpg-preprocess feat=$b/features/arpg-features tr=$b/train/arpg-train
	db=$o.lmdb
	rm -rf "$o" "$db" && mkdir -p "$o" "$db"
	"$pre" -q -j 2 -l afew -o "$o/afew" "$in/afew/Train_AFEW.zip" "$in/afew/Val_AFEW.zip" \
		>"$o/afew.unsorted"
	# with two workers, stdout has the clips in the order they finish
	sort "$o/afew.unsorted" >"$o/afew.stdout" && rm "$o/afew.unsorted"
	"$pre" -q -j 1 -l rml -o "$o/rml" --sheet "$o/rml-sheet.png" "$in/rml/RML" >"$o/rml.stdout"
	"$feat" -q -b hog --frames 8 -o "$db/hog" "$o/afew/manifest.tsv"
	"$feat" -q -b hog --frames 6 --dtype f32 -o "$db/rml" "$o/rml/manifest.tsv"
	caches="hog:afew rml:rml"
	if [ -f "$in/iresnet/model.onnx" ]; then
		"$feat" -q -b "$in/iresnet/model.onnx" --frames 4 -j 2 -o "$db/onnx" \
			"$o/afew/manifest.tsv"
		caches="$caches onnx:afew"
	else
		echo "same_outputs: no torch and onnx in $py: the ONNX cache is not compared" >&2
	fi
	for cm in $caches; do
		c=${cm%%:*} m=${cm#*:}
		# the file's size depends on the order -j 2's workers wrote clips in
		"$feat" info "$db/$c" | grep -v '^size_on_disk' >"$o/$c.info"
		mkdir -p "$o/$c.dump"
		tail -n +2 "$o/$m/manifest.tsv" | cut -f1 | while read -r id; do
			"$feat" dump "$db/$c" "$id" --npy "$o/$c.dump/$id" >"$o/$c.dump/$id.txt"
		done
	done
	t="-q -j 1 --seed 1"
	"$tr" "$db/hog" $t --epochs 4 --dim 32 --save "$o/model.arpg" >"$o/train.jsonl"
	"$tr" "$db/hog" $t --load "$o/model.arpg" --predict >"$o/predict.tsv"
	"$tr" "$db/hog" $t --epochs 2 --dim 16 --trs 1,all --fusion gat,concat >"$o/sweep.jsonl"
	"$tr" "$db/rml" $t --epochs 2 --dim 16 --folds 4 --edges self,adj8 >"$o/folds.jsonl"
	for f in "$o"/*.jsonl; do
		sed 's/"seconds":[0-9.e+-]*,\{0,1\}//g' "$f" >"$f.tmp" && mv "$f.tmp" "$f"
	done
}

inputs
ob=$(build_of "$old")
nb=$(build_of "$new")
echo "same_outputs: old $ob, new $nb" >&2
# both in the same place, since the manifest holds the crops' paths
record "$ob" "$work/run" && rm -rf "$work/old" && mv "$work/run" "$work/old"
record "$nb" "$work/run" && rm -rf "$work/new" && mv "$work/run" "$work/new"
n=$(find "$work/old" -type f | wc -l)
if diff -rq "$work/old" "$work/new" >"$work/diff.txt"; then
	echo "same_outputs: identical: $n files ($work/old and $work/new)"
else
	cat "$work/diff.txt"
	echo "same_outputs: $(wc -l <"$work/diff.txt") of $n files differ" >&2
	exit 1
fi
