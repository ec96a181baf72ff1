# Tests of arpg-train: layers against finite differences, the network
# against the PyTorch golden file, and the program.
check_PROGRAMS += tests/train/test_layers tests/train/test_model tests/train/test_tune
TESTS += tests/train/test_layers tests/train/test_model tests/train/test_tune
EXTRA_DIST += tests/train/golden/make_train_golden.py tests/train/golden/train.golden \
	tests/train/golden/perframe.golden tests/train/golden/make_tune_golden.py \
	tests/train/golden/tune.golden
# the PyTorch reference files of tests/train/golden/
GOLDEN_SOURCES = tests/train/golden.c tests/train/golden.h
TRAIN_TEST_LIBS = $(top_builddir)/train/libmodel.la $(ARPG_ONNX_LIB) $(ARPG_LIB) $(BLIS_LIBS) -lm

tests_train_test_layers_SOURCES = tests/train/test_layers.c $(ARPG_TEST_SOURCES)
tests_train_test_layers_CPPFLAGS = $(ARPG_TEST_CPPFLAGS) -I$(top_srcdir)/train
tests_train_test_layers_CFLAGS = $(AM_CFLAGS) $(BLIS_CFLAGS)
tests_train_test_layers_LDADD = $(TRAIN_TEST_LIBS)
tests_train_test_tune_SOURCES = tests/train/test_tune.c $(GOLDEN_SOURCES) $(ARPG_TEST_SOURCES)
tests_train_test_tune_CPPFLAGS = $(ARPG_TEST_CPPFLAGS) -I$(top_srcdir)/train
tests_train_test_tune_LDADD = $(TRAIN_TEST_LIBS)
tests_train_test_model_SOURCES = tests/train/test_model.c $(GOLDEN_SOURCES) $(ARPG_TEST_SOURCES)
tests_train_test_model_CPPFLAGS = $(ARPG_TEST_CPPFLAGS) -I$(top_srcdir)/train
tests_train_test_model_LDADD = $(TRAIN_TEST_LIBS)

# One test per module of the program: data loading and frame sampling,
# metrics, checkpoints, the sweep, and the experiment's folds and splits.
TRAIN_MODULE_TESTS = tests/train/test_data tests/train/test_metrics tests/train/test_checkpoint \
	tests/train/test_sweep tests/train/test_experiment tests/train/test_frames \
	tests/train/test_tune_onnx tests/train/test_checkpoint_tuned
check_PROGRAMS += $(TRAIN_MODULE_TESTS)
TESTS += $(TRAIN_MODULE_TESTS)
TRAIN_MODULE_LIBS = $(top_builddir)/train/libtrain.la $(TRAIN_TEST_LIBS) $(ARPG_ONNX_LIB) \
	$(LMDB_LIBS) $(MD_LIBS)
TRAIN_MODULE_CPPFLAGS = $(ARPG_TEST_CPPFLAGS) -I$(top_srcdir)/train
tests_train_test_data_SOURCES = tests/train/test_data.c $(ARPG_TEST_SOURCES)
tests_train_test_data_CPPFLAGS = $(TRAIN_MODULE_CPPFLAGS)
tests_train_test_data_LDADD = $(TRAIN_MODULE_LIBS)
tests_train_test_metrics_SOURCES = tests/train/test_metrics.c $(ARPG_TEST_SOURCES)
tests_train_test_metrics_CPPFLAGS = $(TRAIN_MODULE_CPPFLAGS)
tests_train_test_metrics_LDADD = $(TRAIN_MODULE_LIBS)
tests_train_test_checkpoint_SOURCES = tests/train/test_checkpoint.c $(ARPG_TEST_SOURCES)
tests_train_test_checkpoint_CPPFLAGS = $(TRAIN_MODULE_CPPFLAGS)
tests_train_test_checkpoint_CFLAGS = $(AM_CFLAGS) $(MD_CFLAGS)
tests_train_test_checkpoint_LDADD = $(TRAIN_MODULE_LIBS)
tests_train_test_checkpoint_tuned_SOURCES = tests/train/test_checkpoint_tuned.c \
	$(ARPG_TEST_SOURCES)
tests_train_test_checkpoint_tuned_CPPFLAGS = $(TRAIN_MODULE_CPPFLAGS)
tests_train_test_checkpoint_tuned_CFLAGS = $(AM_CFLAGS) $(MD_CFLAGS)
tests_train_test_checkpoint_tuned_LDADD = $(TRAIN_MODULE_LIBS)
tests_train_test_sweep_SOURCES = tests/train/test_sweep.c $(ARPG_TEST_SOURCES)
tests_train_test_sweep_CPPFLAGS = $(TRAIN_MODULE_CPPFLAGS)
tests_train_test_sweep_LDADD = $(TRAIN_MODULE_LIBS)
tests_train_test_experiment_SOURCES = tests/train/test_experiment.c $(ARPG_TEST_SOURCES)
tests_train_test_experiment_CPPFLAGS = $(TRAIN_MODULE_CPPFLAGS)
tests_train_test_experiment_LDADD = $(TRAIN_MODULE_LIBS)
tests_train_test_tune_onnx_SOURCES = tests/train/test_tune_onnx.c $(ARPG_TEST_SOURCES)
tests_train_test_tune_onnx_CPPFLAGS = $(TRAIN_MODULE_CPPFLAGS)
tests_train_test_tune_onnx_LDADD = $(TRAIN_MODULE_LIBS)
tests_train_test_frames_SOURCES = tests/train/test_frames.c $(ARPG_TEST_SOURCES)
tests_train_test_frames_CPPFLAGS = $(TRAIN_MODULE_CPPFLAGS)
tests_train_test_frames_LDADD = $(TRAIN_MODULE_LIBS)

# make_cache: synthetic caches with a class signal, for the trainer's tests
# and bench/train.
check_PROGRAMS += tests/train/make_cache
tests_train_make_cache_SOURCES = tests/train/make_cache.c
tests_train_make_cache_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/train $(LMDB_CFLAGS)
tests_train_make_cache_CFLAGS = $(AM_CFLAGS) $(MD_CFLAGS)
tests_train_make_cache_LDADD = $(TRAIN_TEST_LIBS) $(ARPG_ONNX_LIB) $(LMDB_LIBS) $(MD_LIBS)

# arpg-train as a user runs it (needs make_cache), and when things go
# wrong: signals, resumes, unusable models, unlabelled clips.
TESTS += tests/train/train.sh tests/train/interrupted.sh tests/train/perframe.sh \
	tests/train/perframe_chain.sh tests/train/perframe_stream.sh
dist_check_SCRIPTS += tests/train/train.sh tests/train/interrupted.sh tests/train/perframe.sh \
	tests/train/perframe_chain.sh tests/train/perframe_stream.sh
# make_cache --maps --backbone: the caches of bench/tune.sh.
TESTS += tests/train/make_cache_maps.sh
dist_check_SCRIPTS += tests/train/make_cache_maps.sh

# The model file parser survives fuzzing (seed: a tiny saved model).
FUZZERS += tests/fuzz/fuzz_checkpoint
tests_fuzz_fuzz_checkpoint_SOURCES = tests/fuzz/fuzz_checkpoint.c train/checkpoint.c $(FUZZ_MAIN)
tests_fuzz_fuzz_checkpoint_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/train
tests_fuzz_fuzz_checkpoint_LDADD = $(top_builddir)/train/libmodel.la $(ARPG_ONNX_LIB) $(ARPG_LIB) $(BLIS_LIBS) \
	$(MD_LIBS) -lm
tests_fuzz_fuzz_checkpoint_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)

# --export-onnx: export_cases writes models of many configurations with
# random parameters, their inputs and their logits; export.sh runs them
# and models trained by arpg-train through onnxruntime-node (head_ort.js),
# and the option's bad input.
check_PROGRAMS += tests/train/export_cases
tests_train_export_cases_SOURCES = tests/train/export_cases.c features/npy.c
tests_train_export_cases_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/train -I$(top_srcdir)/features
tests_train_export_cases_LDADD = $(TRAIN_MODULE_LIBS)
TESTS += tests/train/export.sh
dist_check_SCRIPTS += tests/train/export.sh
EXTRA_DIST += tests/train/head_ort.js

# --tune-backbone's checkpoints and --export-backbone on small iresnets
# (tests/onnx/make_iresnet.py, PyTorch): tune_embed runs a tuned model's
# tail as arpg-train --load does, tune_export.sh compares it with
# onnxruntime-node and arpg-features -b on the exported backbone, and
# checks save, load, resume and the bad cases.
check_PROGRAMS += tests/train/tune_embed
tests_train_tune_embed_SOURCES = tests/train/tune_embed.c
tests_train_tune_embed_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/train
tests_train_tune_embed_LDADD = $(TRAIN_MODULE_LIBS)
TESTS += tests/train/tune_export.sh
dist_check_SCRIPTS += tests/train/tune_export.sh
