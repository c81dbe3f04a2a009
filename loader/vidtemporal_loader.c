/* libvidtemporal.so on x86-64 Linux: picks one of the kernel builds beside it once, at load time,
 * from cpuid, and forwards every vt_* function of the header to it.
 *
 *   libvidtemporal-x86-64-v4.so   x86-64-v3 + AVX-512 (F, CD, BW, DQ, VL): Skylake-X, Ice Lake,
 *                                 Sapphire Rapids, Zen 4 and newer; 512-bit vectors
 *   libvidtemporal-x86-64-v3.so   AVX2 + FMA + F16C (+ BMI1/2, LZCNT, MOVBE): Haswell and newer
 *   libvidtemporal-x86-64.so      the baseline: any x86-64 CPU
 *
 * VT_CPU in the environment caps the choice (tests, bug reports, comparisons): "baseline" (or
 * "x86-64"), "x86-64-v3", "x86-64-v4"; "auto" or unset lets cpuid decide. A build the CPU cannot
 * run is never chosen: a cap above the CPU is a warning, and so is a build that fails to load,
 * the next lower one running instead. vt_cpu_dispatch() says which build runs. Each exported
 * function is a one-instruction trampoline (`jmp *target(%rip)`) filled in by the constructor, so
 * arguments and return values pass through untouched whatever the signature. This file is
 * compiled for the baseline and runs before any kernel code does.
 *
 * VT_EXPORTS (built from the header's declarations by tools/build_library.sh) lists the functions:
 * X(vt_abi_version) X(vt_version_string) ... */
#define _GNU_SOURCE
#include <cpuid.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exports.inc"

#define TRAMPOLINE(name)                                                              \
    __attribute__((visibility("hidden"))) void *target_of_##name;                     \
    __asm__(".pushsection .text, \"ax\", @progbits\n"                                 \
            ".globl " #name "\n"                                                      \
            ".type " #name ", @function\n"                                            \
            ".p2align 4\n" #name ":\n"                                                \
            "\tjmp *target_of_" #name "(%rip)\n"                                      \
            ".size " #name ", .-" #name "\n"                                          \
            ".popsection\n");
VT_EXPORTS(TRAMPOLINE)

static unsigned long long xcr0(void) {
    unsigned low, high;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    return (unsigned long long)high << 32 | low;
}

/* Everything the x86-64-v3 build may execute: what -target-cpu haswell lets the compiler emit
 * unprompted, and the OS saving the AVX (YMM) state across context switches. */
static int cpu_has_x86_64_v3(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const unsigned leaf1 = bit_SSE3 | bit_SSSE3 | bit_FMA | bit_CMPXCHG16B | bit_SSE4_1 | bit_SSE4_2 | bit_MOVBE |
                           bit_POPCNT | bit_OSXSAVE | bit_AVX | bit_F16C;
    if ((c & leaf1) != leaf1) return 0;
    if ((xcr0() & 6) != 6) return 0; /* XMM and YMM state */
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    const unsigned leaf7 = bit_BMI | bit_AVX2 | bit_BMI2;
    if ((b & leaf7) != leaf7) return 0;
    if (!__get_cpuid(0x80000001, &a, &b, &c, &d)) return 0;
    return (c & (bit_LZCNT | bit_LAHF_LM)) == (bit_LZCNT | bit_LAHF_LM);
}

/* The x86-64-v4 build (-target-cpu skylake-avx512) adds AVX-512 F, CD, BW, DQ and VL, and needs
 * the OS to save the opmask and ZMM state. */
static int cpu_has_x86_64_v4(void) {
    unsigned a, b, c, d;
    if (!cpu_has_x86_64_v3() || !__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    const unsigned avx512 = bit_AVX512F | bit_AVX512CD | bit_AVX512BW | bit_AVX512DQ | bit_AVX512VL;
    return (b & avx512) == avx512 && (xcr0() & 0xe6) == 0xe6;
}

static void *open_build(const char *directory, const char *build) {
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/libvidtemporal-%s.so", directory, build) >= (int)sizeof path) return NULL;
    return dlopen(path, RTLD_NOW | RTLD_LOCAL);
}

__attribute__((constructor)) static void choose_build(void) {
    Dl_info self;
    if (!dladdr((void *)choose_build, &self) || !self.dli_fname) {
        fprintf(stderr, "libvidtemporal: cannot find its own path\n");
        abort();
    }
    char directory[PATH_MAX];
    snprintf(directory, sizeof directory, "%s", self.dli_fname);
    char *slash = strrchr(directory, '/');
    if (slash) *slash = '\0';
    else snprintf(directory, sizeof directory, ".");

    static const char *const builds[] = {"x86-64", "x86-64-v3", "x86-64-v4"};
    int level = cpu_has_x86_64_v4() ? 2 : cpu_has_x86_64_v3() ? 1 : 0;
    const char *cap = getenv("VT_CPU");
    if (cap && *cap && strcmp(cap, "auto") != 0) {
        int capped = strcmp(cap, "baseline") == 0 ? 0 : -1;
        for (int i = 0; i < 3 && capped < 0; i++)
            if (strcmp(cap, builds[i]) == 0) capped = i;
        if (capped < 0)
            fprintf(stderr, "libvidtemporal: VT_CPU=%s is none of baseline, x86-64, x86-64-v3, x86-64-v4, auto; "
                            "choosing from cpuid\n", cap);
        else if (capped > level)
            fprintf(stderr, "libvidtemporal: VT_CPU=%s, but this CPU runs %s at most; using it\n", cap, builds[level]);
        else
            level = capped;
    }
    void *handle = NULL;
    for (; !handle && level >= 0; level--) {
        handle = open_build(directory, builds[level]);
        if (!handle && level > 0)
            fprintf(stderr, "libvidtemporal: cannot load the %s build (%s); trying %s\n", builds[level], dlerror(),
                    builds[level - 1]);
    }
    if (!handle) {
        fprintf(stderr, "libvidtemporal: cannot load its kernels from %s: %s\n", directory, dlerror());
        abort();
    }
#define RESOLVE(name)                                                                                 \
    if (!(target_of_##name = dlsym(handle, #name))) {                                                 \
        fprintf(stderr, "libvidtemporal: the kernel build in %s lacks %s\n", directory, #name);        \
        abort();                                                                                      \
    }
    VT_EXPORTS(RESOLVE)
}
