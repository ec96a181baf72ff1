#!/bin/sh
# fuzz_campaign.sh - a fuzzing campaign: every harness of tests/fuzz (or those
# named) under libFuzzer with ASan and UBSan, MINUTES each, one after the other.
# Not part of CI (.ci/run fuzzes each for seconds); run it before a release or
# after a change to a parser.
#
# usage: sh tools/fuzz_campaign.sh [-m MINUTES] [-j JOBS] [-w WORKDIR] [NAME...]
#   -m  minutes per harness (default 10)
#   -j  libFuzzer processes per harness (default 1; -fork=JOBS)
#   -w  where the fuzz build (WORKDIR/build, configured with clang,
#       --enable-fuzz and --enable-asan), the growing corpora, logs and crashes
#       go (default ./fuzz-campaign); a second run reuses the build and corpora
#   NAME  harness names (tests/fuzz/corpus/NAME); default: all
# Prints one line per harness: runs, executions per second, corpus size, and
# "ok" or the crash files; writes WORKDIR/summary.txt.  Exit 0 when no harness
# found anything, 1 otherwise, 2 on usage.  Needs clang and libclang-rt-dev.
set -u
minutes=10 jobs=1 work=./fuzz-campaign
usage() { sed -n 2,20p "$0" >&2; exit 2; }
while getopts m:j:w:h o; do
	case $o in
	m) minutes=$OPTARG ;;
	j) jobs=$OPTARG ;;
	w) work=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
case $minutes$jobs in *[!0-9]*) usage ;; esac
[ "$minutes" -ge 1 ] && [ "$jobs" -ge 1 ] || usage	# libFuzzer reads 0 s as no limit
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$work" && work=$(cd "$work" && pwd)
build=$work/build
names=${*:-$(ls "$top/tests/fuzz/corpus")}
targets=$(for name in $names; do printf 'tests/fuzz/fuzz_%s ' "$name"; done)
echo "fuzz_campaign: building $targets in $build" >&2
[ -x "$top/configure" ] || (cd "$top" && autoreconf -fi) >/dev/null 2>&1
mkdir -p "$build"
(cd "$build" && { [ -f Makefile ] ||
	"$top/configure" -q CC=clang --enable-fuzz --enable-asan; } &&
	make -j"$(nproc)" $targets) >"$work/build.log" 2>&1 ||
	{ echo "fuzz_campaign: build failed: $work/build.log" >&2; exit 1; }
status=0
: >"$work/summary.txt"
for name in $names; do
	h=$build/tests/fuzz/fuzz_$name
	[ -x "$h" ] || { echo "fuzz_campaign: no harness fuzz_$name" >&2; status=1; continue; }
	corpus=$work/corpus/$name crashes=$work/crashes/$name
	mkdir -p "$corpus" "$crashes"
	cp -n "$top/tests/fuzz/corpus/$name/"* "$corpus/" 2>/dev/null
	log=$work/$name.log
	start=$(date +%s)
	# leaks are reported but LMDB and FFmpeg keep a few process-wide caches
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	"$h" -max_total_time=$((minutes * 60)) -rss_limit_mb=4096 -timeout=30 \
		-print_final_stats=1 -artifact_prefix="$crashes/" \
		$( [ "$jobs" -gt 1 ] && echo "-fork=$jobs -ignore_crashes=1" ) \
		"$corpus" >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	# slow-unit-* are inputs slower than 10 s (a loaded machine), not findings
	found=$(ls "$crashes" | grep -v '^slow-unit-' | head -n 5 | tr '\n' ' ')
	slow=$(ls "$crashes" | grep -c '^slow-unit-')
	if [ $rc = 0 ] && [ -z "$found" ]; then verdict=ok; else verdict="FOUND (exit $rc): $found"; status=1; fi
	[ "$slow" -gt 0 ] && verdict="$verdict ($slow slow inputs kept in $crashes)"
	line="$name: ${secs}s, ${runs:-?} runs, ${speed:-?}/s, slowest $(sed -n 's/^stat::slowest_unit_time_sec: *//p' "$log" | tail -n 1)s, corpus $(ls "$corpus" | wc -l), $verdict"
	echo "$line" | tee -a "$work/summary.txt"
done
exit $status
