/* The kernel build the library runs is the one this CPU can run: x86-64-v3 exactly when the
 * compiler runtime's own reading of cpuid says the CPU is x86-64-v3 (AVX2, FMA, F16C, BMI1/2,
 * LZCNT, MOVBE) and VT_CPU=baseline is not set; the baseline x86-64 build otherwise. Under
 * qemu-x86_64 -cpu Nehalem (make test-qemu) the expected build is the baseline. */
#include <stdlib.h>
#include <string.h>
#include <vidtemporal.h>

#include "check.h"

int main(void) {
    const char *build = vt_cpu_dispatch();
    CHECK(build != NULL, "vt_cpu_dispatch() returned NULL");
    if (!build) REPORT();
#if defined(__x86_64__)
    __builtin_cpu_init();
    int v3 = __builtin_cpu_supports("x86-64-v3");
    const char *forced = getenv("VT_CPU");
#ifdef VT_TEST_NO_LOADER
    /* make test-asan links the x86-64-v3 build itself: no loader, no choice. */
    (void)v3, (void)forced;
    const char *expected = "x86-64-v3";
#else
    const char *expected = v3 && !(forced && strcmp(forced, "baseline") == 0) ? "x86-64-v3" : "x86-64";
#endif
    CHECK(strcmp(build, expected) == 0, "vt_cpu_dispatch() = \"%s\", expected \"%s\" on this CPU", build, expected);
#endif
    printf("kernel build: %s\n", build);
    REPORT();
}
