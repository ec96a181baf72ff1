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
# bench/e2e.sh: a whole AFEW-sized experiment, arpg against the plain
# script bench/e2e_reference.py (ffmpeg, OpenCV, dlib, onnxruntime, PyTorch).
dist_noinst_SCRIPTS += bench/e2e.sh
EXTRA_DIST += bench/e2e_reference.py bench/e2e_ort.js
# bench/busy.sh: arpg-train's -j 1, -j 2 and default on cores another
# process keeps busy (top_builddir=BUILD sh bench/busy.sh).
dist_noinst_SCRIPTS += bench/busy.sh
# bench/decode.sh: arpg-preprocess --no-align against the ffmpeg CLI.
dist_noinst_SCRIPTS += bench/decode.sh
# ONNX backbone against onnxruntime: bench/backbone.sh drives it.
EXTRA_PROGRAMS += bench/backbone
bench_backbone_SOURCES = bench/backbone.c

bench_backbone_LDADD = $(ARPG_ONNX_LIB)
BENCH_BINS += bench/backbone
EXTRA_DIST += bench/backbone.sh bench/backbone_ort.js
# bench/face_landmarks.sh: landmarks + alignment per second against dlib + cv2.
dist_noinst_SCRIPTS += bench/face_landmarks.sh
bench-face-landmarks: tests/face/face_tool
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' $(SHELL) $(top_srcdir)/bench/face_landmarks.sh
.PHONY: bench-face-landmarks
# bench/face.sh: the whole face stage (detection + landmarks + warp) per frame
# against OpenCV + dlib, from the two benchmarks above.
dist_noinst_SCRIPTS += bench/face.sh
bench-face: bench/face_detect tests/face/face_tool
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' $(SHELL) $(top_srcdir)/bench/face.sh
.PHONY: bench-face
# bench/train.sh: arpg-train against PyTorch on an AFEW-sized cache.
EXTRA_DIST += bench/train.sh bench/train_torch.py
bench-train: train/arpg-train tests/make_cache bench/gemm
	top_builddir='$(abs_top_builddir)' top_srcdir='$(abs_top_srcdir)' $(SHELL) $(top_srcdir)/bench/train.sh
.PHONY: bench-train
# bench/detector.sh: YuNet on the engine against cv2.dnn and onnxruntime-node,
# and the face stage with YuNet against the cascade's (bench/backbone runs
# the engine; bench/detector_cv2.py, OpenCV).
EXTRA_DIST += bench/detector.sh bench/detector_cv2.py
bench-detector: bench/backbone preprocess/arpg-preprocess
	top_srcdir='$(abs_top_srcdir)' $(SHELL) $(top_srcdir)/bench/detector.sh
.PHONY: bench-detector
# bench/tune.sh: arpg-train --tune-backbone against PyTorch (bench/tune_torch.py)
# tuning the same iresnet50 tail, and fine-tuning the whole backbone.
EXTRA_DIST += bench/tune.sh bench/tune_torch.py
bench-tune: train/arpg-train tests/train/make_cache
	top_builddir='$(abs_top_builddir)' top_srcdir='$(abs_top_srcdir)' $(SHELL) $(top_srcdir)/bench/tune.sh
.PHONY: bench-tune
