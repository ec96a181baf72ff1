#!/bin/sh
# bench/e2e.sh - one figure for a whole experiment (issue 19): an
# AFEW-sized synthetic dataset (tools/make_demo_data.py --frame-size
# 720x576: 110 training and 55 validation clips per class, 770 and 385 in
# all, of 20 to 100 frames, XviD) through arpg-preprocess (Viola-Jones and
# dlib; with DETECTOR=FILE.onnx also that CNN detector), arpg-features
# (an iresnet50 ONNX of random weights: tests/onnx/make_iresnet.py; no real
# weights here) and arpg-train (EPOCHS, 30), each stage timed; then the same
# experiment as a researcher would do it without arpg
# (bench/e2e_reference.py: the ffmpeg CLI, OpenCV, dlib, onnxruntime,
# PyTorch).  Prints each stage, both totals and their ratio, and the cost
# of one more ablation: another training run on the cache arpg made (the
# train stage's time) against rerunning the script's training (its
# embeddings are kept too, so that is the fair rerun).
#
#   top_builddir=BUILD sh bench/e2e.sh        (SCALE=0.1 for a tenth of the clips)
#
# THREADS (2) is every program's -j and the peers' threads.  Needs
# /usr/bin/python3 with cv2, numpy, onnx and torch, libdlib-dev (g++ builds
# tests/face/dlib_ref.cpp), the ffmpeg CLI, and onnxruntime-node in $ORT_DIR
# (default /tmp/ortbench; see bench/backbone.sh).  The dataset and the model
# are kept in $ARPG_BENCH_DIR (default $TMPDIR/arpg-bench-e2e) for reruns.
set -e
: "${top_builddir:=.}"
src=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
bld=$(cd "$top_builddir" && pwd)
PY=${PYTHON3:-/usr/bin/python3}
scale=${SCALE:-1} epochs=${EPOCHS:-30} threads=${THREADS:-2}
export ORT_DIR="${ORT_DIR:-/tmp/ortbench}"
work=${ARPG_BENCH_DIR:-${TMPDIR:-/tmp}/arpg-bench-e2e}
ntrain=$(awk -v s="$scale" 'BEGIN { n = int(110 * s + 0.5); print n < 1 ? 1 : n }')
nval=$(awk -v s="$scale" 'BEGIN { n = int(55 * s + 0.5); print n < 1 ? 1 : n }')
data=$work/afew-$ntrain-$nval
mkdir -p "$work"
if [ ! -f "$data/Val_AFEW.zip" ]; then
	echo "making the dataset in $data" >&2
	"$PY" "$src/tools/make_demo_data.py" -o "$data" --train "$ntrain" --val "$nval" \
		--frames 20-100 --frame-size 720x576 -q
fi
model=$work/r50/model.onnx
if [ ! -f "$model" ]; then
	echo "making an iresnet50 of random weights in $model" >&2
	"$PY" "$src/tests/onnx/make_iresnet.py" "$work/r50" --layers 3,4,14,3 --batch 1 >/dev/null
fi
dlib_ref=$work/dlib_ref
# shellcheck disable=SC2046
[ -x "$dlib_ref" ] || g++ -O3 -o "$dlib_ref" "$src/tests/face/dlib_ref.cpp" $(pkg-config --cflags --libs dlib-1)
rm -rf "$work/arpg" "$work/ref"
mkdir -p "$work/arpg"
PATH=$bld/preprocess:$bld/features:$bld/train:$PATH

now() { date +%s.%N; }
# secs NAME COMMAND...: runs it, appends "NAME SECONDS" to $work/arpg/times
secs() {
	name=$1
	shift
	t0=$(now)
	"$@"
	echo "$name $(echo "$t0 $(now)" | awk '{ printf "%.1f", $2 - $1 }')" >>"$work/arpg/times"
}
a=$work/arpg
echo "arpg: $((7 * ntrain)) + $((7 * nval)) clips, -j $threads" >&2
secs preprocess arpg-preprocess -q -j "$threads" -l afew -o "$a/faces" \
	"$data/Train_AFEW.zip" "$data/Val_AFEW.zip" >/dev/null
if [ -n "${DETECTOR:-}" ]; then
	secs preprocess_cnn arpg-preprocess -q -j "$threads" -l afew --detector "$DETECTOR" \
		--landmarks none -o "$a/cnnfaces" "$data/Train_AFEW.zip" "$data/Val_AFEW.zip" >/dev/null
fi
secs features arpg-features -q -j "$threads" -b "$model" --frames 16 -o "$a/r50.lmdb" \
	"$a/faces/manifest.tsv"
secs train arpg-train "$a/r50.lmdb" --epochs "$epochs" -j "$threads" -q >"$a/train.jsonl"
node=$(arpg-features info "$a/r50.lmdb" | sed -n 's/^meta	patch_node	//p')

echo "the reference: bench/e2e_reference.py" >&2
"$PY" "$src/bench/e2e_reference.py" "$data" "$work/ref" "$model" "$node" "$dlib_ref" \
	"$epochs" "$threads" >"$work/ref.times"

echo "a whole experiment: $((7 * ntrain)) + $((7 * nval)) clips of 720x576, iresnet50, $epochs epochs, $threads threads; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
awk 'NR == FNR { ref[$1] = $2; next }
	{ t[$1] = $2; order[++n] = $1 }
	END {
		printf "%-16s %10s %10s %8s\n", "stage", "arpg_s", "script_s", "ratio"
		for (i = 1; i <= n; i++) {
			s = order[i]
			r = s == "preprocess_cnn" ? "" : ref[s]
			printf "%-16s %10.1f %10s %8s\n", s, t[s], r == "" ? "-" : sprintf("%.1f", r),
				r == "" ? "-" : sprintf("%.2f", r / t[s])
			if (s != "preprocess_cnn") { at += t[s]; rt += r }
		}
		printf "%-16s %10.1f %10.1f %8.2f\n", "total", at, rt, rt / at
		printf "%-16s %10.1f %10.1f %8.2f\n", "one more ablation", t["train"], ref["train"],
			ref["train"] / t["train"]
	}' "$work/ref.times" "$a/times"
