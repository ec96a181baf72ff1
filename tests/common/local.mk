# Tests of libarpg (common/): one C test per module, and the fuzz harnesses of
# the formats it parses (manifest, tensor records, PNG, the cache's clip line, frames.tsv).
check_PROGRAMS += tests/common/test_error tests/common/test_manifest tests/common/test_image \
	tests/common/test_tensor tests/common/test_cache tests/common/test_blis_setup tests/common/test_progress \
	tests/common/test_cli tests/common/test_workq tests/common/test_kv tests/common/test_grow \
	tests/common/test_frames_tsv tests/common/test_lock tests/common/test_cache_sums \
	tests/common/test_text tests/common/test_fileio tests/common/test_cache_labels \
	tests/common/test_cache_maps
TESTS += tests/common/test_progress tests/common/test_error tests/common/test_manifest tests/common/test_image \
	tests/common/test_tensor tests/common/test_cache tests/common/blis_setup.sh \
	tests/common/test_cli tests/common/test_workq tests/common/test_kv tests/common/test_grow \
	tests/common/test_frames_tsv tests/common/test_lock tests/common/test_cache_sums \
	tests/common/test_text tests/common/test_fileio tests/common/test_cache_labels \
	tests/common/test_cache_maps
dist_check_SCRIPTS += tests/common/blis_setup.sh

# LMDB under the cache tests: damage as an older or broken writer leaves it
CACHE_RAW_SOURCES = tests/common/cache_raw.c tests/common/cache_raw.h

tests_common_test_cache_maps_SOURCES = tests/common/test_cache_maps.c $(CACHE_RAW_SOURCES) $(ARPG_TEST_SOURCES)
tests_common_test_cache_maps_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_common_test_cache_maps_LDADD = $(ARPG_LIB) $(LMDB_LIBS) $(ZLIB_LIBS)
tests_common_test_cache_labels_SOURCES = tests/common/test_cache_labels.c $(CACHE_RAW_SOURCES) $(ARPG_TEST_SOURCES)
tests_common_test_cache_labels_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_common_test_cache_labels_LDADD = $(ARPG_LIB) $(LMDB_LIBS) $(ZLIB_LIBS)
tests_common_test_fileio_SOURCES = tests/common/test_fileio.c $(ARPG_TEST_SOURCES)
tests_common_test_fileio_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_common_test_fileio_LDADD = $(ARPG_LIB)
tests_common_test_text_SOURCES = tests/common/test_text.c $(ARPG_TEST_SOURCES)
tests_common_test_text_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_common_test_text_LDADD = $(ARPG_LIB)
tests_common_test_error_SOURCES = tests/common/test_error.c $(ARPG_TEST_SOURCES)
tests_common_test_error_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_common_test_error_LDADD = $(ARPG_LIB)
tests_common_test_manifest_SOURCES = tests/common/test_manifest.c $(ARPG_TEST_SOURCES)
tests_common_test_manifest_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_common_test_manifest_LDADD = $(ARPG_LIB)
tests_common_test_image_SOURCES = tests/common/test_image.c $(ARPG_TEST_SOURCES)
tests_common_test_image_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_common_test_image_LDADD = $(ARPG_LIB)
tests_common_test_tensor_SOURCES = tests/common/test_tensor.c $(ARPG_TEST_SOURCES)
tests_common_test_tensor_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_common_test_tensor_LDADD = $(ARPG_LIB)
tests_common_test_cache_SOURCES = tests/common/test_cache.c $(ARPG_TEST_SOURCES)
tests_common_test_cache_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_common_test_cache_LDADD = $(ARPG_LIB)
tests_common_test_progress_SOURCES = tests/common/test_progress.c $(ARPG_TEST_SOURCES)
tests_common_test_progress_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_common_test_progress_LDADD = $(ARPG_LIB)
tests_common_test_blis_setup_SOURCES = tests/common/test_blis_setup.c $(ARPG_TEST_SOURCES)
tests_common_test_blis_setup_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_common_test_blis_setup_LDADD = $(ARPG_LIB)

tests_common_test_cli_SOURCES = tests/common/test_cli.c $(ARPG_TEST_SOURCES)
tests_common_test_cli_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_common_test_cli_LDADD = $(ARPG_LIB)
tests_common_test_workq_SOURCES = tests/common/test_workq.c $(ARPG_TEST_SOURCES)
tests_common_test_workq_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_common_test_workq_LDADD = $(ARPG_LIB)
tests_common_test_kv_SOURCES = tests/common/test_kv.c $(ARPG_TEST_SOURCES)
tests_common_test_kv_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_common_test_kv_LDADD = $(ARPG_LIB)
tests_common_test_grow_SOURCES = tests/common/test_grow.c $(ARPG_TEST_SOURCES)
tests_common_test_grow_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_common_test_grow_LDADD = $(ARPG_LIB)
tests_common_test_frames_tsv_SOURCES = tests/common/test_frames_tsv.c $(ARPG_TEST_SOURCES)
tests_common_test_frames_tsv_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_common_test_frames_tsv_LDADD = $(ARPG_LIB)

FUZZERS += tests/fuzz/fuzz_manifest tests/fuzz/fuzz_tensor tests/fuzz/fuzz_png \
	tests/fuzz/fuzz_clipinfo
tests_fuzz_fuzz_manifest_SOURCES = tests/fuzz/fuzz_manifest.c $(FUZZ_MAIN)
tests_fuzz_fuzz_manifest_LDADD = $(ARPG_LIB)
tests_fuzz_fuzz_manifest_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_tensor_SOURCES = tests/fuzz/fuzz_tensor.c $(FUZZ_MAIN)
tests_fuzz_fuzz_tensor_LDADD = $(ARPG_LIB)
tests_fuzz_fuzz_tensor_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_png_SOURCES = tests/fuzz/fuzz_png.c $(FUZZ_MAIN)
tests_fuzz_fuzz_png_LDADD = $(ARPG_LIB)
tests_fuzz_fuzz_png_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_clipinfo_SOURCES = tests/fuzz/fuzz_clipinfo.c $(FUZZ_MAIN)
tests_fuzz_fuzz_clipinfo_LDADD = $(ARPG_LIB)
tests_fuzz_fuzz_clipinfo_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)
# The reader of a cache's layout (meta grid lists and flip).
FUZZERS += tests/fuzz/fuzz_cache_layout
tests_fuzz_fuzz_cache_layout_SOURCES = tests/fuzz/fuzz_cache_layout.c $(FUZZ_MAIN)
tests_fuzz_fuzz_cache_layout_LDADD = $(ARPG_LIB)
tests_fuzz_fuzz_cache_layout_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)
FUZZERS += tests/fuzz/fuzz_frames_tsv
tests_fuzz_fuzz_frames_tsv_SOURCES = tests/fuzz/fuzz_frames_tsv.c $(FUZZ_MAIN)
tests_fuzz_fuzz_frames_tsv_LDADD = $(ARPG_LIB)
tests_fuzz_fuzz_frames_tsv_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)
tests_common_test_lock_SOURCES = tests/common/test_lock.c $(ARPG_TEST_SOURCES)
tests_common_test_lock_CPPFLAGS = $(ARPG_TEST_CPPFLAGS)
tests_common_test_lock_LDADD = $(ARPG_LIB)
tests_common_test_cache_sums_SOURCES = tests/common/test_cache_sums.c $(CACHE_RAW_SOURCES) $(ARPG_TEST_SOURCES)
tests_common_test_cache_sums_CPPFLAGS = $(ARPG_TEST_CPPFLAGS) $(LMDB_CFLAGS) $(ZLIB_CFLAGS)
tests_common_test_cache_sums_LDADD = $(ARPG_LIB) $(LMDB_LIBS) $(ZLIB_LIBS)
# The cache reader on whole damaged data.mdb files (seeds: small caches
# that tests/fuzz/make_cache_seeds.c writes).
EXTRA_DIST += tests/fuzz/make_cache_seeds.c
FUZZERS += tests/fuzz/fuzz_cache
tests_fuzz_fuzz_cache_SOURCES = tests/fuzz/fuzz_cache.c $(FUZZ_MAIN)
tests_fuzz_fuzz_cache_LDADD = $(ARPG_LIB)
tests_fuzz_fuzz_cache_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)
