# What every test shares: the C harness (main, TAP output, temp dirs), the
# shell TAP helpers, the fuzz machinery and its corpus replay; and the tests
# of the whole: manual pages, end to end.  Each area's tests live in
# tests/AREA/local.mk.
ARPG_TEST_SOURCES = tests/harness.c tests/harness.h
ARPG_TEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests

# Fuzz harnesses: one per parser of outside data, each with a seed corpus in
# tests/fuzz/corpus/NAME/.  Normally linked with replay.c (make check runs
# the corpus through them); with --enable-fuzz (clang) with libFuzzer, for
# .ci/run's bounded fuzzing.  Other fragments add their harnesses to FUZZERS
# with the same three lines.
if FUZZ
FUZZ_MAIN =
else
FUZZ_MAIN = tests/fuzz/replay.c
endif
FUZZERS =
EXTRA_DIST += tests/fuzz/replay.c tests/fuzz/corpus
fuzzers: $(FUZZERS)
.PHONY: fuzzers
# check_PROGRAMS takes FUZZERS last, after every fragment has added its own.

# make check replays every harness's seed corpus.
TESTS += tests/fuzz_replay.sh
dist_check_SCRIPTS += tests/fuzz_replay.sh
EXTRA_DIST += tests/tap.sh tests/tap.py

# The include rules of the tree (HACKING), so that a wrong include fails.
TESTS += tests/layout.sh
dist_check_SCRIPTS += tests/layout.sh

# Manual pages lint-clean and complete against each program's --help.
TESTS += tests/man.sh
dist_check_SCRIPTS += tests/man.sh

# End to end (tests/e2e.sh): the small demo data from tools/make_demo_data.py
# through arpg-preprocess | arpg-features | arpg-train, the RML layout with
# --folds, and two shards merged; needs Debian's python3-opencv.
# tests/frames_eyes.py measures the alignment (also for preprocess/detector.sh).
TESTS += tests/e2e.sh
dist_check_SCRIPTS += tests/e2e.sh
EXTRA_DIST += tools/make_demo_data.py tools/demo.sh tests/frames_eyes.py
