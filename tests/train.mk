# Tests of arpg-train: layers against finite differences, the network
# against the PyTorch golden file, and the program.
check_PROGRAMS += tests/test_layers tests/test_model
TESTS += tests/test_layers tests/test_model
EXTRA_DIST += tests/golden/make_train_golden.py tests/golden/train.golden
TRAIN_TEST_LIBS = $(top_builddir)/train/libmodel.la $(ARPG_LIB) $(BLIS_LIBS) -lm

tests_test_layers_SOURCES = tests/test_layers.c $(ARPG_TEST_SOURCES)
tests_test_layers_CPPFLAGS = $(ARPG_TEST_CPPFLAGS) -I$(top_srcdir)/train
tests_test_layers_CFLAGS = $(AM_CFLAGS) $(BLIS_CFLAGS)
tests_test_layers_LDADD = $(TRAIN_TEST_LIBS)
tests_test_model_SOURCES = tests/test_model.c $(ARPG_TEST_SOURCES)
tests_test_model_CPPFLAGS = $(ARPG_TEST_CPPFLAGS) -I$(top_srcdir)/train
tests_test_model_LDADD = $(TRAIN_TEST_LIBS)

# make_cache: synthetic caches with a class signal, for the trainer's tests
# and bench/train.
check_PROGRAMS += tests/make_cache
tests_make_cache_SOURCES = tests/make_cache.c
tests_make_cache_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/train
tests_make_cache_LDADD = $(TRAIN_TEST_LIBS) $(LMDB_LIBS)

# arpg-train as a user runs it (needs make_cache).
TESTS += tests/train.sh
dist_check_SCRIPTS += tests/train.sh
EXTRA_DIST += tests/tap.sh

# The model file parser survives fuzzing (seed: a tiny saved model).
FUZZERS += tests/fuzz/fuzz_checkpoint
tests_fuzz_fuzz_checkpoint_SOURCES = tests/fuzz/fuzz_checkpoint.c train/checkpoint.c $(FUZZ_MAIN)
tests_fuzz_fuzz_checkpoint_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/train
tests_fuzz_fuzz_checkpoint_LDADD = $(ARPG_LIB) $(MD_LIBS)
tests_fuzz_fuzz_checkpoint_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)

# arpg-report on arpg-train's output and arpg-preprocess --sheet (needs make_cache).
TESTS += tests/report.sh
dist_check_SCRIPTS += tests/report.sh

# End to end (tests/e2e.sh): the small demo data from tools/make_demo_data.py
# through arpg-preprocess | arpg-features | arpg-train, the RML layout with
# --folds, and two shards merged; needs Debian's python3-opencv.
TESTS += tests/e2e.sh
dist_check_SCRIPTS += tests/e2e.sh
EXTRA_DIST += tools/make_demo_data.py tools/demo.sh
