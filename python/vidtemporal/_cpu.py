"""The library is built for x86-64 with AVX2 and FMA (Haswell, 2013, or newer). Check at import,
so an older CPU gets an ImportError instead of an illegal-instruction crash mid-call."""
import platform


def require_supported():
    if platform.machine() not in ("x86_64", "AMD64"):
        return
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), None)
    except OSError:
        return
    if flags is not None and not {"avx2", "fma"} <= set(flags):
        raise ImportError("vidtemporal: this build needs an x86-64 CPU with AVX2 and FMA (Haswell or newer)")
