# tap.sh - TAP output for shell tests: plan N, then ok STATUS "description".
tap_n=0
plan() { echo "1..$1"; }
ok() {
	tap_n=$((tap_n + 1))
	if [ "$1" = 0 ]; then echo "ok $tap_n - $2"; else echo "not ok $tap_n - $2"; fi
}
skip_all() { echo "1..0 # SKIP $1"; exit 0; }
