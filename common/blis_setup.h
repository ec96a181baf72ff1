/* blis_setup.h - one call that chooses BLIS's kernel set and thread count.
 *
 * Debian's BLIS 0.9 picks "haswell" (AVX2) on the Intel Xeons with AVX-512
 * these tools run on, at about half the sgemm speed of "skx".  This BLIS reads
 * BLIS_ARCH_TYPE as a number (the arch_t id of blis.h) when it initialises, so
 * the choice must be in the environment before the first BLIS call.
 *
 * Order of precedence: ARPG_BLIS_ARCH=name (ours, by name: skx, haswell,
 * zen3, generic, ...), then the user's own BLIS_ARCH_TYPE, then skx on an
 * Intel CPU with AVX-512 F/DQ/BW/VL, and on an AMD one newer than BLIS knows
 * (Zen 5: BLIS 0.9 falls back to its generic kernels, 5x slower), else
 * BLIS's own choice (zen3 on Zen 4, which is as fast as skx there).
 */
#ifndef ARPG_BLIS_SETUP_H
#define ARPG_BLIS_SETUP_H

struct arpg_blis_info {
	char arch[32];		/* kernel set in use, as BLIS names it */
	char chosen_by[64];	/* "ARPG_BLIS_ARCH", "BLIS_ARCH_TYPE", "arpg: Intel AVX-512", "BLIS" */
	int threads;
	/* with threads <= 0: the other processes running that the default
	 * left their processors to (arpg_cli_free_jobs); else -1 */
	int busy;
};

/* Call once from main before any BLIS use.  threads <= 0 means the
 * processors free now (arpg_cli_free_jobs).  keep_blis_choice != 0 skips arpg's skx selection (for bench/gemm,
 * which compares both).  Returns 0, or ARPG_EINVAL when ARPG_BLIS_ARCH names
 * no kernel set this BLIS has (info->arch then holds the bad name). */
int arpg_blis_setup(int threads, int keep_blis_choice, struct arpg_blis_info *info);

/* Nonzero on an Intel CPU with AVX-512 F, DQ, BW and VL. */
int arpg_cpu_intel_avx512(void);

/* Nonzero on an AMD CPU with AVX-512 F, DQ, BW and VL newer than this
 * BLIS knows (family 26, Zen 5, and later), where it would run its generic
 * kernels: arpg selects skx there too. */
int arpg_cpu_amd_avx512_unknown(void);

#endif
