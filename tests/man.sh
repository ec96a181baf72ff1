#!/bin/sh
# Every manual page is clean under mandoc -T lint; every program answers
# --help and --version, and its page documents every long option its
# --help lists.
. "${top_srcdir:-.}/tests/tap.sh"
pages=$(ls "$top_srcdir"/man/*.[1-8])
progs="preprocess/arpg-preprocess features/arpg-features train/arpg-train predict/arpg-predict report/arpg-report"
n=0
for p in $pages; do n=$((n + 1)); done
for p in $progs; do [ -x "$top_builddir/$p" ] && n=$((n + 3)); done
if ! command -v mandoc >/dev/null; then skip_all "mandoc is not installed"; fi
plan $n
for p in $pages; do
	out=$(mandoc -T lint -W warning "$p" 2>&1)
	ok $? "$(basename "$p") is clean under mandoc -T lint${out:+: $out}"
done
for p in $progs; do
	bin=$top_builddir/$p
	[ -x "$bin" ] || continue
	name=$(basename "$p")
	"$bin" --version | grep -q "^$name "
	ok $? "$name --version"
	"$bin" --help >help.out 2>&1
	ok $? "$name --help exits 0"
	missing=""
	for opt in $(grep -o -- '--[a-z][a-z0-9-]*' help.out | sort -u); do
		o=${opt#--}
		# mdoc writes --opt as "Fl -opt" or "Fl \-opt"
		grep -Eq -- "Fl \\\\?-$o([^a-z0-9-]|\$)" "$top_srcdir/man/$name.1" 2>/dev/null ||
			missing="$missing $opt"
	done
	test -z "$missing"
	ok $? "$name.1 documents every option of --help${missing:+ (missing:$missing)}"
	rm -f help.out
done
