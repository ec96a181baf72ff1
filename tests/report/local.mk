# arpg-report on arpg-train's output and arpg-preprocess --sheet (needs tests/train/make_cache).
TESTS += tests/report/report.sh
dist_check_SCRIPTS += tests/report/report.sh
