"""The library picks its kernel build once, when it loads: the best of x86-64-v4 (AVX-512),
x86-64-v3 (AVX2, FMA, F16C) and the baseline x86-64 that the CPU has every instruction for,
capped by VT_CPU. Every build computes every op as the baseline does: data movement bit for bit,
the rest within the op's float tolerance (the correlation tiles differ: the baseline has no FMA,
and the vector width changes the order of some sums); within each build the thread count
changes no bit."""
import os
import platform
import subprocess
import sys

import numpy as np
import pytest

import vidtemporal as vt
from tolerances import tolerance

# Every numpy-level op, forward and backward, on fixed inputs; the outputs saved to argv[2].
SCRIPT = r"""
import sys
import numpy as np
import vidtemporal as vt

vt.set_num_threads(int(sys.argv[1]))
rng = np.random.default_rng(0)
def normal(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)

x = normal(16, 32, 7, 7)
g = normal(16, 32, 7, 7)
offsets, weights = normal(2, 2), rng.random((2, 8, 2)).astype(np.float32)
v, attn = normal(16, 24, 12), normal(2, 2, 8, 8)
assign, r = rng.random((16, 5, 12)).astype(np.float32), normal(16, 24, 5)
q, k = normal(16, 8, 12), normal(16, 8, 12)
corr = normal(16, 5, 5, 7, 7)
n, t, d, dk = 3, 10, 16, 8
audio, visual = normal(n, t, d), normal(n, t, d)
mask = (rng.random((n, t)) < 0.8).astype(np.float32)
w = [normal(d, dk), normal(d, dk), normal(d, d), normal(d, dk), normal(d, dk), normal(d, d)]
p, labels = rng.random((n, t)).astype(np.float32) * 0.98 + 0.01, (rng.random((n, t)) < 0.5).astype(np.float32)
stream = vt.TemporalShiftStream()
first_audio, first_visual = np.ascontiguousarray(audio[:, 0]), np.ascontiguousarray(visual[:, 0])

movement = {
    "temporal_shift": vt.temporal_shift(x, 8),
    "temporal_shift_backward": vt.temporal_shift_backward(g, x, 8),
    "temporal_shift_": vt.temporal_shift_(x.copy(), 8, mode="unidirectional"),
    "temporal_shift_float16": vt.temporal_shift(x.astype(np.float16), 8),
    "stream": np.stack([stream.step(x[i:i + 1]) for i in range(4)]),
}
arithmetic = {
    "temporal_interlace": [vt.temporal_interlace(x, offsets, weights, 8),
                           *vt.temporal_interlace_backward(g, x, offsets, weights, 8)],
    "global_temporal_attention": [vt.global_temporal_attention(v, attn, 8),
                                  *vt.global_temporal_attention_backward(v, v, attn, 8)],
    "region_pool": [vt.region_pool(v, assign), *vt.region_pool_backward(r, v, assign)],
    "region_unpool": [vt.region_unpool(r, assign), *vt.region_unpool_backward(v, r, assign)],
    "spatial_attention": [vt.spatial_attention(q, k, v), *vt.spatial_attention_backward(v, q, k, v)],
    "spatial_attention_float16": [vt.spatial_attention(*(a.astype(np.float16) for a in (q, k, v)))],
    "correlation": [vt.correlation(x, g, 5), *vt.correlation_backward(normal(16, 5, 5, 7, 7), x, g, 5)],
    "correlation_float16": [vt.correlation(x.astype(np.float16), g.astype(np.float16), 5)],
    # Large enough for the register tiles, where the builds differ (FMA or a multiply and an add).
    "correlation_tiles": [vt.correlation(normal(4, 64, 28, 28), normal(4, 64, 28, 28), 15)],
    "kernel_soft_argmax": [*vt.kernel_soft_argmax(corr),
                           vt.kernel_soft_argmax_backward(normal(16, 2, 7, 7), normal(16, 1, 7, 7), corr)],
    "motion_squeeze": [vt.motion_squeeze(x, 8, 5), vt.motion_squeeze_backward(normal(16, 3, 7, 7), x, 8, 5)],
    "dual_attention_matching": [*vt.dual_attention_matching(audio, visual, mask, *w),
                                *vt.dual_attention_matching_backward(p, p, p, first_audio, first_visual,
                                                                     audio, visual, mask, *w)],
    "dam_loss": [np.asarray(vt.dam_loss(p, labels)), vt.dam_loss_backward(np.float32(1.0), p, labels)],
    "cml_localize": [np.asarray(vt.cml_localize(first_audio, visual, 3))],
}
arrays = {"build": np.asarray(vt.cpu_dispatch())}
arrays.update({f"movement/{name}": np.asarray(a) for name, a in movement.items()})
for name, outputs in arithmetic.items():
    arrays.update({f"arithmetic/{name}/{i}": np.asarray(a) for i, a in enumerate(outputs)})
np.savez(sys.argv[2], **arrays)
"""


BUILDS = ["x86-64", "x86-64-v3", "x86-64-v4"]
V3 = {"avx2", "fma", "f16c", "bmi1", "bmi2", "abm", "movbe"}
V4 = V3 | {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"}


def run(tmp_path, threads, build):
    """Every op's outputs with the kernel build `build` (VT_CPU) and `threads` threads."""
    env = dict(os.environ, VT_CPU=build)
    path = tmp_path / f"{build}-{threads}.npz"
    subprocess.run([sys.executable, "-c", SCRIPT, str(threads), str(path)], check=True, env=env, timeout=300)
    with np.load(path) as f:
        return {name: f[name] for name in f.files}


def runnable():
    """The builds this CPU can run, from the kernel's reading of cpuid (/proc/cpuinfo)."""
    with open("/proc/cpuinfo") as f:
        flags = set(next(line.split(":", 1)[1].split() for line in f if line.startswith("flags")))
    return BUILDS[:1 + (V3 <= flags) + (V4 <= flags)]


x86_64_linux = pytest.mark.skipif(platform.machine() != "x86_64" or not os.path.exists("/proc/cpuinfo"),
                                  reason="the builds are chosen on x86-64 Linux")


@x86_64_linux
def test_the_best_build_this_cpu_can_run_is_chosen():
    cap = {"baseline": "x86-64"}.get(os.environ.get("VT_CPU"), os.environ.get("VT_CPU"))
    builds = runnable()
    expected = builds[-1] if cap not in builds else cap
    assert vt.cpu_dispatch() == expected


@x86_64_linux
def test_every_build_ships_beside_the_loader():
    for build in BUILDS:
        assert os.path.isfile(os.path.join(vt.get_lib(), f"libvidtemporal-{build}.so"))


@x86_64_linux
@pytest.mark.parametrize("build", BUILDS[1:])
def test_each_build_agrees_with_the_baseline(tmp_path, build):
    if build not in runnable():
        pytest.skip(f"this CPU cannot run the {build} build")
    other, baseline = run(tmp_path, 2, build), run(tmp_path, 2, "baseline")
    assert str(baseline.pop("build")) == "x86-64"
    assert str(other.pop("build")) == build
    assert other.keys() == baseline.keys()
    for name in other:
        a, b = other[name], baseline[name]
        assert a.dtype == b.dtype and a.shape == b.shape, name
        if name.startswith("movement/"):
            assert np.array_equal(a, b), name
        else:
            # Half-precision outputs are rounded from float32: one half ulp of difference allowed.
            rtol, atol = tolerance("portable", "float32")
            if a.dtype == np.float16:
                rtol, atol = 2 ** -10, 1e-3
            np.testing.assert_allclose(a.astype(np.float64), b.astype(np.float64), rtol=rtol, atol=atol,
                                       err_msg=name)


@x86_64_linux
@pytest.mark.parametrize("build", BUILDS)
def test_thread_count_changes_no_bit_within_a_build(tmp_path, build):
    if build not in runnable():
        pytest.skip(f"this CPU cannot run the {build} build")
    one, three = run(tmp_path, 1, build), run(tmp_path, 3, build)
    assert str(one["build"]) == build
    for name in one:
        assert np.array_equal(one[name], three[name]), name


@x86_64_linux
def test_a_cap_above_the_cpu_is_a_warning_not_a_crash():
    builds = runnable()
    if builds[-1] == BUILDS[-1]:
        pytest.skip("this CPU runs every build")
    result = subprocess.run([sys.executable, "-c", "import vidtemporal as vt; print(vt.cpu_dispatch())"],
                            env=dict(os.environ, VT_CPU=BUILDS[-1]), capture_output=True, text=True, check=True)
    assert result.stdout.strip() == builds[-1]
    assert f"VT_CPU={BUILDS[-1]}, but this CPU runs {builds[-1]} at most" in result.stderr


@x86_64_linux
def test_an_unknown_cap_is_a_warning_not_a_crash():
    result = subprocess.run([sys.executable, "-c", "import vidtemporal as vt; print(vt.cpu_dispatch())"],
                            env=dict(os.environ, VT_CPU="x86-64-v9"), capture_output=True, text=True, check=True)
    assert result.stdout.strip() == runnable()[-1]
    assert "VT_CPU=x86-64-v9 is none of baseline, x86-64, x86-64-v3, x86-64-v4, auto" in result.stderr
