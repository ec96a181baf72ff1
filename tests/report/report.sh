#!/bin/sh
# arpg-report over real arpg-train output (a run, a sweep, folds) and
# arpg-preprocess --sheet over tiny ffmpeg clips: the PNGs are written, decode
# (signature, chunk CRCs, zlib data of the right length, unfiltered) and are
# not blank; bad input says why and exits 1.
. "${top_srcdir:-.}/tests/tap.sh"
MC="${top_builddir:-.}/tests/train/make_cache"
PATH="${top_builddir:-.}/report:${top_builddir:-.}/preprocess:${top_builddir:-.}/train:$PATH"
PY="${PYTHON3:-python3}"
command -v "$PY" >/dev/null 2>&1 || skip_all "python3 is not installed (the PNG check needs it)"
work=$(mktemp -d "${TMPDIR:-/tmp}/arpg-report-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
plan 21
# fontconfig (under cairo) keeps its caches to the end: not ours to free
printf 'leak:libfontconfig.so\n' >lsan.supp
LSAN_OPTIONS="suppressions=$work/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS

# pngcheck FILE W H: a valid PNG of W x H (0: any) with content: at least 16
# colours and at least 3% of the pixels not the background colour.
cat >pngcheck.py <<'EOF'
import struct, sys, zlib
path, want_w, want_h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
b = open(path, 'rb').read()
assert b[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG signature'
pos, idat, ihdr = 8, b'', None
while pos < len(b):
    n, kind = struct.unpack('>I4s', b[pos:pos + 8])
    data = b[pos + 8:pos + 8 + n]
    crc, = struct.unpack('>I', b[pos + 8 + n:pos + 12 + n])
    assert zlib.crc32(kind + data) == crc, 'bad CRC in ' + kind.decode()
    if kind == b'IHDR':
        ihdr = struct.unpack('>IIBBBBB', data)
    elif kind == b'IDAT':
        idat += data
    pos += 12 + n
    if kind == b'IEND':
        break
w, h, depth, ctype, _, _, interlace = ihdr
assert depth == 8 and ctype in (2, 6) and interlace == 0, 'unexpected format %s' % (ihdr,)
assert (want_w == 0 or w == want_w) and (want_h == 0 or h == want_h), 'size %dx%d' % (w, h)
bpp = 3 if ctype == 2 else 4
raw = zlib.decompress(idat)
stride = w * bpp
assert len(raw) == h * (stride + 1), 'image data of %d bytes' % len(raw)
prev = bytearray(stride)
counts = {}
for y in range(h):
    f = raw[y * (stride + 1)]
    row = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    if f == 1:
        for i in range(bpp, stride):
            row[i] = (row[i] + row[i - bpp]) & 255
    elif f == 2:
        for i in range(stride):
            row[i] = (row[i] + prev[i]) & 255
    elif f == 3:
        for i in range(stride):
            row[i] = (row[i] + ((row[i - bpp] if i >= bpp else 0) + prev[i]) // 2) & 255
    elif f == 4:
        for i in range(stride):
            a = row[i - bpp] if i >= bpp else 0
            c = prev[i - bpp] if i >= bpp else 0
            p = a + prev[i] - c
            pa, pb, pc = abs(p - a), abs(p - prev[i]), abs(p - c)
            row[i] = (row[i] + (a if pa <= pb and pa <= pc else prev[i] if pb <= pc else c)) & 255
    else:
        assert f == 0, 'filter %d' % f
    for x in range(0, stride, bpp * 3):
        px = bytes(row[x:x + 3])
        counts[px] = counts.get(px, 0) + 1
    prev = row
total = sum(counts.values())
bg = max(counts.values())
print('%s: %dx%d, %d colours, %.1f%% not background' %
      (path, w, h, len(counts), 100.0 * (total - bg) / total))
sys.exit(0 if len(counts) >= 16 and (total - bg) >= 0.03 * total else 1)
EOF
pngcheck() { "$PY" pngcheck.py "$@" >&2; }

"$MC" c3 --clips 60 --val 30 --classes 3 --frames 8 --grid 3 --app-dim 24 --patch-dim 16 \
	--signal 0.35 --seed 5 >/dev/null
arpg-train c3 --epochs 4 --dim 16 -q >run.jsonl
arpg-report -o out run.jsonl >list 2>err
ok $? "arpg-report draws a run"
printf 'out/curves-run1.png\nout/confusion-run1.png\n' | cmp -s - list
ok $? "it lists what it wrote: curves and a confusion matrix"
pngcheck out/curves-run1.png 1500 500
ok $? "the learning curves decode and are not blank"
pngcheck out/confusion-run1.png 0 0
ok $? "the confusion matrix decodes and is not blank"
grep -q '2 figures in out' err
ok $? "a note says how many figures"

arpg-train c3 --epochs 3 --dim 16 -q --trs 1,all --fusion gat,concat --seed 1,2 >sweep.jsonl
arpg-report -q -o sweep <sweep.jsonl >list 2>err
ok $? "arpg-report draws a sweep from standard input"
test "$(wc -l <list)" = 18 && test ! -s err
ok $? "8 runs: 8 curves, 8 matrices, the overlay and the table ($(wc -l <list) files)"
pngcheck sweep/table.png 0 620
ok $? "the table's bar chart decodes and is not blank"
pngcheck sweep/curves-all.png 1500 0
ok $? "the overlaid curves decode and are not blank"

arpg-train c3 --epochs 2 --dim 16 -q --folds 3 >folds.jsonl
arpg-report -q -o folds folds.jsonl >list
ok $? "arpg-report draws a folds run"
grep -q 'folds/confusion-run1-folds.png' list && grep -q 'folds/curves-run1-fold3.png' list
ok $? "a matrix pooled over the folds and curves per fold"

echo 'epoch 1 loss 0.5' >bad.jsonl
arpg-report -o bad bad.jsonl 2>err
test $? = 1 && grep -q 'bad.jsonl: bad format: line 1: not JSON' err
ok $? "not JSON: exit 1 and the line named ($(cat err))"
: >empty.jsonl
arpg-report -o bad empty.jsonl 2>err
test $? = 1 && grep -q "no JSON lines" err
ok $? "an empty file: exit 1 and why ($(cat err))"
echo '{"epoch":1}' | arpg-report -o bad 2>err
test $? = 1 && grep -q 'none of "split", "summary", "table"' err
ok $? "JSON that is not arpg-train's: exit 1"
head -c 200 run.jsonl | arpg-report -o bad 2>err
test $? = 1 && grep -q 'line 1: not JSON' err
ok $? "a truncated line: exit 1"
arpg-report run.jsonl 2>err
test $? = 2 && grep -q -- '-o DIR is required' err
ok $? "no -o: usage error, exit 2"

# --- arpg-preprocess --sheet ---
if ! command -v ffmpeg >/dev/null 2>&1; then
	for i in 1 2 3 4 5; do
		tap_n=$((tap_n + 1))
		echo "ok $tap_n # SKIP ffmpeg is not installed (makes the clips)"
	done
	exit 0
fi
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
mkdir -p root/train/Happy root/train/Sad root/val/Happy
for c in train/Happy/a train/Happy/b train/Sad/c val/Happy/d; do
	ff -f lavfi -i testsrc=size=96x72:rate=10 -t 1 -c:v mpeg4 "root/$c.avi"
done
arpg-preprocess -q --no-align -j 2 -o pre --sheet sheet.png root >/dev/null
ok $? "arpg-preprocess --sheet runs"
pngcheck sheet.png 0 0
ok $? "the sheet decodes and is not blank"
# 2 labels: a row each under a 70-pixel header
h=$("$PY" -c 'import struct,sys; print(struct.unpack(">I", open(sys.argv[1],"rb").read()[20:24])[0])' sheet.png)
test "$h" = $((70 + 2 * (72 + 40) + 10))
ok $? "a row per label ($h pixels high)"
arpg-preprocess -q --no-align -o pre --sheet again.png root >/dev/null 2>err
cmp -s sheet.png again.png
ok $? "a rerun over the complete clips draws the same sheet"
arpg-preprocess -q --no-align -o pre --sheet /nonexistent/dir/s.png root >/dev/null 2>err
test $? = 1 && grep -q 's.png' err
ok $? "a sheet that cannot be written: exit 1 and the file named"
