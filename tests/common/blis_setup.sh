#!/bin/sh
# Each BLIS set-up case in a process of its own: BLIS reads its environment
# once per process.
cases="blis_default_choice blis_user_arch_type_is_kept blis_arpg_arch_by_name blis_unknown_name_is_refused"
echo "1..4"
n=0
for c in $cases; do
	n=$((n + 1))
	out=$("$top_builddir/tests/common/test_blis_setup" "$c" 2>&1)
	printf '%s\n' "$out" | grep '^#'
	if printf '%s\n' "$out" | grep -q '^ok 1'; then
		echo "ok $n - $c"
	else
		printf '%s\n' "$out" | sed 's/^/# /'
		echo "not ok $n - $c"
	fi
done
