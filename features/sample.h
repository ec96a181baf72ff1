/* sample.h - which frames of a clip arpg-features keeps.
 *
 * --frames T takes T frames of a clip of n: frame i (0 <= i < T) is source
 * index floor((i + 0.5) * n / T), the centre of the i-th of T equal spans.
 * When n < T the same formula repeats frames (each about T/n times, in
 * order), so every clip has exactly T frames.  --frames all (T = 0 here)
 * keeps the n frames as they are.
 */
#ifndef FEATURES_SAMPLE_H
#define FEATURES_SAMPLE_H

/* --frames without a value: twice the 16 frames arpg-train takes of a clip,
 * so that its temporal jitter has two frames to choose from in each of its
 * segments.  Measured on the demo data (HOG, 630 clips of 32 to 64 frames,
 * five seeds): 16, 24, 32, 48 and all cached frames gave a best-epoch
 * validation WAR of 62.1, 61.1, 64.4, 60.8 and 60.9%, equal within their
 * spread, for 1, 1.6, 2.9, 4.9 and 4.0 times the extraction time and 1,
 * 1.5, 2, 3 and 3 times the cache of 16; arpg-features(1) has the table.
 * 32 keeps the cache and the trainer's memory at twice that of 16. */
enum { FEATURES_DEFAULT_FRAMES = 32 };

/* Fills idx with the source indices; returns the number of frames kept
 * (T, or n when T is 0).  n >= 1; idx has room for that many. */
int sample_frames(int *idx, int n, int T);

/* FNV-1a 64-bit hash of a NUL-terminated string (offset basis
 * 14695981039346656037, prime 1099511628211); --shard K/N takes the clips
 * with hash % N == K. */
unsigned long long fnv1a64(const char *s);

/* Parses "K/N" with 0 <= K < N; returns 0 or ARPG_EINVAL. */
int shard_parse(const char *s, int *k, int *n);

#endif
