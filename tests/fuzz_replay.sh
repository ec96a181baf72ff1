#!/bin/sh
# Replays every fuzz corpus (tests/fuzz/corpus/NAME) through its harness
# (tests/fuzz/fuzz_NAME): each must run every input without a crash or a
# sanitizer report.
dirs=$(ls -d "$top_srcdir"/tests/fuzz/corpus/*/ 2>/dev/null)
n=$(printf '%s\n' $dirs | grep -c .)
echo "1..$n"
i=0
for d in $dirs; do
	i=$((i + 1))
	name=$(basename "$d")
	h="$top_builddir/tests/fuzz/fuzz_$name"
	if [ ! -x "$h" ]; then
		echo "not ok $i - $name: harness $h was not built"
		continue
	fi
	if out=$("$h" "$d" 2>&1); then
		echo "ok $i - $name: $(printf '%s\n' "$out" | tail -n 1)"
	else
		printf '%s\n' "$out" | tail -n 20 | sed 's/^/# /'
		echo "not ok $i - $name"
	fi
done
