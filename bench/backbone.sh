#!/bin/sh
# bench/backbone.sh - images/s of iresnet50 (InsightFace structure, random
# weights, 112x112) on arpg's ONNX engine against onnxruntime (npm
# onnxruntime-node) running the same ONNX file, batch 1 and 8, 1 and 2
# threads, as a ratio; plus arpg's GFLOP/s as a fraction of bench/gemm's
# sgemm peak at the same thread count.  The GFLOP/s count a direct
# convolution's multiply-adds (12.6 GFLOP per image), so with Winograd
# doing fewer the fraction can pass 100%.
#
# The speed of the shared machines drifts by 10-20% within a minute, so
# each case alternates arpg and onnxruntime ROUNDS times (default 3) and
# compares the best run of each.
#
#	make bench && sh bench/backbone.sh [SECONDS_PER_RUN]
#
# Needs /usr/bin/python3 with torch and onnx (to make the model, in
# $ARPG_BENCH_DIR, default /tmp/arpg-bench, not kept in the repository) and
# onnxruntime-node installed in $ORT_DIR (default /tmp/ortbench):
#	mkdir -p /tmp/ortbench && cd /tmp/ortbench &&
#	ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node
# Run from the build directory (it finds bench/backbone and bench/gemm there).
set -e
secs=${1:-10}
rounds=${ROUNDS:-3}
here=$(cd "$(dirname "$0")" && pwd)
src=${top_srcdir:-$here/..}
dir=${ARPG_BENCH_DIR:-/tmp/arpg-bench}
ORT_DIR=${ORT_DIR:-/tmp/ortbench}
export ORT_DIR
model=$dir/iresnet50.onnx
if [ ! -f "$model" ]; then
	mkdir -p "$dir/r50"
	/usr/bin/python3 "$src/tests/onnx/make_iresnet.py" "$dir/r50" --layers 3,4,14,3 \
		--no-reference >&2
	mv "$dir/r50/model.onnx" "$model"
fi
ort=yes
[ -d "$ORT_DIR/node_modules/onnxruntime-node" ] && command -v node >/dev/null || ort=no
echo "iresnet50 112x112, best of $rounds alternating runs of $secs s each; model $model"
printf '%-6s %-7s %10s %10s %7s %9s %8s %6s\n' batch threads arpg_img/s ort_img/s ratio GFLOP/s peak frac
for th in 1 2; do
	peak=$(./bench/gemm --child "$th" 0 2 | awk '{ m = 0; for (i = 2; i <= NF; i++) if ($i > m) m = $i; print m }')
	for b in 1 8; do
		a=0 g=0 o=-
		r=0
		while [ $r -lt "$rounds" ]; do
			set -- $(OMP_NUM_THREADS=$th ./bench/backbone "$model" "$b" "$th" "$secs")
			a=$(awk -v x="$1" -v y="$a" 'BEGIN { print (x > y ? x : y) }')
			g=$(awk -v x="$2" -v y="$g" 'BEGIN { print (x > y ? x : y) }')
			if [ $ort = yes ]; then
				x=$(node "$src/bench/backbone_ort.js" "$model" "$b" "$th" "$secs")
				o=$(awk -v x="$x" -v y="$o" 'BEGIN { print (y == "-" || x > y ? x : y) }')
			fi
			r=$((r + 1))
		done
		awk -v b="$b" -v th="$th" -v a="$a" -v o="$o" -v g="$g" -v p="$peak" 'BEGIN {
			r = o == "-" ? "-" : sprintf("%.2fx", a / o)
			printf "%-6s %-7s %10.2f %10s %7s %9.1f %8.1f %5.0f%%\n", b, th, a, o, r, g, p, 100 * g / p }'
	done
done
