#!/bin/sh
# bench/train.sh - seconds per training epoch and per evaluation pass of
# arpg-train on an AFEW-sized cache (773 train + 383 val clips, T=16, G=6,
# Dp=256, Da=512; D=256, H=4, Lr=2, Lf=1, TRS=4, batch 32), 1 and 2
# threads, against the same model in PyTorch (bench/train_torch.py) on the
# same cache, in one run; plus the GEMM FLOPs per epoch and, for training
# and evaluation at each thread count, the seconds as a multiple of the
# floor those FLOPs set at bench/gemm's sgemm peak at that thread count.
#
#   make bench-train        (or: top_builddir=BUILD sh bench/train.sh [EPOCHS])
#
# BASELINE=OTHER_BUILD also times that build's arpg-train on the same cache,
# in alternating runs (REPS of each, 3), both without augmentation
# (--augment none where the build knows it), and prints the ratio; TORCH=0
# leaves PyTorch out (the floor table stays); THREADS ("1 2") says which
# -j to time.  The seconds are wall seconds: run it on an idle machine.
set -e
: "${top_builddir:=.}"
: "${top_srcdir:=$(dirname "$0")/..}"
epochs=${1:-3}
work=${ARPG_BENCH_DIR:-${TMPDIR:-/tmp}/arpg-bench-train}
mkdir -p "$work"
cache=$work/afew_syn.lmdb
if [ ! -f "$cache/data.mdb" ]; then
	echo "making an AFEW-sized synthetic cache in $cache" >&2
	"$top_builddir/tests/train/make_cache" "$cache" --clips 1156 --val 383 --classes 7 --frames 16 \
		--grid 6 --app-dim 512 --patch-dim 256 --dtype f16 --signal 0.1
fi

# best (lowest) train and eval seconds over epochs 2.. (epoch 1 touches memory first)
# of arpg-train (of build $2, default top_builddir) on $1 threads
arpg_times() {
	bin=${2:-$top_builddir}/train/arpg-train
	aug=
	if "$bin" --help 2>&1 | grep -q -- --augment; then aug="--augment none"; fi
	# shellcheck disable=SC2086
	"$bin" "$cache" --epochs "$epochs" -j "$1" -q $aug |
		awk -F'"seconds":' '/"split":"train"/ && !/"epoch":1,/ { split($2, a, ","); if (!t || a[1] < t) t = a[1] }
			/"split":"val"/ && !/"epoch":1,/ { split($2, a, ","); if (!e || a[1] < e) e = a[1] }
			END { printf "%.3f %.3f\n", t, e }'
}
torch_times() {
	OPENBLAS_CORETYPE=SkylakeX OMP_NUM_THREADS=$1 "${PYTHON3:-/usr/bin/python3}" \
		"$top_srcdir/bench/train_torch.py" "$cache" "$1" "$epochs" |
		awk '$2 > 1 { if (!t || $4 < t) t = $4; if (!e || $6 < e) e = $6 } END { printf "%.3f %.3f\n", t, e }'
}

# GEMM FLOPs of one epoch (per clip: patch projection, relation layer
# projections, appearance projection, fusion projection, classifier), for
# training (forward + both backward GEMMs, but no input gradient for the
# patch and appearance projections) and for evaluation (forward).
flops=$(awk 'BEGIN { T=16; N=36; Dp=256; Da=512; D=256; C=7; Lr=2; Lf=1;
	proj = 2*T*N*Dp*D; rel = Lr*2*T*N*D*D; app = 2*T*Da*D; fus = Lf*2*(2*T)*D*D; mlp = 2*(2*D*D + D*C);
	fwd = proj + rel + app + fus + mlp; train = 2*proj + 3*rel + 2*app + 3*fus + 3*mlp;
	printf "%.1f %.1f %.1f\n", fwd*773/1e9, train*773/1e9, fwd*383/1e9 }')
set -- $flops
fwd_train=$1 train_gf=$2 eval_gf=$3
# bench/gemm's sgemm GFLOP/s on the patch projection's shape at 1 and 2
# threads: the peaks the floors are taken at
peaks=$("$top_builddir/bench/gemm" 0.5 2>/dev/null |
	awk '$1 == "18432x256x256" { p[$2] = $4 } END { print p[1], p[2] }')
# peak_at THREADS: the peak at THREADS (empty when bench/gemm did not say)
peak_at() {
	echo "$peaks" | awk -v j="$1" '{ print $j }'
}
# floor_x SECONDS GFLOP THREADS: SECONDS as a multiple of the GEMM floor
# (GFLOP at the peak at THREADS), or - without a peak
floor_x() {
	p=$(peak_at "$3")
	if [ -n "$p" ]; then echo "$1 $2 $p" | awk '{ printf "%.2fx", $1 / ($2 / $3) }'; else echo -; fi
}

if [ -n "${BASELINE:-}" ]; then
	echo "arpg-train of $top_builddir against $BASELINE, $epochs epochs, best of epochs 2..$epochs, best of ${REPS:-3} alternating runs"
	printf '%-8s %12s %12s %12s %12s %9s %9s\n' threads train base_train eval base_eval train_x eval_x
	for j in ${THREADS:-1 2}; do
		bt= be= nt= ne=
		for r in $(seq "${REPS:-3}"); do
			set -- $(arpg_times $j) $(arpg_times $j "$BASELINE")
			nt=$(echo "$1 $nt" | awk '{ print ($2 == "" || $1 < $2) ? $1 : $2 }')
			ne=$(echo "$2 $ne" | awk '{ print ($2 == "" || $1 < $2) ? $1 : $2 }')
			bt=$(echo "$3 $bt" | awk '{ print ($2 == "" || $1 < $2) ? $1 : $2 }')
			be=$(echo "$4 $be" | awk '{ print ($2 == "" || $1 < $2) ? $1 : $2 }')
		done
		printf '%-8s %11ss %11ss %11ss %11ss %8.2fx %8.2fx\n' $j $nt $bt $ne $be \
			"$(echo "$bt / $nt" | bc -l)" "$(echo "$be / $ne" | bc -l)"
	done
fi

# the floor: each thread count's seconds against the GEMM work at its peak
echo "GEMM work per epoch: training $train_gf GFLOP (forward $fwd_train), evaluation $eval_gf GFLOP"
echo "sgemm peak (bench/gemm, ${peaks:-none}) GFLOP/s at 1 and 2 threads; arpg-train's best of epochs 2..$epochs"
printf '%-8s %12s %12s %12s %12s\n' threads arpg_train train_floor arpg_eval eval_floor
for j in ${THREADS:-1 2}; do
	set -- $(arpg_times $j)
	printf '%-8s %11ss %12s %11ss %12s\n' $j $1 "$(floor_x $1 $train_gf $j)" $2 \
		"$(floor_x $2 $eval_gf $j)"
	eval "arpg_$j=\"$1 $2\""	# for the table against PyTorch
done
[ "${TORCH:-1}" = 0 ] && exit 0

echo "arpg-train vs PyTorch $(${PYTHON3:-/usr/bin/python3} -c 'import torch; print(torch.__version__)'), $epochs epochs, best of epochs 2..$epochs"
printf '%-8s %12s %12s %12s %12s %9s %9s\n' threads arpg_train torch_train arpg_eval torch_eval train_x eval_x
for j in ${THREADS:-1 2}; do
	set -- $(eval echo "\$arpg_$j") $(torch_times $j)
	printf '%-8s %11ss %11ss %11ss %11ss %8.2fx %8.2fx\n' $j $1 $3 $2 $4 \
		"$(echo "$3 / $1" | bc -l)" "$(echo "$4 / $2" | bc -l)"
done
