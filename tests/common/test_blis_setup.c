/* BLIS set-up: skx on Intel AVX-512, the user's choice kept, names checked. */
#include "harness.h"
#include "blis_setup.h"
#include "cli.h"
#include "error.h"

#include <blis.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* BLIS reads its environment once per process, so each case runs in the
 * process the harness gives it only when it is the first to call BLIS:
 * run each named test on its own (tests/common/blis_setup.sh does). */
ARPG_TEST(blis_default_choice)
{
	struct arpg_blis_info info;

	unsetenv("ARPG_BLIS_ARCH");
	unsetenv("BLIS_ARCH_TYPE");
	expect_int(arpg_blis_setup(2, 0, &info), 0);
	expect_int(info.threads, 2);
	if (arpg_cpu_intel_avx512()) {
		expect_str(info.arch, "skx");
		expect_str(info.chosen_by, "arpg: Intel AVX-512");
	} else if (arpg_cpu_amd_avx512_unknown()) {
		expect_str(info.arch, "skx");
		expect_str(info.chosen_by, "arpg: AMD AVX-512, unknown to BLIS");
	} else {
		expect_str(info.chosen_by, "BLIS");
	}
	/* whatever the CPU, never BLIS's slow generic fallback on AVX-512 */
	if (__builtin_cpu_supports("avx512f"))
		expect(strcmp(info.arch, "generic") != 0);
	arpg_test_note("kernel set %s (%s), %d threads", info.arch, info.chosen_by, info.threads);
}

ARPG_TEST(blis_user_arch_type_is_kept)
{
	struct arpg_blis_info info;

	unsetenv("ARPG_BLIS_ARCH");
	setenv("BLIS_ARCH_TYPE", "3", 1);	/* BLIS_ARCH_HASWELL */
	expect_int(arpg_blis_setup(1, 0, &info), 0);
	expect_str(info.chosen_by, "BLIS_ARCH_TYPE");
	expect_str(info.arch, "haswell");
}

ARPG_TEST(blis_arpg_arch_by_name)
{
	struct arpg_blis_info info;

	setenv("ARPG_BLIS_ARCH", "generic", 1);
	expect_int(arpg_blis_setup(0, 0, &info), 0);
	expect_str(info.arch, "generic");
	expect_str(info.chosen_by, "ARPG_BLIS_ARCH");
	/* the processors free now: at least 1, at most those online */
	expect(info.threads >= 1 && info.threads <= arpg_cli_default_jobs());
	expect(info.busy >= -1);
}

ARPG_TEST(blis_unknown_name_is_refused)
{
	struct arpg_blis_info info;

	setenv("ARPG_BLIS_ARCH", "pentium2", 1);
	expect_int(arpg_blis_setup(0, 0, &info), ARPG_EINVAL);
	expect_str(info.arch, "pentium2");
}
