#!/bin/sh
# arpg-train --load MODEL --export-onnx FILE: the graph runs on
# onnxruntime-node (tests/train/head_ort.js) and on arpg's own engine
# (common/onnx, run by export_cases) to the C model's logits within 1e-4
# for models of many configurations with random parameters
# (export_cases); on onnxruntime-node to --predict's probabilities within
# 1e-4 for models arpg-train trained (the clips as arpg-features dump
# --npy writes them); and bad input.  The onnxruntime comparisons are
# skipped, and said so, without node or onnxruntime-node (in $ORT_DIR,
# default /tmp/ortbench; .ci/run installs it).
. "${top_srcdir:-.}/tests/tap.sh"
MC="${top_builddir:-.}/tests/train/make_cache"
EC="${top_builddir:-.}/tests/train/export_cases"
JS="$(cd "${top_srcdir:-.}/tests/train" && pwd)/head_ort.js"
ORT_DIR=${ORT_DIR:-/tmp/ortbench}
export ORT_DIR
work=$(mktemp -d "${TMPDIR:-/tmp}/arpg-export-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
plan 44

no_ort=
command -v node >/dev/null || no_ort="node is not installed"
[ -n "$no_ort" ] || [ -d "$ORT_DIR/node_modules/onnxruntime-node" ] ||
	no_ort="onnxruntime-node is not installed in $ORT_DIR"
skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $1 # SKIP $no_ort"; }

# maxdiff A COL_A B COL_B N: the largest |a - b| over N tab-separated
# columns from COL_A of file A and COL_B of file B, line by line; fails
# when the files' lines are not as many, or there are none
maxdiff() {
	awk -F'\t' -v fa="$2" -v fb="$4" -v n="$5" '
		NR == FNR { for (j = 0; j < n; j++) a[FNR, j] = $(fa + j); na = FNR; next }
		{ nb = FNR
		  for (j = 0; j < n; j++) { d = a[FNR, j] - $(fb + j); if (d < 0) d = -d; if (d > m) m = d } }
		END { if (na != nb || !na) { print "unpaired lines"; exit 1 }
		      printf "%.3g\n", m }' "$1" "$3"
}
# why STATUS FILE: on failure, ": " and the start of FILE, for the message
why() { [ "$1" = 0 ] || { printf ': '; head -c 300 "$2" | tr '\n' ' '; }; }
within() { awk -v d="$1" 'BEGIN { exit !(d + 0 <= 1e-4 && d != "") }'; }

# models of every kind with random parameters: the C model's logits
"$EC" cases >cases.list 2>ec.err
s=$?
ok $s "export_cases writes $(wc -l <cases.list) models$(why $s ec.err)"
for c in default app rel concat trs_all trs0 adj8 sym_only deep no_layers grid1; do
	d=$(maxdiff "cases/$c.engine" 1 "cases/$c.ref" 1 "$(head -n 1 "cases/$c.ref" | awk -F'\t' '{ print NF }')")
	within "$d"
	s=$?
	ok $s "$c: arpg's engine runs the export to the C model's logits within 1e-4 (max difference $d)$(why $s ec.err)"
	if [ -n "$no_ort" ]; then
		skip "$c: onnxruntime's logits as the C model's"
		continue
	fi
	node "$JS" "cases/$c.onnx" 0 "cases/$c/0" "cases/$c/1" "cases/$c/2" >"$c.ort" 2>"$c.err"
	d=$(maxdiff "$c.ort" 1 "cases/$c.ref" 1 "$(head -n 1 "cases/$c.ref" | awk -F'\t' '{ print NF }')")
	within "$d"
	s=$?
	ok $s "$c: onnxruntime's logits within 1e-4 of the C model's (max difference $d)$(why $s "$c.err")"
done

# models arpg-train trained, against --predict
"$MC" c --clips 12 --val 4 --classes 3 --frames 6 --grid 3 --app-dim 10 --patch-dim 8 \
	--seed 4 >/dev/null
"$MC" cg --clips 12 --val 4 --classes 4 --frames 5 --grid 2,3 --app-dim 6 --patch-dim 5 \
	--seed 6 >/dev/null
# trained NAME CACHE NODE_OFFSET OPTIONS...: trains, exports, predicts, and
# compares onnxruntime's probabilities with --predict's
trained() {
	name=$1 cache=$2 off=$3
	shift 3
	arpg-train "$cache" -q --epochs 2 --dim 16 --heads 4 --save "$name.arpg" "$@" >/dev/null &&
		arpg-train --load "$name.arpg" --export-onnx "$name.onnx" 2>"$name.err" &&
		test -s "$name.onnx" && ! test -s "$name.err"
	s=$?
	ok $s "$name: trained with '$*', exported quietly$(why $s "$name.err")"
	if [ -n "$no_ort" ]; then
		skip "$name: onnxruntime's probabilities as --predict's"
		return
	fi
	arpg-train "$cache" -q --load "$name.arpg" --predict | tail -n +2 >"$name.tsv"
	mkdir -p "$name.clips"
	cut -f1 "$name.tsv" | while read -r id; do
		arpg-features dump "$cache" "$id" --npy "$name.clips/$id" >/dev/null || echo "$id" >>"$name.bad"
	done
	C=$(head -n 1 "$name.tsv" | awk -F'\t' '{ print NF - 4 }')
	node "$JS" "$name.onnx" "$off" $(cut -f1 "$name.tsv" | sed "s|^|$name.clips/|") \
		>"$name.ort" 2>"$name.err"
	d=$(maxdiff "$name.ort" $((C + 1)) "$name.tsv" 5 "$C")
	within "$d" && ! test -e "$name.bad"
	s=$?
	ok $s "$name: onnxruntime's probabilities within 1e-4 of --predict's over $(wc -l <"$name.tsv") clips (max difference $d)$(why $s "$name.err")"
}
trained default c 0
trained app c 0 --modality app
trained rel c 0 --modality rel
trained concat c 0 --fusion concat
trained trs_all c 0 --trs all
trained adj8 c 0 --edges self,adj8 --rel-layers 1 --fusion-layers 2
# the second grid of the cache: its nodes follow the first grid's 4
trained grid3 cg 4 --grid 3

# bad input
arpg-train --export-onnx x.onnx >/dev/null 2>err
test $? = 2 && grep -q -- '--export-onnx needs --load MODEL' err && ! test -e x.onnx
ok $? "--export-onnx without --load is a usage error"
arpg-train c --load default.arpg --export-onnx x.onnx >/dev/null 2>err
test $? = 2 && grep -q -- "--export-onnx reads no CACHE; 'c' is extra" err && ! test -e x.onnx
ok $? "--export-onnx with a CACHE is a usage error"
arpg-train --load default.arpg --export-onnx /nonexistent/dir/x.onnx >/dev/null 2>err
test $? = 1 && grep -q '^arpg-train: /nonexistent/dir/x.onnx: cannot write it: No such file or directory' err
ok $? "an unwritable path is reported (exit 1)"
cp default.onnx kept.onnx
arpg-train --load c/data.mdb --export-onnx kept.onnx >/dev/null 2>err; s1=$?
arpg-train --load default.onnx --export-onnx kept.onnx >/dev/null 2>err2; s2=$?
test $s1 = 1 && test $s2 = 1 && grep -q 'c/data.mdb: .*not an arpg-train model' err &&
	grep -q 'default.onnx: .*not an arpg-train model' err2 && cmp -s default.onnx kept.onnx
ok $? "files of another kind (an LMDB file, an ONNX model) are refused; the output is kept"
head -c 700 default.arpg >cut.arpg
arpg-train --load cut.arpg --export-onnx x.onnx >/dev/null 2>err; s1=$?
arpg-train --load missing.arpg --export-onnx x.onnx >/dev/null 2>err2; s2=$?
test $s1 = 1 && grep -q 'damaged or truncated' err && test $s2 = 1 &&
	grep -q 'missing.arpg: cannot read it: No such file or directory' err2 && ! test -e x.onnx
ok $? "a truncated or missing model is reported"
cp default.arpg self.arpg
arpg-train --load self.arpg --export-onnx ./self.arpg >/dev/null 2>err
test $? = 1 && grep -q 'self.arpg: that is the model file itself' err && cmp -s default.arpg self.arpg
ok $? "the model file itself is not overwritten"
arpg-train --load default.arpg --export-onnx v.onnx -v 2>err && grep -q 'wrote v.onnx (ONNX opset 17) from default.arpg' err
ok $? "-v says what was written"
