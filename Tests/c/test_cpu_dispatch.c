/* The kernel build the library runs is the best one this CPU can run, by the compiler runtime's
 * own reading of cpuid (x86-64-v4: AVX-512; x86-64-v3: AVX2, FMA, F16C, BMI1/2, LZCNT, MOVBE; the
 * baseline x86-64 otherwise), capped by VT_CPU when it is set. Under qemu-x86_64 -cpu Nehalem
 * (make test-qemu) that is the baseline. And vt_get_blas_info says which BLAS the GEMM-shaped ops
 * call. */
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
    int level = __builtin_cpu_supports("x86-64-v4") ? 2 : __builtin_cpu_supports("x86-64-v3") ? 1 : 0;
    static const char *const builds[] = {"x86-64", "x86-64-v3", "x86-64-v4"};
    const char *cap = getenv("VT_CPU");
    if (cap && strcmp(cap, "baseline") == 0) cap = "x86-64";
    for (int i = 0; cap && i < level; i++)
        if (strcmp(cap, builds[i]) == 0) level = i;
#ifdef VT_TEST_NO_LOADER
    /* make test-asan links the x86-64-v3 build itself: no loader, no choice. */
    (void)level, (void)builds;
    const char *expected = "x86-64-v3";
#else
    const char *expected = builds[level];
#endif
    CHECK(strcmp(build, expected) == 0, "vt_cpu_dispatch() = \"%s\", expected \"%s\" on this CPU", build, expected);
#endif
    printf("kernel build: %s\n", build);

    vt_error err;
    CHECK(vt_get_blas_info(NULL, &err) == VT_ERR_NULL_POINTER && strstr(err.message, "info"), "blas info NULL");
    vt_blas_info info;
    memset(&info, 0x7f, sizeof info);
    CHECK(vt_get_blas_info(&info, NULL) == VT_OK, "vt_get_blas_info");
    CHECK(memchr(info.name, 0, sizeof info.name) && memchr(info.version, 0, sizeof info.version) &&
              memchr(info.core, 0, sizeof info.core), "blas info strings are terminated");
    CHECK(info.name[0] != 0 && info.threads == 1, "blas info: name \"%.31s\", threads %d", info.name, info.threads);
    printf("BLAS: %s %s, kernels %s, %d thread per call\n", info.name, info.version, info.core, info.threads);
    REPORT();
}
