#!/bin/sh
# arpg-preprocess against a hostile user (issue 15): reruns into one -o after
# the input changed, colliding ids, incremental runs, -o inside the input,
# link loops and links out of the input, link entries in archives, names
# with control characters, commas and newlines, unlabelled clips through
# arpg-features, and the messages that once said too little.  TAP output.
: "${top_builddir:=.}"
PRE=${PRE:-arpg-preprocess}
FEAT=${FEAT:-arpg-features}
TRAIN=${TRAIN:-arpg-train}
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

if ! command -v ffmpeg >/dev/null 2>&1; then
	echo "1..0 # SKIP ffmpeg is not installed"
	exit 0
fi
if ! "$PRE" --version >/dev/null 2>&1; then
	echo "Bail out! $PRE cannot run"
	exit 1
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/test_reruns.XXXXXX") || exit 1
trap 'if [ $fails -eq 0 ]; then rm -rf "$T"; else echo "# kept $T"; fi' EXIT
cd "$T" || exit 1

# mk FILE SOURCE SECONDS: a small MPEG-4 clip
mk() { ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i "$2" -t "$3" -c:v mpeg4 "$1"; }
pre() { "$PRE" --no-align -j 2 "$@"; }
rows() { tail -n +2 "$1" | grep -c .; }
ids() { tail -n +2 "$1" | cut -f1; }
frames_of() { awk -F'\t' -v id="$2" '$1 == id { print $5 }' "$1"; }
show() { sed 's/^/# /' "$1"; }

mkdir -p d/Train/Angry d/Train/happiness d/Val/Sad
mk d/Train/Angry/a.avi testsrc=size=64x48:rate=25 0.2
mk d/Train/happiness/b.avi testsrc2=size=64x48:rate=25 0.2
mk d/Val/Sad/c.avi mandelbrot=size=64x48:rate=25 0.2

# --- one clip id means one clip ---
pre -l afew -o out d/Train >/dev/null 2>err
check "first run: exit 0, two clips" [ $? = 0 ] && [ "$(rows out/manifest.tsv)" = 2 ]
check "-l afew makes 'happiness' canonical (Happy)" \
	grep -q "^train_Happy_b	train	Happy	" out/manifest.tsv
check "each clip folder records its origin" \
	grep -q "^entry	Angry/a.avi$" out/train_Angry_a/origin.tsv
cp out/manifest.tsv m1
pre -l afew -o out d/Train >/dev/null 2>err
check "unchanged rerun: skipped, same manifest" [ $? = 0 ] && cmp -s m1 out/manifest.tsv &&
	grep -q "0 clips done, 2 skipped" err

rm d/Train/Angry/a.avi
mk d/Train/Angry/a.mkv testsrc=size=64x48:rate=25 0.4
pre -l afew -o out d/Train >/dev/null 2>err
st=$?
show err
check "a new file with an old clip's id is redone, not skipped as done" [ $st = 0 ] &&
	grep -q "a.mkv: gives clip id train_Angry_a, made before from Angry/a.avi: redone" err &&
	[ "$(frames_of out/manifest.tsv train_Angry_a)" = 10 ]
check "the manifest lists each clip once" [ "$(ids out/manifest.tsv | sort | uniq -d)" = "" ]

touch -d '2020-01-01' d/Train/Angry/a.mkv
pre -l afew -o out d/Train >/dev/null 2>err
check "a file whose time changed is redone" grep -q "a.mkv: changed .*redone" err

mk d/Train/Angry/a.avi testsrc=size=64x48:rate=25 0.2
pre -l afew -o out d/Train >/dev/null 2>err
st=$?
show err
check "a.avi and a.mkv in one run: both kept, the collision said" [ $st = 0 ] &&
	grep -q "a.mkv: gives clip id train_Angry_a, as .*a.avi does: named train_Angry_a~2" err &&
	[ "$(rows out/manifest.tsv)" = 3 ] && [ "$(ids out/manifest.tsv | sort | uniq -d)" = "" ]

pre -l afew -o out d/Val >val.tsv 2>err
check "incremental run (Train, then Val): the manifest merges both" [ $? = 0 ] &&
	[ "$(rows out/manifest.tsv)" = 4 ] && grep -q "^val_Sad_c	" out/manifest.tsv &&
	grep -q "^train_Happy_b	" out/manifest.tsv
check "incremental run: standard output lists this run's clips" [ "$(rows val.tsv)" = 1 ]

mkdir -p d2/Train/Angry
mk d2/Train/Angry/a.avi testsrc=size=64x48:rate=25 0.6
cp out/manifest.tsv m2
pre -l afew -o out d2/Train >/dev/null 2>err
st=$?
show err
check "another input's file with a taken id is refused, exit 1" [ $st = 1 ] &&
	grep -q "d2/Train/Angry/a.avi: .*gives clip id train_Angry_a, which .* holds" err &&
	cmp -s m2 out/manifest.tsv

pre -l afew -o out --size 64 d/Val >/dev/null 2>err
st=$?
show err
check "other settings into the same -o: refused up front, nothing changed" [ $st = 1 ] &&
	grep -q "made with other settings" err && cmp -s m2 out/manifest.tsv &&
	[ "$(grep -c . err)" = 1 ]

mkdir -p foreign
printf 'my notes\n' >foreign/manifest.tsv
pre -l afew -o foreign d/Val >/dev/null 2>err
st=$?
check "a manifest.tsv arpg did not write is not replaced" [ $st = 1 ] &&
	grep -q "not a manifest arpg-preprocess wrote" err &&
	[ "$(cat foreign/manifest.tsv)" = "my notes" ] && [ ! -d foreign/val_Sad_c ]

: >afile
pre -l afew -o afile d/Train >/dev/null 2>err
st=$?
check "-o naming a file: one error, up front" [ $st = 1 ] && [ "$(grep -c . err)" = 1 ] &&
	grep -q "afile: .*not a folder" err

if command -v flock >/dev/null 2>&1; then
	flock out/arpg.lock sleep 3 &
	holder=$!
	sleep 0.5
	pre -l afew -o out d/Val >/dev/null 2>err
	st=$?
	wait $holder
	check "a second writer on one -o is refused, and says so" [ $st = 1 ] &&
		grep -q "out: in use by another writer" err && cmp -s m2 out/manifest.tsv
else
	ok "# SKIP flock(1) is not installed"
fi

# --- -o inside the input, links ---
mkdir -p l/Angry l/Sad ext
cp d/Val/Sad/c.avi l/Angry/x.avi
cp d/Val/Sad/c.avi ext/y.avi
pre -o l/out l >/dev/null 2>err && pre -o l/out l >/dev/null 2>err
st=$?
check "-o inside the input: a second run does not take its crops as clips" [ $st = 0 ] &&
	[ "$(rows l/out/manifest.tsv)" = 1 ] && grep -q "l/out: the output folder" err
pre -o l/outb l >/dev/null 2>err
check "nor those of another output folder inside the input" [ $? = 0 ] &&
	[ "$(rows l/outb/manifest.tsv)" = 1 ] && grep -q "l/out: an output folder of arpg" err
ln -s .. l/Angry/loop
ln -s ../Angry l/Sad/again
pre -o l/out2 l >/dev/null 2>err
st=$?
show err
check "a link loop and a second way to a folder invent no clips or classes" [ $st = 0 ] &&
	[ "$(ids l/out2/manifest.tsv)" = train_Angry_x ] &&
	grep -q "l/Angry/loop: the same folder as l " err &&
	grep -q "l/Sad/again: the same folder as l/Angry " err
ln -s ../../ext/y.avi l/Sad/y.avi
pre -o l/out3 l >/dev/null 2>err
check "a link out of the input is followed and said" [ $? = 0 ] &&
	grep -q "^train_Sad_y	" l/out3/manifest.tsv && grep -q "1 symbolic link leads out" err

if command -v tar >/dev/null 2>&1 && ln d/Val/Sad/c.avi d/Val/Sad/h.avi 2>/dev/null; then
	(cd d && tar cf ../val.tar Val)
	pre -l afew -o tarout val.tar >/dev/null 2>err
	st=$?
	show err
	check "a hard link entry in a tar is reported, not dropped; its target is made" \
		[ $st = 1 ] && grep -q "val.tar:Val/Sad/[ch].avi: .*hard link to Val/Sad/" err &&
		[ "$(rows tarout/manifest.tsv)" = 1 ]
	rm -f d/Val/Sad/h.avi
else
	ok "# SKIP no tar or no hard links here"
fi

# --- names from outside ---
mkdir -p names/Train/'Ha,ppy' names/Train/Sad
cp d/Val/Sad/c.avi names/Train/'Ha,ppy'/e.avi
cp d/Val/Sad/c.avi names/Train/Sad/f.avi
pre -o nout names >/dev/null 2>err
st=$?
check "a label with a comma is reported where it enters; the others go on" [ $st = 1 ] &&
	grep -q "Ha,ppy/e.avi: .*a label cannot hold ','" err && [ "$(rows nout/manifest.tsv)" = 1 ]

"$PY" - <<'PYEOF'
import io, tarfile
data = open("d/Val/Sad/c.avi", "rb").read()
with tarfile.open("Train_nl.tar", "w") as t:
    for name in ("Train/Sad/evil\narpg-preprocess: forged line.avi", "Train/Sad/bell\a.txt"):
        i = tarfile.TarInfo(name)
        i.size = 5
        t.addfile(i, io.BytesIO(b"notav"))
PYEOF
pre -o nlout Train_nl.tar >/dev/null 2>err
check "a newline in an archive entry name forges no line" \
	[ "$(grep -c '^arpg-preprocess: forged line' err)" = 0 ] &&
	grep -q 'evil\\narpg-preprocess: forged line.avi' err && grep -q 'bell\\x07' err

printf '%s\n' "clip_id	split	label	subject	frames	faces	path" \
	"x	train	Sa\\td		1	1	$T/nout/train_Sad_f" >tabs.tsv
"$FEAT" -b hog -o tabcache tabs.tsv >/dev/null 2>err
check "arpg-features refuses a label with a tab, naming the line" [ $? = 1 ] &&
	grep -q "line 2: a label cannot hold a control character" err

# --- unlabelled clips (AFEW's Test layout) ---
mkdir -p Test_AFEW
cp d/Val/Sad/c.avi Test_AFEW/000000009.avi
pre -l afew -o tout Test_AFEW >/dev/null 2>err &&
	"$FEAT" -b hog -o tcache tout/manifest.tsv 2>err >/dev/null
st=$?
show err
check "unlabelled clips pass preprocess and features (empty label)" [ $st = 0 ] &&
	grep -q "^test__000000009	test		" tout/manifest.tsv &&
	"$FEAT" verify tcache >/dev/null && "$FEAT" info tcache | grep -q "^label	(none)	1"

# --- messages that said too little ---
pre -o vout d/Val/Sad/c.avi >/dev/null 2>err
check "a plain video given as an input says so" [ $? = 1 ] &&
	grep -q "c.avi: .*a video, not a folder or an archive" err
"$PRE" --cascade "$T/none.xml" -o mout d/Train >/dev/null 2>err
check "a missing model file is 'not found', not input/output" [ $? = 1 ] &&
	grep -q "not found" err && ! grep -q "input/output" err
"$FEAT" -b "$T/none.onnx" -o ocache tout/manifest.tsv >/dev/null 2>err
check "arpg-features: a missing ONNX model is 'not found'" [ $? = 1 ] &&
	grep -q "none.onnx: not found" err && ! grep -q "input/output" err
ln -s "$T/no/such/folder" dangling
pre -o dangling d/Train >/dev/null 2>err
check "-o a dangling symbolic link: one message that says so, no 'input/output'" \
	[ $? = 1 ] && [ "$(grep -c . err)" = 1 ] &&
	grep -q "dangling: .*symbolic link to a folder that does not exist" err &&
	! grep -q "input/output" err
"$FEAT" -b hog -o mcache missing.tsv >/dev/null 2>err
check "arpg-features: a missing manifest is named, not the cache, and no summary" \
	[ $? = 1 ] && [ "$(grep -c . err)" = 1 ] &&
	grep -q "missing.tsv: not found: cannot read the manifest" err && [ ! -e mcache ]
# a full disk: a small tmpfs in a user namespace, where the system allows one
mkdir -p full
if unshare -rm sh -c "mount -t tmpfs -o size=48k tmpfs '$T/full'" 2>/dev/null; then
	unshare -rm sh -c "mount -t tmpfs -o size=48k tmpfs '$T/full' &&
		'$PRE' --no-align -j 1 -l afew -o '$T/full/out' '$T/d/Train' '$T/d/Val'" \
		>/dev/null 2>err
	st=$?
	show err
	check "a full disk says 'no space left' and stops the run once" [ $st = 1 ] &&
		grep -q "no space left" err && ! grep -q "input/output" err &&
		[ "$(grep -c 'the run stops' err)" = 1 ]
else
	ok "# SKIP no tmpfs in a user namespace here (unshare -rm)"
fi
if "$TRAIN" --version >/dev/null 2>&1; then
	"$TRAIN" tcache --dim 100000 >/dev/null 2>err
	check "arpg-train --dim 100000 names the limit" [ $? = 2 ] && grep -q "1 to 65536" err
fi

echo "1..$n"
[ $fails = 0 ]
