# Benchmarks against peers; built by `make bench`, never run by make check.
EXTRA_PROGRAMS += bench/gemm
bench_gemm_SOURCES = bench/gemm.c
bench_gemm_LDADD = $(ARPG_LIB)
BENCH_BINS += bench/gemm
bench: $(BENCH_BINS)
.PHONY: bench
CLEANFILES += $(BENCH_BINS)
