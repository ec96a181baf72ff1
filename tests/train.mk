# Tests of arpg-train (unit, program and end-to-end); see tests/local.mk for the pattern.
