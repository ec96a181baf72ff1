#!/bin/sh
# The tree's include rules (HACKING): a program includes its own headers
# and libarpg's (common/, common/onnx/, common/face/), never another
# program's; common/ includes no program's header; no two headers share an
# include guard.
. "${top_srcdir:-.}/tests/tap.sh"
cd "${top_srcdir:-.}" || exit 1
areas="common common/onnx common/face preprocess features train predict report"
plan $(( $(echo $areas | wc -w) + 1 ))

# resolves DIR's include NAME: prints where it is, or nothing
resolve() {
	for d in "$1" common; do
		[ -f "$d/$2" ] && { echo "$d/$2"; return; }
	done
	case $2 in config.h|onnx.pb-c.h|onnx/onnx.pb-c.h) echo generated ;; esac
}
for a in $areas; do
	bad=
	for f in "$a"/*.[ch]; do
		for inc in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
			where=$(resolve "$a" "$inc")
			case $a:$inc:$where in
			*..*) bad="$bad $f:$inc" ;;
			*:*:) bad="$bad $f:$inc(not found)" ;;
			*:*:generated|*:*:common/*) ;;
			$a:*:$a/*) ;;
			*) bad="$bad $f:$inc" ;;
			esac
		done
	done
	test -z "$bad"
	ok $? "$a includes only its own and libarpg's headers${bad:+:$bad}"
done
dups=$(sed -n 's/^#ifndef \([A-Z0-9_]*_H\)$/\1/p' common/*.h common/*/*.h preprocess/*.h \
	features/*.h train/*.h predict/*.h report/*.h | sort | uniq -d)
test -z "$dups"
ok $? "every header has its own include guard${dups:+: $dups}"
