/* sample_frames_c - prints the frames arpg-train's sample_frames
 * (train/data.c) chooses, for tests/python/test_python.py to compare with
 * arpg.sample_frames.
 *
 *   sample_frames_c SEED
 *
 * For clip_T 1..40 and T 1..17 (clip_T outer), two lines:
 *   e clip_T T i0 i1 ...   without jitter (evaluation)
 *   j clip_T T i0 i1 ...   with jitter, from one splitmix64 generator seeded
 *                          with SEED and carried through every line
 */
#include "data.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	uint64_t rng;
	int idx[17];

	if (argc != 2) {
		fprintf(stderr, "usage: sample_frames_c SEED\n");
		return 2;
	}
	rng = strtoull(argv[1], NULL, 10);
	for (int clip_T = 1; clip_T <= 40; clip_T++) {
		for (int T = 1; T <= 17; T++) {
			for (int jitter = 0; jitter < 2; jitter++) {
				sample_frames(clip_T, T, jitter, &rng, idx);
				printf("%c %d %d", jitter ? 'j' : 'e', clip_T, T);
				for (int i = 0; i < T; i++)
					printf(" %d", idx[i]);
				putchar('\n');
			}
		}
	}
	return fclose(stdout) ? 1 : 0;
}
