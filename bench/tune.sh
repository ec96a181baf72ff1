#!/bin/sh
# bench/tune.sh - seconds per training epoch of arpg-train --tune-backbone
# (issue 20) on an AFEW-sized synthetic cache with maps (773 training clips,
# T=16, G=6, Dp=256, Da=512, f16; maps 256x14x14 per frame; the trainer's
# defaults otherwise: batch 32, Adam, --lr 1e-3, --lr-backbone 1e-4,
# --augment none) and an iresnet50 structure with random weights at 112x112
# (tests/onnx/make_iresnet.py --layers 3,4,14,3), against PyTorch
# (bench/tune_torch.py):
#   torch_tail  the same tail (stage 4, BN, flatten, fc, features BN; BN in
#               eval mode with trainable affine), the same head as
#               bench/train_torch.py, the same batch, maps read per batch
#   torch_full  the paper's way: the whole backbone fine-tuned from 112x112
#               crops, FULL_CLIPS clips timed (micro-batches of 2 clips)
#               and scaled to an epoch
# at 1 and 2 threads (-j, torch.set_num_threads), the programs alternating
# ROUNDS times and the best of each kept (a shared machine drifts), with the
# load average after each thread count.  Target (issue 20): arpg at least
# 3x torch_tail.
#
#   make bench-tune     (or: top_builddir=BUILD top_srcdir=SRC sh bench/tune.sh)
#
# Environment: CLIPS (773): training clips timed, the times scaled to 773
# (say CLIPS=64 for a quick run: two batches); VAL (8): validation clips
# (arpg-train evaluates them after the epoch, untimed; an AFEW-sized 383
# would add minutes of forward passes); FULL_CLIPS (4); ROUNDS (2);
# THREADS ("1 2"); PYTHON3 (/usr/bin/python3, with torch, onnx and lmdb);
# ARPG_BENCH_DIR (/tmp/arpg-bench-tune) for the model and the caches (about
# 1.3 GB at 773 clips).  The cache's maps are random, not the model's
# (tests/train/make_cache --maps --backbone), which speed does not mind.
# Time -j 2 on cores nothing else keeps busy: a thread that waits at a
# barrier for one the kernel descheduled spins away its share.  On a
# shared machine the wall times of either program vary 2 to 4 times with the load: the cpu
# columns (each process's CPU seconds) compare them better, and the
# programs alternate.  The measurements and profiles of each change are in
# its commit message and the issue's notes, not here.
set -e
: "${top_builddir:=.}"
: "${top_srcdir:=$(dirname "$0")/..}"
py=${PYTHON3:-/usr/bin/python3}
clips=${CLIPS:-773}
val=${VAL:-8}
full=${FULL_CLIPS:-4}
layers=3,4,14,3
work=${ARPG_BENCH_DIR:-${TMPDIR:-/tmp}/arpg-bench-tune}
mkdir -p "$work"
model=$work/iresnet50/model.onnx
if [ ! -f "$model" ]; then
	echo "writing an iresnet50 with random weights to $model" >&2
	"$py" "$top_srcdir/tests/onnx/make_iresnet.py" "$work/iresnet50" --layers $layers --no-reference
fi
cache=$work/tune_$clips.lmdb
if [ ! -f "$cache/data.mdb" ]; then
	echo "making a synthetic cache with maps in $cache" >&2
	"$top_builddir/tests/train/make_cache" "$cache" --clips $((clips + val)) --val "$val" \
		--classes 7 --frames 16 --grid 6 --app-dim 512 --patch-dim 256 --dtype f16 \
		--signal 0.1 --maps 256,14,14 --backbone "$model"
fi

min() { echo "$1 $2" | awk '{ print ($2 == "" || $1 < $2) ? $1 : $2 }'; }
# seconds of an epoch of 773 clips from a line "n s": n clips took s seconds
epoch() { awk '{ printf "%.1f", $2 * 773 / $1 }'; }
# Each program runs under /usr/bin/time: its CPU seconds (user + sys, the
# whole process: arpg's model load and validation, torch's imports) go to
# $work/cpu, which cpu() reads.
timed() { /usr/bin/time -f '%U %S' -o "$work/cpu" "$@"; }
cpu() { awk '{ printf "%.1f", $1 + $2 }' "$work/cpu"; }
arpg() {
	timed "$top_builddir/train/arpg-train" "$cache" --tune-backbone "$model" --epochs 1 \
		--augment none -j "$1" -q |
		awk -v n="$clips" -F'"seconds":' '/"split":"train"/ { split($2, a, ","); print n, a[1] }'
}
torch() {
	timed env OPENBLAS_CORETYPE=SkylakeX OMP_NUM_THREADS="$2" "$py" "$top_srcdir/bench/tune_torch.py" \
		"$1" "$cache" "$2" $layers "$3" | awk '{ print $2, $4 }'
}

echo "arpg-train --tune-backbone against PyTorch $("$py" -c 'import torch; print(torch.__version__)') on" \
	"$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), iresnet50 tail, batch 32, T 16"
echo "seconds per epoch of 773 training clips: arpg and torch_tail timed over $clips clips," \
	"torch_full over $full clips, scaled; best of $(( ${ROUNDS:-2} )) alternating rounds"
echo "cpu: CPU seconds (user + sys) of the whole processes over the $clips clips, unscaled"
printf '%-8s %10s %11s %11s %8s %8s %9s %9s %6s  %s\n' threads arpg torch_tail torch_full tail_x \
	full_x arpg_cpu tail_cpu cpu_x load
for j in ${THREADS:-1 2}; do
	a='' t='' f='' ac='' tc=''
	for r in $(seq "${ROUNDS:-2}"); do
		a1=$(arpg "$j" | epoch) ac1=$(cpu)
		t1=$(torch tail "$j" "$clips" | epoch) tc1=$(cpu)
		f1=$(torch full "$j" "$full" | epoch)
		echo "-j $j round $r: arpg ${a1}s (cpu ${ac1}s) torch_tail ${t1}s (cpu ${tc1}s)" \
			"torch_full ${f1}s (load $(cut -d' ' -f1 /proc/loadavg))" >&2
		a=$(min "$a1" "$a") t=$(min "$t1" "$t") f=$(min "$f1" "$f")
		ac=$(min "$ac1" "$ac") tc=$(min "$tc1" "$tc")
	done
	printf '%-8s %9ss %10ss %10ss %7.2fx %7.2fx %8ss %8ss %5.2fx  %s\n' "$j" "$a" "$t" "$f" \
		"$(echo "$t / $a" | bc -l)" "$(echo "$f / $a" | bc -l)" "$ac" "$tc" \
		"$(echo "$tc / $ac" | bc -l)" "$(cut -d' ' -f1-3 /proc/loadavg)"
done
