"""The library picks its kernel build once, when it loads: x86-64-v3 (AVX2, FMA, F16C) where the
CPU has every instruction that build may use, the baseline x86-64 build elsewhere and whenever
VT_CPU=baseline is set. Both builds compute every op: data movement bit for bit, the rest within
the op's float tolerance (the correlation tiles differ: the baseline has no FMA); within each build
the thread count changes no bit."""
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


def run(tmp_path, threads, baseline):
    env = dict(os.environ)
    env.pop("VT_CPU", None)
    if baseline:
        env["VT_CPU"] = "baseline"
    path = tmp_path / f"{'baseline' if baseline else 'auto'}-{threads}.npz"
    subprocess.run([sys.executable, "-c", SCRIPT, str(threads), str(path)], check=True, env=env, timeout=300)
    with np.load(path) as f:
        return {name: f[name] for name in f.files}


def automatic_choice():
    """The build cpuid chooses, from the kernel's reading of it (/proc/cpuinfo)."""
    with open("/proc/cpuinfo") as f:
        flags = set(next(line.split(":", 1)[1].split() for line in f if line.startswith("flags")))
    return "x86-64-v3" if {"avx2", "fma", "f16c", "bmi1", "bmi2", "abm", "movbe"} <= flags else "x86-64"


x86_64_linux = pytest.mark.skipif(platform.machine() != "x86_64" or not os.path.exists("/proc/cpuinfo"),
                                  reason="the builds are chosen on x86-64 Linux")


@x86_64_linux
def test_the_build_this_cpu_can_run_is_chosen():
    forced = os.environ.get("VT_CPU") == "baseline"
    assert vt.cpu_dispatch() == ("x86-64" if forced else automatic_choice())


@x86_64_linux
def test_both_builds_ship_beside_the_loader():
    for build in ("x86-64", "x86-64-v3"):
        assert os.path.isfile(os.path.join(vt.get_lib(), f"libvidtemporal-{build}.so"))


@x86_64_linux
def test_baseline_and_default_builds_agree(tmp_path):
    if automatic_choice() != "x86-64-v3":
        pytest.skip("this CPU runs the baseline build only: there is no second build to compare")
    default, baseline = run(tmp_path, 2, baseline=False), run(tmp_path, 2, baseline=True)
    assert str(baseline.pop("build")) == "x86-64"
    assert str(default.pop("build")) == automatic_choice()
    assert default.keys() == baseline.keys()
    for name in default:
        a, b = default[name], baseline[name]
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
@pytest.mark.parametrize("baseline", [False, True], ids=["default", "baseline"])
def test_thread_count_changes_no_bit_within_a_build(tmp_path, baseline):
    one, three = run(tmp_path, 1, baseline), run(tmp_path, 3, baseline)
    for name in one:
        assert np.array_equal(one[name], three[name]), name
