"""The BLAS behind the GEMM-shaped ops, and the warning when it runs generic kernels on a CPU that
has better: a BLAS that does not know a CPU model falls back to its SSE3 kernels ("Prescott"),
several times slower than its AVX2 or AVX-512 ones, and nothing else would say so."""
import os
import warnings

from . import _C

# OpenBLAS's x86 kernel sets that use no AVX2 (any other, known or future, is taken as fine).
PRE_AVX2_KERNELS = {"katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2", "penryn",
                    "dunnington", "nehalem", "sandybridge", "opteron", "opteron_sse3", "barcelona", "bobcat",
                    "bulldozer", "piledriver", "steamroller", "nano", "generic"}


def blas_info():
    """The BLAS the GEMM-shaped ops call (GTA mixing, region pooling, spatial attention, DAM):
    ``{"name", "version", "core", "threads"}``, where ``core`` is the kernel set it chose for this
    CPU ("SkylakeX": AVX-512, "Haswell": AVX2, "Prescott": generic SSE3; ``OPENBLAS_CORETYPE`` in
    the environment, set before the import, forces one) and ``threads`` what one BLAS call uses (1:
    each op splits its own work over ``get_num_threads()`` threads)."""
    return _C.blas_info()


def cpu():
    """(model name, set of ISA flags) of this machine's CPU, from /proc/cpuinfo (Linux); ("", set())
    where it cannot be read."""
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
    except OSError:
        return "", set()
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            if fields:
                break  # the first processor's block is enough
            continue
        fields.setdefault(key.strip(), value.strip())
    return fields.get("model name", ""), set(fields.get("flags", "").split())


def generic_kernels(info, flags):
    """Whether the BLAS `info` runs kernels without AVX2 on a CPU whose `flags` have AVX2 and FMA."""
    return info["core"].lower() in PRE_AVX2_KERNELS and {"avx2", "fma"} <= flags


def warn_if_generic():
    info = blas_info()
    model, flags = cpu()
    if not generic_kernels(info, flags):
        return
    forced = os.environ.get("OPENBLAS_CORETYPE")
    cause = (f"OPENBLAS_CORETYPE={forced} in the environment chose them" if forced
             else "the BLAS does not know this CPU model")
    warnings.warn(
        f"vidtemporal: the BLAS ({info['name']} {info['version']}) runs its generic '{info['core']}' kernels, which "
        f"use no AVX2, on a CPU that has AVX2 and FMA ({model or 'this CPU'}): {cause}, and the GEMM-shaped ops "
        f"(GTA, region pooling, spatial attention, DAM) run several times slower than they could. Set "
        f"OPENBLAS_CORETYPE=Haswell (AVX2), or SkylakeX where the CPU has AVX-512, in the environment before "
        f"importing vidtemporal.", RuntimeWarning, stacklevel=3)
