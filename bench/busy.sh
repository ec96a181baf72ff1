#!/bin/sh
# bench/busy.sh - arpg-train on cores another process keeps busy: seconds
# per training epoch with -j 1, -j 2 and the default (arpg_cli_free_jobs:
# the processors free when it starts), while BUSY processes spin (1 unless
# given), and the same without them; alternating runs (REPS of each, 3),
# the best of each, as ratios to -j 1.  The question it answers: is the
# default never slower than -j 1, and as fast as all cores when idle?
#
#   top_builddir=BUILD sh bench/busy.sh [EPOCHS]
#
# The cache is bench/train.sh's AFEW-sized synthetic one, made smaller
# (CLIPS, 300) so that a run takes seconds.
set -e
: "${top_builddir:=.}"
epochs=${1:-3}
clips=${CLIPS:-300}
work=${ARPG_BENCH_DIR:-${TMPDIR:-/tmp}/arpg-bench-busy}
mkdir -p "$work"
cache=$work/syn$clips.lmdb
if [ ! -f "$cache/data.mdb" ]; then
	echo "making a synthetic cache of $clips clips in $cache" >&2
	"$top_builddir/tests/train/make_cache" "$cache" --clips "$clips" --val $((clips / 3)) \
		--classes 7 --frames 16 --grid 6 --app-dim 512 --patch-dim 256 --dtype f16 --signal 0.1
fi
bin=$top_builddir/train/arpg-train

# the best seconds of a training epoch after the first; $1: -j or "default"
epoch_time() {
	j=
	if [ "$1" != default ]; then j="-j $1"; fi
	# shellcheck disable=SC2086
	"$bin" "$cache" --epochs "$epochs" --augment none -q $j |
		awk -F'"seconds":' '/"split":"train"/ && !/"epoch":1,/ { split($2, a, ","); if (!t || a[1] < t) t = a[1] }
			END { printf "%.3f\n", t }'
}
threads_default() {
	"$bin" "$cache" --epochs 1 -v 2>&1 >/dev/null | sed -n 's/.*BLIS kernels.*), \([0-9]*\) thread.*/\1/p'
}

spinners=
start_busy() {
	for _ in $(seq "${BUSY:-1}"); do
		sh -c 'while :; do :; done' &
		spinners="$spinners $!"
	done
	sleep 0.5
}
stop_busy() {
	# shellcheck disable=SC2086
	[ -z "$spinners" ] || kill $spinners 2>/dev/null || true
	spinners=
}
trap stop_busy EXIT INT TERM

echo "arpg-train, $clips clips, epochs 2..$epochs, best of ${REPS:-3} alternating runs; $(nproc) processors"
printf '%-22s %9s %9s %9s %8s %8s %9s\n' load j1 j2 default j2/j1 def/j1 def_threads
for load in idle "${BUSY:-1} busy process(es)"; do
	if [ "$load" != idle ]; then start_busy; fi
	b1='' b2='' bd=''
	for _ in $(seq "${REPS:-3}"); do
		t=$(epoch_time 1); b1=$(echo "$t ${b1:-$t}" | awk '{ print ($1 < $2) ? $1 : $2 }')
		t=$(epoch_time 2); b2=$(echo "$t ${b2:-$t}" | awk '{ print ($1 < $2) ? $1 : $2 }')
		t=$(epoch_time default); bd=$(echo "$t ${bd:-$t}" | awk '{ print ($1 < $2) ? $1 : $2 }')
	done
	n=$(threads_default)
	echo "$load $b1 $b2 $bd $n" | awk '{ n = NF; printf "%-22s %9.3f %9.3f %9.3f %8.2f %8.2f %9d\n",
		substr($0, 1, index($0, $(n - 3)) - 2), $(n-3), $(n-2), $(n-1), $(n-2) / $(n-3), $(n-1) / $(n-3), $n }'
	stop_busy
done
