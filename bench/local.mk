# Benchmarks against peers; built by `make bench`, never run by make check.
EXTRA_PROGRAMS += bench/gemm
bench_gemm_SOURCES = bench/gemm.c
bench_gemm_LDADD = $(ARPG_LIB)
BENCH_BINS += bench/gemm
bench: $(BENCH_BINS)
.PHONY: bench
CLEANFILES += $(BENCH_BINS)
# arpg-features: clips/s and frames/s of -b hog, cache size f32 vs f16.
# Run: make bench-features (builds what it needs; not part of make check).
EXTRA_DIST += bench/features.sh
bench-features: features/arpg-features tests/test_features_gen
	top_builddir='$(abs_top_builddir)' $(SHELL) $(top_srcdir)/bench/features.sh
.PHONY: bench-features
# bench/decode.sh: arpg-preprocess --no-align against the ffmpeg CLI (issue 4).
dist_noinst_SCRIPTS += bench/decode.sh
