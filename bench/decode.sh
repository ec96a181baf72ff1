#!/bin/sh
# bench/decode.sh [CLIPS [SECONDS [JOBS]]] - frames per second of
# "arpg-preprocess --no-align -j JOBS" against the ffmpeg CLI doing the same
# job (decode, centre crop, scale to 112x112, a PNG per frame; one ffmpeg
# per clip, JOBS at a time) on the same generated AFEW-like clips (MPEG-4
# Part 2 in AVI, 720x576, 25 fps), in one run; prints the ratio, and where
# the CLI's time goes (decode, crop+scale, PNG) as a guide to ours.
# Not run by make check.  PRE names the program (default: the build's).
set -e
N=${1:-16}
SECS=${2:-2}
J=${3:-2}
PRE=${PRE:-$(dirname "$0")/../preprocess/arpg-preprocess}
command -v ffmpeg >/dev/null || { echo "bench/decode: ffmpeg is not installed" >&2; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/bench_decode.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/Train_AFEW/Happy"
i=0
while [ $i -lt "$N" ]; do
	src=$([ $((i % 2)) = 0 ] && echo testsrc2 || echo mandelbrot)
	ffmpeg -nostdin -v error -f lavfi -i "$src=size=720x576:rate=25" -t "$SECS" \
		-c:v mpeg4 -q:v 4 "$T/Train_AFEW/Happy/$(printf %09d $i).avi"
	i=$((i + 1))
done
frames=$((N * SECS * 25))
now() { date +%s.%N; }
rate() { awk -v f="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.1f", f / (b - a) }'; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
VF="crop='min(iw,ih)':'min(iw,ih)',scale=112:112"
cli() { # cli OUTPUT-ARGS: every clip through ffmpeg, J at a time
	ls "$T"/Train_AFEW/Happy/*.avi | xargs -P "$J" -I{} sh -c \
		'b=$(basename {} .avi); mkdir -p "'"$T"'/cli/$b"; ffmpeg -nostdin -v error -y -i {} '"$*"
}

t0=$(now)
"$PRE" -v --no-align -j "$J" -l afew -o "$T/ours" "$T/Train_AFEW" >/dev/null 2>"$T/ours.err"
t1=$(now)
cli "-vf \"$VF\" \"$T/cli/\$b/%06d.png\""
t2=$(now)
cli "-f null -"
t3=$(now)
cli "-vf \"$VF\" -f null -"
t4=$(now)
got=$(ls "$T"/ours/*/*.png | wc -l)
want=$(ls "$T"/cli/*/*.png | wc -l)
echo "clips: $N x ${SECS} s, 720x576 mpeg4, $frames frames; -j $J; $(nproc) processors"
echo "frames written: arpg-preprocess $got, ffmpeg CLI $want"
echo "arpg-preprocess --no-align: $(secs $t0 $t1) s, $(rate $frames $t0 $t1) frames/s"
echo "ffmpeg CLI (crop, scale, PNG): $(secs $t1 $t2) s, $(rate $frames $t1 $t2) frames/s"
echo "  the CLI's time: decode only $(secs $t2 $t3) s; decode, crop, scale $(secs $t3 $t4) s; with PNG $(secs $t1 $t2) s"
echo "  ours: $(sed -n 's/^arpg-preprocess: time over all workers: //p' "$T/ours.err")"
awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "ratio (ours / CLI, frames/s): %.2fx\n", (c - b) / (b - a) }'
