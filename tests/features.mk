# Tests of arpg-features (unit, program and end-to-end); see tests/local.mk for the pattern.
