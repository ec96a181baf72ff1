# arpg-preprocess: rules live here (see Makefile.am).
# (face.c is a placeholder until issue 5 lands; see preprocess/face.h)
