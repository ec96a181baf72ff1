#!/bin/sh
# demo.sh - the whole pipeline on demo data made from real faces Debian ships:
# generate an AFEW-layout dataset (tools/make_demo_data.py), then
#   arpg-preprocess | arpg-features -b hog  (a pipe), then arpg-train,
# and print the validation WAR/UAR, the confusion matrix and where things are.
#
# usage: sh tools/demo.sh [OUTDIR]        (OUTDIR defaults to ./demo)
# `make demo` runs it from the build directory.  The programs are taken from
# the build directory when run there, else from PATH.  Environment:
#   EPOCHS (20), TRAIN_FLAGS ("--dim 64"), PREPROCESS_FLAGS (e.g. --no-align),
#   DATA_FLAGS (make_demo_data.py options; default --subjects-apart), SEED (1),
#   PYTHON3 (/usr/bin/python3: Debian's, with python3-opencv).
set -eu
out=${1:-demo}
here=$(cd "$(dirname "$0")" && pwd)
for d in preprocess features train report; do
	if [ -x "$PWD/$d/arpg-$d" ]; then PATH="$PWD/$d:$PATH"; fi
done
export PATH
py=${PYTHON3:-/usr/bin/python3}
epochs=${EPOCHS:-20}
train_flags=${TRAIN_FLAGS:---dim 64}
data_flags=${DATA_FLAGS:---subjects-apart}
seed=${SEED:-1}
for p in arpg-preprocess arpg-features arpg-train; do
	command -v "$p" >/dev/null || { echo "demo: $p not found: build first (make), or put it in PATH" >&2; exit 1; }
done
"$py" -c 'import cv2, numpy' 2>/dev/null ||
	{ echo "demo: $py cannot import cv2 and numpy (apt install python3-opencv python3-numpy)" >&2; exit 1; }

start=$(date +%s)
stamp() { echo "demo: [$(( $(date +%s) - start )) s] $*" >&2; }
mkdir -p "$out"
# every run starts afresh: a rerun must not mix results of other settings
rm -rf "$out/data" "$out/faces" "$out/hog.lmdb" "$out/model.arpg" "$out/train.jsonl" "$out/report"

stamp "1/3 generating the demo clips ($out/data)"
# shellcheck disable=SC2086
"$py" "$here/make_demo_data.py" -o "$out/data" --seed "$seed" $data_flags

stamp "2/3 arpg-preprocess | arpg-features -b hog"
# shellcheck disable=SC2086
arpg-preprocess -l afew -o "$out/faces" ${PREPROCESS_FLAGS:-} \
	"$out/data/Train_AFEW.zip" "$out/data/Val_AFEW.zip" |
	arpg-features -b hog -o "$out/hog.lmdb" -
arpg-features verify "$out/hog.lmdb" >/dev/null

stamp "3/3 arpg-train ($epochs epochs)"
# shellcheck disable=SC2086
arpg-train "$out/hog.lmdb" --epochs "$epochs" $train_flags --seed "$seed" \
	--save "$out/model.arpg" >"$out/train.jsonl"
# learning curves and the confusion matrix as PNG, when arpg-report was built
if command -v arpg-report >/dev/null; then
	arpg-report -q -o "$out/report" "$out/train.jsonl" >/dev/null
fi
stamp "done"

# The summary line of train.jsonl: final validation WAR/UAR, the confusion matrix.
"$py" - "$out" <<'EOF'
import json, os, sys
out = sys.argv[1]
s = [json.loads(l) for l in open(os.path.join(out, "train.jsonl")) if '"summary":"run"' in l][-1]
f, labels, cm = s["final"], s["labels"], s["confusion"]
faces = os.path.join(out, "faces", "manifest.tsv")
rows = [l.rstrip("\n").split("\t") for l in open(faces)][1:]
nf = sum(int(r[4]) for r in rows)
nd = sum(int(r[5]) for r in rows)
print()
print("Demo: %d train and %d validation clips, 7 classes (chance 14.3%%); "
      "a face in %d of %d frames" % (s["train_clips"], s["val_clips"], nd, nf))
print("Validation after %d epochs: WAR %.1f%%  UAR %.1f%%  macro-F1 %.1f%%" % (
    f["epoch"], 100 * f["war"], 100 * f["uar"], 100 * f["f1"]))
print()
w = max(len(l) for l in labels + ["true \\ predicted"]) + 1
print("true \\ predicted".ljust(w) + "".join(l[:8].rjust(9) for l in labels))
for l, row in zip(labels, cm):
    print(l.ljust(w) + "".join(str(v).rjust(9) for v in row))
print()
for what, p in (("clips (AFEW layout)", "data"), ("aligned crops + manifest", "faces"),
                ("feature cache (LMDB)", "hog.lmdb"), ("metrics, JSON lines", "train.jsonl"),
                ("trained model", "model.arpg"), ("learning curves, confusion (PNG)", "report")):
    if os.path.exists(os.path.join(out, p)):
        print("  %-32s %s" % (what, os.path.join(out, p)))
EOF
