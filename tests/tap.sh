# tap.sh - TAP output for shell tests: plan N, then ok STATUS "description";
# the demo data's needs and a temporary folder for tests that make it.
tap_n=0
plan() { echo "1..$1"; }
ok() {
	tap_n=$((tap_n + 1))
	if [ "$1" = 0 ]; then echo "ok $tap_n - $2"; else echo "not ok $tap_n - $2"; fi
}
skip_all() { echo "1..0 # SKIP $1"; exit 0; }
# need_demo_data: what tools/make_demo_data.py needs (a Python with cv2 and
# numpy, the faces Debian ships), or the whole test is skipped; sets py
# and gen (the script).
need_demo_data() {
	py=${PYTHON3:-/usr/bin/python3}
	gen="${top_srcdir:-.}/tools/make_demo_data.py"
	"$py" -c 'import cv2, numpy' 2>/dev/null || skip_all "no Python with cv2 and numpy ($py)"
	for f in /usr/lib/python3/dist-packages/skimage/data/astronaut.png \
		/usr/share/doc/opencv-doc/examples/data/Megamind.avi; do
		test -r "$f" || skip_all "no demo faces: $f (python3-skimage, opencv-doc)"
	done
}
# in_work_dir NAME: into a new temporary folder, removed at exit ($work).
in_work_dir() {
	work=$(mktemp -d "${TMPDIR:-/tmp}/arpg-$1.XXXXXX") || exit 1
	trap 'rm -rf "$work"' EXIT
	cd "$work" || exit 1
}
