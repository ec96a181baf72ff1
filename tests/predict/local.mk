# arpg-predict end to end (tests/predict/predict.sh): clips made with the
# ffmpeg CLI, a small model, predictions against the three programs run
# by hand, and bad input.
TESTS += tests/predict/predict.sh
dist_check_SCRIPTS += tests/predict/predict.sh
