#!/bin/sh
# study.sh - are arpg-train's defaults and augmentations worth having?  On
# the demo data with the HOG features, several seeds per setting:
#   old       the defaults before issue 17: a 16-frame cache (16 frames
#             trained, so the jitter had no other frames), AdamW with weight
#             decay 1e-4
#   new       today's defaults: a 32-frame cache, Adam, temporal jitter
#   none, flip, drop, mixup, all
#             today's defaults with no augmentation, with each augmentation
#             alone, and with all four
# and prints a table of the mean and standard deviation over seeds of
# validation WAR and UAR at the best and at the final epoch, then the
# {"table":...} lines of the two sweeps for the record.
#
# usage: sh tools/study.sh [OUTDIR]        (OUTDIR defaults to ./study)
# The programs come from the build directory when run there, else PATH.
# Environment:
#   SEEDS ("1,2,3,4,5"), EPOCHS (20), TRAIN_FLAGS ("--dim 64 -j 1": the two
#     sweeps run side by side, a thread each),
#   AUGMENTS: the --augment alternatives of the new cache's sweep
#     ("jitter:none:flip:drop:mixup:jitter,flip,drop,mixup"),
#   FACES: an arpg-preprocess output directory to use instead of generating
#     the demo data (tools/make_demo_data.py $DATA_FLAGS, default
#     --subjects-apart) and preprocessing it,
#   PYTHON3 (/usr/bin/python3: Debian's, with python3-opencv for the data).
set -eu
out=${1:-study}
here=$(cd "$(dirname "$0")" && pwd)
py=${PYTHON3:-/usr/bin/python3}
seeds=${SEEDS:-1,2,3,4,5}
epochs=${EPOCHS:-20}
train_flags=${TRAIN_FLAGS:---dim 64 -j 1}
# one seed is a single run, which prints no sweep table to read
case $seeds in *,*) ;; *) echo "study: SEEDS names one seed ($seeds): give two or more, as 1,2" >&2; exit 2 ;; esac
# shellcheck source=tools/study_lib.sh
. "$here/study_lib.sh"
study_setup study arpg-preprocess arpg-features arpg-train

study_faces
# the old default cache, and today's with the mirrored views (which a run
# without --augment flip never loads, so it serves every new setting)
for c in old new; do
	if [ ! -f "$out/$c.lmdb/data.mdb" ]; then
		stamp "arpg-features -b hog ($c defaults) -> $out/$c.lmdb"
		if [ $c = old ]; then f="--frames 16"; else f="--flip"; fi
		# shellcheck disable=SC2086
		arpg-features -q -b hog $f -o "$out/$c.lmdb" "$faces/manifest.tsv"
	fi
done

# the two sweeps side by side; one whose table is there already is kept
done_sweep() { grep -q '^{"table"' "$out/$1.jsonl" 2>/dev/null; }
stamp "old defaults; new defaults and each augmentation; seeds $seeds"
pid=
if ! done_sweep old; then
	# shellcheck disable=SC2086
	arpg-train "$out/old.lmdb" --epochs "$epochs" $train_flags --optimizer adamw \
		--weight-decay 1e-4 --seed "$seeds" -q >"$out/old.jsonl" &
	pid=$!
fi
if ! done_sweep new; then
	# shellcheck disable=SC2086
	arpg-train "$out/new.lmdb" --epochs "$epochs" $train_flags \
		--augment "${AUGMENTS:-jitter:none:flip:drop:mixup:jitter,flip,drop,mixup}" \
		--seed "$seeds" -q >"$out/new.jsonl"
fi
if [ -n "$pid" ]; then wait "$pid"; fi
done_sweep old && done_sweep new || { echo "study: a sweep failed" >&2; exit 1; }
stamp "done"

"$py" - "$out" "$epochs" "$train_flags" <<'EOF'
import json, sys
out, epochs, flags = sys.argv[1:4]
def table(path):
    rows = [json.loads(l)["table"] for l in open(path) if l.startswith('{"table"')]
    return rows[-1] if rows else []
old = table(out + "/old.jsonl")
new = table(out + "/new.jsonl")
names = {"jitter": "new (jitter)", "none": "no augmentation", "flip": "flip alone",
         "drop": "drop alone", "mixup": "mixup alone", "jitter,flip,drop,mixup": "all four"}
rows = [("old defaults", r) for r in old] + [(names.get(r["augment"], r["augment"]), r) for r in new]
print("HOG on the demo data, %s epochs, arpg-train %s, %d seeds; percent, mean +- sd over seeds"
      % (epochs, flags, rows[0][1]["runs"] if rows else 0))
print("%-18s %15s %15s %15s %15s" % ("setting", "best WAR", "best UAR", "final WAR", "final UAR"))
f = lambda d, k: "%6.1f +- %4.1f" % (100 * d[k + "_mean"], 100 * d[k + "_std"])
for name, r in rows:
    print("%-18s %15s %15s %15s %15s" % (name, f(r["best"], "war"), f(r["best"], "uar"),
                                          f(r["final"], "war"), f(r["final"], "uar")))
EOF
