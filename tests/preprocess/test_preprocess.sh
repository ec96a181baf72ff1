#!/bin/sh
# arpg-preprocess end to end: clips made with the ffmpeg CLI (MPEG-4 Part 2
# in AVI, with and without audio, an odd size; MJPEG; H.264 in MP4 when
# libx264 is there; variable frame rate), packed as AFEW-like archives (zip,
# tar.gz, 7z) and an RML-like tree; checks the manifest, frame counts, PNG
# sizes, frame hashes against the CLI, reruns, and every bad-input case.
# TAP output.
: "${top_builddir:=.}"
PRE=${PRE:-arpg-preprocess}
MD5=${MD5:-$top_builddir/tests/preprocess/test_preprocess_framemd5}
PY=${PYTHON3:-python3}
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $*"; }
check() { # check DESCRIPTION COMMAND...
	d=$1
	shift
	if "$@"; then ok "$d"; else notok "$d"; fi
}
skip() { n=$((n + 1)); echo "ok $n # SKIP $*"; }

for tool in ffmpeg zip; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "1..0 # SKIP $tool is not installed"
		exit 0
	fi
done

if ! "$PRE" --version >/dev/null 2>&1 || [ ! -x "$MD5" ]; then
	echo "Bail out! $PRE or $MD5 cannot run (top_builddir=$top_builddir)"
	exit 1
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/test_preprocess.XXXXXX") || exit 1
trap 'if [ $fails -eq 0 ]; then rm -rf "$T"; else echo "# kept $T"; fi' EXIT
cd "$T" || exit 1

ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
# mk OUT SOURCE SECONDS CODEC-ARGS...
mk() {
	out=$1 src=$2 t=$3
	shift 3
	ff -f lavfi -i "$src" -t "$t" "$@" "$out"
}
# frames the ffmpeg CLI decodes from a file
cli_frames() { ffmpeg -nostdin -v error -i "$1" -f framemd5 -pix_fmt rgb24 - | grep -c '^0,'; }
# md5 of the CLI's rgb24 frames, one per line
cli_md5() { ffmpeg -nostdin -v error -i "$1" -f framemd5 -pix_fmt rgb24 - | awk -F', *' '$1 == 0 { print $6 }'; }
# the value of a manifest column for a clip id
col() { awk -F'\t' -v id="$2" -v c="$3" '$1 == id { print $c }' "$1"; }
rows() { tail -n +2 "$1" | grep -c .; }
png_size() { file "$1" | sed -n 's/.*PNG image data, \([0-9]*\) x \([0-9]*\).*/\1x\2/p'; }

# --- data ---
mkdir -p src/Train_AFEW/Angry src/Train_AFEW/Happy src/Val_AFEW/Sad src/Val_AFEW/Neutral \
	src/Test_AFEW
mk src/Train_AFEW/Angry/000000001.avi testsrc=size=160x120:rate=25 1 -c:v mpeg4 -q:v 5
ff -f lavfi -i mandelbrot=size=97x61:rate=25 -f lavfi -i sine=frequency=440 -t 0.8 \
	-c:v mpeg4 -c:a pcm_s16le -shortest src/Train_AFEW/Angry/000000002.avi
mk src/Train_AFEW/Happy/000000003.avi testsrc2=size=128x96:rate=30 0.5 -c:v mjpeg
if ffmpeg -hide_banner -encoders 2>/dev/null | grep -q libx264; then
	have264=1
	mk src/Train_AFEW/Happy/000000004.mp4 testsrc=size=120x90:rate=25 1 -c:v libx264 \
		-pix_fmt yuv420p -bf 2
	# variable frame rate: frames at 0, 0.04, 0.12, 0.16, 0.28 ... s
	ff -f lavfi -i testsrc=size=96x96:rate=25 -t 1 -vf "select='not(eq(mod(n,3),2))'" \
		-fps_mode vfr -c:v libx264 -pix_fmt yuv420p src/Val_AFEW/Sad/000000005.mp4
else
	have264=0
	mk src/Val_AFEW/Sad/000000005.avi testsrc=size=96x96:rate=25 1 -c:v mpeg4
fi
mk src/Val_AFEW/Neutral/000000006.avi mandelbrot=size=64x80:rate=20 1 -c:v mpeg4
mk src/Test_AFEW/000000007.avi testsrc=size=80x64:rate=25 0.4 -c:v mpeg4

(cd src && zip -q -r ../Train_AFEW.zip Train_AFEW && tar czf ../Val_AFEW.tar.gz Val_AFEW)
if command -v 7z >/dev/null 2>&1; then
	(cd src && 7z a -bd ../Test_AFEW.7z Test_AFEW >/dev/null)
	test_input=Test_AFEW.7z
else
	(cd src && tar cJf ../Test_AFEW.tar.xz Test_AFEW)
	test_input=Test_AFEW.tar.xz
fi

# --- AFEW from archives ---
"$PRE" -q -l afew -j 2 -o out Train_AFEW.zip Val_AFEW.tar.gz $test_input >stdout 2>stderr
rc=$?
check "afew: exit 0 (got $rc)" [ $rc -eq 0 ]
sed 's/^/# /' stderr
check "afew: stdout begins with the header" \
	[ "$(head -n 1 stdout)" = "$(printf 'clip_id\tsplit\tlabel\tsubject\tframes\tfaces\tpath')" ]
check "afew: 7 clips in manifest.tsv and on stdout" \
	[ "$(rows out/manifest.tsv)" = 7 -a "$(rows stdout)" = 7 ]
check "afew: stdout and manifest.tsv hold the same rows" \
	[ "$(tail -n +2 stdout | sort)" = "$(tail -n +2 out/manifest.tsv | sort)" ]
check "afew: ids, splits and labels" [ "$(cut -f1-3 out/manifest.tsv | tail -n +2 | sort | tr '\t\n' ',;')" = \
	"test__000000007,test,;train_Angry_000000001,train,Angry;train_Angry_000000002,train,Angry;train_Happy_000000003,train,Happy;train_Happy_000000004,train,Happy;val_Neutral_000000006,val,Neutral;val_Sad_000000005,val,Sad;" ] ||
	{ [ $have264 = 0 ] && echo "# (without libx264 the ids differ)"; }
for f in $(cd src && find . -type f | sort); do
	b=$(basename "$f")
	b=${b%.*}
	id=$(awk -F'\t' -v b="$b" 'index($1, b) { print $1 }' out/manifest.tsv)
	want=$(cli_frames "src/$f")
	got=$(col out/manifest.tsv "$id" 5)
	pngs=$(ls out/"$id"/*.png 2>/dev/null | grep -c .)
	check "$f: $got frames as the CLI decodes ($want), $pngs PNGs" [ "$got" = "$want" -a "$pngs" = "$want" ]
	check "$f: frames.tsv has a header and $want rows of 148 fields" \
		[ "$(awk -F'\t' 'NF == 148' out/"$id"/frames.tsv | grep -c .)" = $((want + 1)) ]
	check "$f: frame hashes equal the CLI's (rgb24, before scaling)" \
		[ "$("$MD5" "src/$f" | md5sum)" = "$(cli_md5 "src/$f" | md5sum)" ]
done
check "PNGs are 112x112 RGB" [ "$(png_size out/train_Angry_000000002/000000.png)" = 112x112 ]
check "no face: faces column 0, detected 0, centre-crop transform" \
	[ "$(col out/manifest.tsv train_Angry_000000002 6)" = 0 -a \
	  "$(awk -F'\t' 'NR == 2 { print $2, $7, $142, $143, $145, $148 }' out/train_Angry_000000002/frames.tsv)" = \
	  "0 0 0 1.83606557 -32.6311475 0.418032787" ]
check "manifest path is the clip's folder" [ -d "$(col out/manifest.tsv val_Sad_000000005 7)" ]

# --- rerun: skips complete clips, redoes partial ones, lists every clip ---
rm -rf out/val_Neutral_000000006
mkdir -p out/train_Happy_000000003.tmp
"$PRE" -l afew -o out Train_AFEW.zip Val_AFEW.tar.gz $test_input >stdout2 2>stderr2
rc=$?
check "rerun: exit 0 (got $rc)" [ $rc -eq 0 ]
check "rerun: summary says 1 done, 6 skipped" grep -q "1 clips done, 6 skipped" stderr2
check "rerun: manifest lists all 7 clips" [ "$(rows out/manifest.tsv)" = 7 -a "$(rows stdout2)" = 7 ]
check "rerun: no temporary folder left" [ -z "$(ls -d out/*.tmp 2>/dev/null)" ]

# --- options ---
"$PRE" -q --no-align --size 48 --max-frames 5 -l afew -o small Train_AFEW.zip >/dev/null
check "--max-frames 5 --size 48" [ "$(col small/manifest.tsv train_Angry_000000001 5)" = 5 -a \
	"$(png_size small/train_Angry_000000001/000004.png)" = 48x48 ]
"$PRE" -q --fps 10 -l afew -o fps Train_AFEW.zip >/dev/null
check "--fps 10 on 1 s at 25 fps gives 10 frames" [ "$(col fps/manifest.tsv train_Angry_000000001 5)" = 10 ]
check "--fps 10 frames are the CLI's fps=10 frames" [ "$("$MD5" src/Train_AFEW/Angry/000000001.avi 10 | md5sum)" = \
	"$(ffmpeg -nostdin -v error -i src/Train_AFEW/Angry/000000001.avi -vf fps=10 -f framemd5 -pix_fmt rgb24 - | awk -F', *' '$1 == 0 { print $6 }' | md5sum)" ]
for bad in "--size abc" "--size 0" "--fps -1" "-j 0" "-l foo" "--max-frames x" "--bogus"; do
	"$PRE" $bad -o o Train_AFEW.zip >/dev/null 2>err
	rc=$?
	check "usage error '$bad': exit 2 (got $rc), one message" [ $rc -eq 2 -a -s err ]
done
"$PRE" Train_AFEW.zip >/dev/null 2>&1
check "no -o: exit 2" [ $? -eq 2 ]
check "--version" sh -c "'$PRE' --version | grep -q '^arpg-preprocess '"

# --- RML-like tree and the dir and list layouts ---
mkdir -p rml/s1 rml/s2/english rml/s2/mandarin
cp src/Train_AFEW/Angry/000000001.avi rml/s1/an1.avi
cp src/Train_AFEW/Happy/000000003.avi rml/s2/english/ha2.avi
cp src/Val_AFEW/Neutral/000000006.avi rml/s2/mandarin/su3.avi
"$PRE" -q -l rml -o rout rml >/dev/null
rc=$?
check "rml: exit 0 (got $rc)" [ $rc -eq 0 ]
check "rml: subjects, labels and ids" [ "$(tail -n +2 rout/manifest.tsv | cut -f1-4 | tr '\t\n' ',;')" = \
	"train_Angry_s1_an1,train,Angry,s1;train_Happy_s2_english-ha2,train,Happy,s2;train_Surprise_s2_mandarin-su3,train,Surprise,s2;" ]
(cd rml && zip -q -r ../RML.zip s1 s2)
"$PRE" -q -l rml -o rzout RML.zip >/dev/null
check "rml from a zip: the same rows" [ "$(cut -f1-6 rzout/manifest.tsv | sort)" = "$(cut -f1-6 rout/manifest.tsv | sort)" ]

mkdir -p d/train/happiness d/val/Anger
cp src/Train_AFEW/Angry/000000001.avi d/train/happiness/a.avi
cp src/Val_AFEW/Neutral/000000006.avi d/val/Anger/b.avi
"$PRE" -q -o dout d >/dev/null
check "dir: canonical labels, splits" [ "$(tail -n +2 dout/manifest.tsv | cut -f1-3 | tr '\t\n' ',;')" = \
	"train_Happy_a,train,Happy;val_Angry_b,val,Angry;" ]
printf 'path\tlabel\tsplit\tsubject\nd/train/happiness/a.avi\tsad\ttest\tp7\n' >list.tsv
"$PRE" -q -l list -o lout list.tsv >/dev/null
check "list: fields from the TSV" [ "$(tail -n +2 lout/manifest.tsv | cut -f1-5 | tr '\t\n' ',;')" = \
	"test_Sad_p7_a,test,Sad,p7,25;" ]

# --- bad input: one message each, other clips done, exit 1, no half clip ---
mkdir -p bad/Train_X/Angry bad/Train_X/Sad
cp src/Train_AFEW/Angry/000000001.avi bad/Train_X/Angry/good.avi
s=$(wc -c <src/Train_AFEW/Angry/000000001.avi)
head -c $((s * 6 / 10)) src/Train_AFEW/Angry/000000001.avi >bad/Train_X/Angry/truncated.avi
"$PY" -c "
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
for i in range(len(b) // 2, len(b) // 2 + 400): b[i] = (b[i] * 7 + 13) & 255
open(sys.argv[2], 'wb').write(b)" src/Train_AFEW/Angry/000000001.avi bad/Train_X/Sad/corrupt.avi
echo "not a video" >bad/Train_X/Sad/notes.txt
ln -s nowhere.avi bad/Train_X/Sad/dangling.avi
cp src/Train_AFEW/Angry/000000001.avi bad/Train_X/Sad/locked.avi
chmod 000 bad/Train_X/Sad/locked.avi
"$PRE" -l afew -o bout bad/Train_X >/dev/null 2>err
rc=$?
sed 's/^/# /' err
check "bad clips: exit 1 (got $rc)" [ $rc -eq 1 ]
check "bad clips: the good clip is done" [ -d bout/train_Angry_good ] && grep -q train_Angry_good bout/manifest.tsv
check "truncated video: one message" [ "$(grep -c 'truncated.avi: .*truncated' err)" = 1 ]
check "corrupt video: one message" [ "$(grep -c 'corrupt.avi: .*damaged\|corrupt.avi: .*corrupt' err)" = 1 ]
check "non-video file: one message" [ "$(grep -c 'notes.txt: .*not a video' err)" = 1 ]
check "dangling link: one message" [ "$(grep -c 'dangling.avi: .*link to a missing file' err)" = 1 ]
if [ "$(id -u)" = 0 ]; then
	skip "unreadable file: running as root, chmod 000 does not stop reading"
else
	check "unreadable file: one message" [ "$(grep -c 'locked.avi: .*cannot read' err)" = 1 ]
fi
chmod 644 bad/Train_X/Sad/locked.avi
check "bad clips: no half-written clip" [ -z "$(ls -d bout/*.tmp bout/*truncated* bout/*corrupt* 2>/dev/null)" ]
check "bad clips: messages name the program" [ -z "$(grep -v '^arpg-preprocess: ' err)" ]

cp Train_AFEW.zip damaged.zip
"$PY" - <<'EOF'
import zipfile
z = zipfile.ZipFile('damaged.zip')
i = [x for x in z.infolist() if x.filename.endswith('000000003.avi')][0]
off = i.header_offset + 30 + len(i.filename) + len(i.extra) + 200
b = bytearray(open('damaged.zip', 'rb').read())
for k in range(off, off + 50): b[k] ^= 0x55
open('damaged.zip', 'wb').write(b)
EOF
"$PRE" -l afew -o dzout damaged.zip >/dev/null 2>err
rc=$?
sed 's/^/# /' err
check "damaged archive entry: exit 1 (got $rc), message names the entry" \
	[ $rc -eq 1 ] && grep -q 'damaged.zip:Train_AFEW/Happy/000000003.avi: .*damaged' err
check "damaged archive entry: clips before it are done" [ "$(rows dzout/manifest.tsv)" -ge 2 ]

mkdir -p emptydir
: >empty.zip
"$PRE" -o eout emptydir >/dev/null 2>err
rc=$?
check "empty folder: exit 1 (got $rc), one message" [ $rc -eq 1 -a "$(grep -c 'emptydir: ' err)" = 1 ]
"$PRE" -o eout empty.zip >/dev/null 2>err
rc=$?
check "empty file: exit 1 (got $rc), one message" [ $rc -eq 1 -a "$(grep -c 'empty.zip: ' err)" = 1 ]
"$PRE" -o eout missing.zip >/dev/null 2>err
rc=$?
check "missing input: exit 1 (got $rc)" [ $rc -eq 1 ] && grep -q 'missing.zip: ' err
"$PRE" -o eout src/Train_AFEW/Angry/000000001.avi >/dev/null 2>err
rc=$?
check "a video as input: exit 1, not an archive" [ $rc -eq 1 ] && grep -q 'not a directory or an archive' err
"$PRE" -q -l rml -o wout Train_AFEW.zip >/dev/null 2>err
rc=$?
sed 's/^/# /' err
check "wrong layout: exit 1 (got $rc), one message suggesting -l afew" \
	[ $rc -eq 1 -a "$(grep -c . err)" = 1 ] && grep -q 'Train_AFEW.zip: .*no file fits layout rml.*try -l afew' err
"$PRE" -l afew -o wout rml >/dev/null 2>err
check "afew layout on the RML tree: no file fits" grep -q 'no file fits layout afew' err
"$PRE" -l list -o wout rml >/dev/null 2>err
check "list layout on a folder: says so" grep -q 'rml: .*-l list takes a TSV' err

echo "1..$n"
exit 0
