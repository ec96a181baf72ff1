/* blis_setup.c - choose BLIS's kernel set before BLIS initialises. */
#include "blis_setup.h"
#include "cli.h"
#include "error.h"

#include <blis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

int arpg_cpu_intel_avx512(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_is("intel") && __builtin_cpu_supports("avx512f") &&
	       __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
	       __builtin_cpu_supports("avx512vl");
}

/* An AMD CPU with AVX-512 that Debian's BLIS 0.9 does not know: family 26
 * (Zen 5) and later, where it falls back to the generic kernels at about a
 * fifth of skx's speed (measured: 42 against 196 GFLOP/s on one core).
 * Family 25 (Zen 3/4) gets zen3, as fast as skx there, and is left alone. */
int arpg_cpu_amd_avx512_unknown(void)
{
	unsigned eax, ebx, ecx, edx, family;

	__builtin_cpu_init();
	if (!__builtin_cpu_is("amd") || !__builtin_cpu_supports("avx512f") ||
	    !__builtin_cpu_supports("avx512dq") || !__builtin_cpu_supports("avx512bw") ||
	    !__builtin_cpu_supports("avx512vl"))
		return 0;
	__asm__("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(1), "c"(0));
	family = (eax >> 8) & 0xf;
	if (family == 0xf)
		family += (eax >> 20) & 0xff;
	return family >= 26;
}

/* bli_arch_string() reads a static table and does not initialise BLIS. */
static int arch_id(const char *name)
{
	int id;

	for (id = 0; id < BLIS_NUM_ARCHS; id++)
		if (strcasecmp(bli_arch_string((arch_t)id), name) == 0)
			return id;
	return -1;
}

int arpg_blis_setup(int threads, int keep_blis_choice, struct arpg_blis_info *info)
{
	const char *ours = getenv("ARPG_BLIS_ARCH");
	char num[16];
	int id;

	memset(info, 0, sizeof *info);
	if (ours && *ours) {
		if ((id = arch_id(ours)) < 0) {
			snprintf(info->arch, sizeof info->arch, "%s", ours);
			return ARPG_EINVAL;
		}
		snprintf(num, sizeof num, "%d", id);
		setenv("BLIS_ARCH_TYPE", num, 1);
		snprintf(info->chosen_by, sizeof info->chosen_by, "ARPG_BLIS_ARCH");
	} else if (getenv("BLIS_ARCH_TYPE")) {
		snprintf(info->chosen_by, sizeof info->chosen_by, "BLIS_ARCH_TYPE");
	} else if (!keep_blis_choice && arpg_cpu_intel_avx512()) {
		snprintf(num, sizeof num, "%d", (int)BLIS_ARCH_SKX);
		setenv("BLIS_ARCH_TYPE", num, 1);
		snprintf(info->chosen_by, sizeof info->chosen_by, "arpg: Intel AVX-512");
	} else if (!keep_blis_choice && arpg_cpu_amd_avx512_unknown()) {
		snprintf(num, sizeof num, "%d", (int)BLIS_ARCH_SKX);
		setenv("BLIS_ARCH_TYPE", num, 1);
		snprintf(info->chosen_by, sizeof info->chosen_by, "arpg: AMD AVX-512, unknown to BLIS");
	} else {
		snprintf(info->chosen_by, sizeof info->chosen_by, "BLIS");
	}
	info->busy = -1;
	info->threads = threads > 0 ? threads : arpg_cli_free_jobs(&info->busy);
	bli_thread_set_num_threads(info->threads);
	snprintf(info->arch, sizeof info->arch, "%s", bli_arch_string(bli_arch_query_id()));
	return 0;
}
