# Tests of the Python package (python/arpg) against the programs: every
# clip's arrays against `arpg-features dump --npy`, meta and clips against
# `arpg-features info`, frame sampling against train/data.c (through
# sample_frames_c), damaged caches, the TSV readers, the README's snippet.
check_PROGRAMS += tests/python/sample_frames_c
TESTS += tests/python/test_python.py
dist_check_SCRIPTS += tests/python/test_python.py
tests_python_sample_frames_c_SOURCES = tests/python/sample_frames_c.c
tests_python_sample_frames_c_CPPFLAGS = $(TRAIN_MODULE_CPPFLAGS)
tests_python_sample_frames_c_LDADD = $(TRAIN_MODULE_LIBS)
