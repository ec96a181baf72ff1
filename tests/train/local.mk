# Tests of arpg-train: layers against finite differences, the network
# against the PyTorch golden file, and the program.
check_PROGRAMS += tests/train/test_layers tests/train/test_model
TESTS += tests/train/test_layers tests/train/test_model
EXTRA_DIST += tests/train/golden/make_train_golden.py tests/train/golden/train.golden
TRAIN_TEST_LIBS = $(top_builddir)/train/libmodel.la $(ARPG_LIB) $(BLIS_LIBS) -lm

tests_train_test_layers_SOURCES = tests/train/test_layers.c $(ARPG_TEST_SOURCES)
tests_train_test_layers_CPPFLAGS = $(ARPG_TEST_CPPFLAGS) -I$(top_srcdir)/train
tests_train_test_layers_CFLAGS = $(AM_CFLAGS) $(BLIS_CFLAGS)
tests_train_test_layers_LDADD = $(TRAIN_TEST_LIBS)
tests_train_test_model_SOURCES = tests/train/test_model.c $(ARPG_TEST_SOURCES)
tests_train_test_model_CPPFLAGS = $(ARPG_TEST_CPPFLAGS) -I$(top_srcdir)/train
tests_train_test_model_LDADD = $(TRAIN_TEST_LIBS)

# make_cache: synthetic caches with a class signal, for the trainer's tests
# and bench/train.
check_PROGRAMS += tests/train/make_cache
tests_train_make_cache_SOURCES = tests/train/make_cache.c
tests_train_make_cache_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/train
tests_train_make_cache_LDADD = $(TRAIN_TEST_LIBS) $(LMDB_LIBS)

# arpg-train as a user runs it (needs make_cache).
TESTS += tests/train/train.sh
dist_check_SCRIPTS += tests/train/train.sh

# The model file parser survives fuzzing (seed: a tiny saved model).
FUZZERS += tests/fuzz/fuzz_checkpoint
tests_fuzz_fuzz_checkpoint_SOURCES = tests/fuzz/fuzz_checkpoint.c train/checkpoint.c $(FUZZ_MAIN)
tests_fuzz_fuzz_checkpoint_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/train
tests_fuzz_fuzz_checkpoint_LDADD = $(top_builddir)/train/libmodel.la $(ARPG_LIB) $(BLIS_LIBS) \
	$(MD_LIBS) -lm
tests_fuzz_fuzz_checkpoint_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)
