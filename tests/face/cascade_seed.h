/* cascade_seed.h - the hand-made cascades of the fuzz corpus
 * (tests/fuzz/corpus/cascade), for the cascade's unit tests. */
#ifndef ARPG_TESTS_FACE_CASCADE_SEED_H
#define ARPG_TESTS_FACE_CASCADE_SEED_H

#include <stddef.h>

#include "face/cascade.h"

/* arpg_cascade_load of the corpus file name: its code and message. */
int seed_load(struct arpg_cascade **c, const char *name, char *err, size_t errn);

/* The corpus file name loaded, or NULL with the test failed (the reason
 * recorded). */
struct arpg_cascade *seed(const char *name);

#endif
