# shellcheck shell=sh
# study_lib.sh - what tools/study.sh and tools/tune_study.sh share; sourced
# once they have set out (their output directory), py (Debian's python3)
# and here (the tools directory).

# study_setup NAME PROGRAM...: the programs from the build directory when
# run there, else from PATH; each PROGRAM must be found; starts the clock
# that stamp reports.
study_setup() {
	study_name=$1
	shift
	for d in preprocess features train; do
		if [ -x "$PWD/$d/arpg-$d" ]; then PATH="$PWD/$d:$PATH"; fi
	done
	export PATH
	for p in "$@"; do
		command -v "$p" >/dev/null ||
			{ echo "$study_name: $p not found: build first, or put it in PATH" >&2; exit 1; }
	done
	study_start=$(date +%s)
	mkdir -p "$out"
}

# stamp MESSAGE: a progress line on stderr with the seconds so far
stamp() { echo "$study_name: [$(( $(date +%s) - study_start )) s] $*" >&2; }

# study_faces [ARPG-PREPROCESS OPTION...]: sets faces to $FACES when given,
# else to $out/faces, made once from the demo data (make_demo_data.py
# $DATA_FLAGS, default --subjects-apart) with those options.
study_faces() {
	faces=${FACES:-}
	[ -z "$faces" ] || return 0
	faces=$out/faces
	[ ! -f "$faces/manifest.tsv" ] || return 0
	stamp "generating the demo clips and their faces ($faces)"
	# shellcheck disable=SC2086
	"$py" "$here/make_demo_data.py" -q -o "$out/data" --seed 1 ${DATA_FLAGS:---subjects-apart}
	arpg-preprocess -q -l afew "$@" -o "$faces" "$out/data/Train_AFEW.zip" \
		"$out/data/Val_AFEW.zip" >/dev/null
}
