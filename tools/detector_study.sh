#!/bin/sh
# detector_study.sh - the cascade and a CNN detector side by side on harder
# footage made from Megamind.avi (opencv-doc) with the ffmpeg CLI: the
# video as it is; rotated by 30 degrees; dark (brightness -0.3, contrast
# 0.5); small (scaled to a quarter and padded back to 720x528); blurred
# (Gaussian, sigma 4); partly covered (a black band over the lower middle
# of the frame); a second person (a mirrored copy at half size in the
# top-right corner, clear of the main face: a distractor).  For each:
# frames, frames where arpg-preprocess followed a face with the cascade
# (the default) and with --detector, and the median distance in pixels
# between the centre of the followed face and the centre of the face
# followed in the plain video (for the second person: a small distance
# means the main face, not the copy, was kept; geometry changes make it
# meaningless for rotated and small).
#
# usage: sh tools/detector_study.sh BUILD MODEL.onnx [WORKDIR]
#   e.g. sh tools/detector_study.sh build ../shared/models/face_detection_yunet_2026may.onnx
# FRAMES (default 270, the whole video) takes the first frames only.
set -eu
[ $# -ge 2 ] || { sed -n 2,18p "$0" >&2; exit 2; }
bld=$(cd "$1" && pwd) model=$2
work=${3:-$(mktemp -d "${TMPDIR:-/tmp}/arpg-study.XXXXXX")}
video=/usr/share/doc/opencv-doc/examples/data/Megamind.avi
[ -r "$video" ] || { echo "detector_study.sh: $video: install opencv-doc" >&2; exit 1; }
mkdir -p "$work/data/x"
mk() {	# NAME FILTERGRAPH
	[ -s "$work/data/x/$1.avi" ] ||
		ffmpeg -v error -y -i "$video" -an -filter_complex "$2" -frames:v "${FRAMES:-270}" \
			-c:v mjpeg -q:v 3 \
			"$work/data/x/$1.avi"
}
mk plain "null"
mk rotated "rotate=30*PI/180"
mk dark "eq=brightness=-0.3:contrast=0.5"
mk small "scale=iw/4:ih/4,pad=720:528:(ow-iw)/2:(oh-ih)/2"
mk blurred "gblur=sigma=4"
mk covered "drawbox=x=iw/4:y=ih*0.45:w=iw/2:h=ih/5:color=black:t=fill"
mk second "split[a][b];[b]hflip,scale=iw/2:ih/2[c];[a][c]overlay=W-w:0"
pp=$bld/preprocess/arpg-preprocess
"$pp" -q -o "$work/vj" "$work/data" >/dev/null
"$pp" -q --detector "$model" --landmarks none -o "$work/cnn" "$work/data" >/dev/null
printf '%-9s %6s %10s %10s %12s %12s\n' video frames cascade detector "cascade_px" "detector_px"
for v in plain rotated dark small blurred covered second; do
	id=$(tail -n +2 "$work/vj/manifest.tsv" | awk -F'\t' -v v="$v" '$1 ~ "_" v "$" { print $1 }')
	# frames.tsv: column 2 the face flag, 3-6 the followed box x y w h
	awk -F'\t' -v v="$v" -v id="$id" '
		FNR == 1 { f++; next }
		f == 1 { px[$1] = $3 + $5 / 2; py[$1] = $4 + $6 / 2; next }
		f == 2 { n++; if ($2 == 1) { c++; d[c] = sqrt(($3 + $5 / 2 - px[$1]) ^ 2 + ($4 + $6 / 2 - py[$1]) ^ 2) } }
		f == 3 { if ($2 == 1) { k++; e[k] = sqrt(($3 + $5 / 2 - px[$1]) ^ 2 + ($4 + $6 / 2 - py[$1]) ^ 2) } }
		function med(a, m,   i, j, t) { for (i = 2; i <= m; i++) for (j = i; j > 1 && a[j] < a[j - 1]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
			return m ? a[int((m + 1) / 2)] : -1 }
		END { printf "%-9s %6d %10d %10d %12.1f %12.1f\n", v, n, c, k, med(d, c), med(e, k) }' \
		"$work/cnn/${id%_*}_plain/frames.tsv" "$work/vj/$id/frames.tsv" "$work/cnn/$id/frames.tsv"
done
