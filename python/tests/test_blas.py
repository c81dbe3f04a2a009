"""The BLAS behind the GEMM-shaped ops: blas_info() says which and its kernel set, the kernel set
uses AVX2 wherever the CPU has it (a BLAS that does not know a CPU model falls back to SSE3 kernels,
several times slower), and when it does not, importing vidtemporal warns, naming the cause and the
fix."""
import os
import subprocess
import sys

import pytest

import vidtemporal as vt
from vidtemporal import _blas


def test_blas_info_names_the_blas_and_its_kernels():
    info = vt.blas_info()
    assert set(info) == {"name", "version", "core", "threads"}
    assert info["name"] in ("OpenBLAS", "Accelerate")
    assert info["threads"] == 1   # the ops split their work themselves
    if info["name"] == "OpenBLAS":
        assert info["version"].startswith("0.3.") and info["core"]


def test_the_blas_runs_avx2_kernels_on_a_cpu_with_avx2():
    model, flags = _blas.cpu()
    if not {"avx2", "fma"} <= flags:
        pytest.skip("this CPU has no AVX2 and FMA: the BLAS's generic kernels are its best")
    info = vt.blas_info()
    assert not _blas.generic_kernels(info, flags), f"{info['name']} {info['version']} runs '{info['core']}' on {model}"


def test_generic_kernels_are_told_from_the_cpu_flags():
    avx2 = {"sse3", "avx", "avx2", "fma"}
    assert _blas.generic_kernels({"core": "Prescott"}, avx2)
    assert _blas.generic_kernels({"core": "sandybridge"}, avx2)
    assert not _blas.generic_kernels({"core": "Haswell"}, avx2)
    assert not _blas.generic_kernels({"core": "SkylakeX"}, avx2)
    assert not _blas.generic_kernels({"core": "SomeFutureCore"}, avx2)
    assert not _blas.generic_kernels({"core": "Prescott"}, {"sse3", "avx"})   # nothing better to run


def test_generic_kernels_on_an_avx2_cpu_are_a_warning_naming_the_fix():
    if not {"avx2", "fma"} <= _blas.cpu()[1]:
        pytest.skip("this CPU has no AVX2 and FMA: no warning is due")
    script = "import warnings; warnings.simplefilter('always'); import vidtemporal as vt; print(vt.blas_info()['core'])"
    env = dict(os.environ, OPENBLAS_CORETYPE="Prescott")   # the generic kernels, as on a CPU it does not know
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert result.stdout.strip().lower() in _blas.PRE_AVX2_KERNELS
    assert "RuntimeWarning: vidtemporal: the BLAS" in result.stderr
    assert "OPENBLAS_CORETYPE=Prescott in the environment chose them" in result.stderr
    assert "OPENBLAS_CORETYPE=Haswell" in result.stderr
    result = subprocess.run([sys.executable, "-W", "error", "-c", "import vidtemporal"], capture_output=True,
                            text=True, env={k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"})
    assert result.returncode == 0, result.stderr   # the BLAS's own choice: no warning
